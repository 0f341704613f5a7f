// Evaluation for `crm repl`: one input checked with the session's script
// and declarations, lowered and compiled, then evaluated for one customer
// or summarised over all of them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "compiler/driver/expression.h"
#include "compiler/lower/lower.h"
#include "interp/interpreter.h"
#include "jit/jit.h"
#include "runtime/store.h"

namespace crm::repl {

// One input after checking and compiling. The JIT's code lives as long as
// this object.
struct CompiledInput {
  driver::ExpressionCompilation checked;
  lower::LoweredExpression lowered;
  std::unique_ptr<jit::CompiledProgram> native;  // null with the interpreter
  const ast::Type* type = nullptr;
  double checkSeconds = 0;
  double compileSeconds = 0;

  const ir::Node& root() const { return *lowered.expression; }
  const ir::Program& program() const { return *lowered.program; }
};

// Whether `node` reads the customer, directly or through the lets,
// segments and recommendations it uses.
bool readsCustomer(const ir::Program& program, const ir::Node& node);

// The Field nodes by which `node` reads the customer's fields, directly or
// through the lets, segments and recommendations it uses: one per column,
// in column order.
std::vector<const ir::Node*> customerFields(const ir::Program& program, const ir::Node& node);

// `value  : type` for a value, `error: message` for an error.
std::string describeValue(const runtime::Value& value, const ast::Type* type);

// Counts of a value over many customers, printed by type. A bool gets how
// many are true, false and errors, and a number the count, sum, minimum
// and maximum. Other types get their first distinct values with counts.
class Summary {
 public:
  explicit Summary(const ast::Type* type);
  void add(const runtime::Value& value, const std::string& customerKey);
  void print(std::ostream& out) const;

 private:
  enum class Shape { Bool, Number, Distinct };
  Shape shape_;
  const ast::Type* type_;
  size_t customers_ = 0;
  size_t trues_ = 0;
  size_t falses_ = 0;
  size_t nulls_ = 0;
  size_t errors_ = 0;
  std::string firstError_;  // `customer KEY: message`
  size_t numbers_ = 0;
  runtime::Value sum_;
  runtime::Value min_;
  runtime::Value max_;
  std::vector<std::pair<std::string, size_t>> distinct_;  // in order of first appearance
  std::map<std::string, size_t> distinctIndex_;
  size_t distinctDropped_ = 0;  // values past the distinct limit
};

}  // namespace crm::repl
