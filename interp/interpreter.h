// The reference interpreter: evaluates an ir::Program for one customer at a
// time over the columnar store. It is the semantic reference for the JIT, so
// it follows the IR literally: every node is one case of one switch, values
// carry their errors, and lets and segments are cached per customer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/lower/ir.h"
#include "runtime/store.h"
#include "runtime/value.h"

namespace crm::interp {

using runtime::Value;

class Interpreter;

// Native code for some roots of the program (a let's value, a campaign's
// audience), such as the JIT's. The interpreter runs it for those roots
// instead of walking them.
class NativeCode {
 public:
  virtual ~NativeCode() = default;
  // The code for `root`, or null when there is none. Finding costs more
  // than running, so a root evaluated for every customer is found once.
  virtual const void* find(const ir::Node& root) const = 0;
  // Runs code that find() returned, into `out`.
  virtual void run(const void* code, Interpreter& interpreter, Value& out) const = 0;
};

class Interpreter {
 public:
  // `store` may be null for expressions that read no data. `now` is the
  // run's instant in microseconds since the epoch.
  Interpreter(const ir::Program& program, const runtime::Store* store, int64_t now);

  // Starts the evaluation of the customer at `row` of the customer table
  // and clears the cached lets and segments.
  void setCustomer(uint32_t row);
  uint32_t customer() const { return customerRow_; }
  bool hasCustomer() const { return customers_ != nullptr && customerSet_; }

  // Binds an external variable (`crm eval --bind`).
  void bindExternal(uint32_t slot, Value value) { frame_[slot] = std::move(value); }

  // Evaluates a root of the program: with native code when there is some
  // for it, otherwise by walking the tree.
  Value evaluate(const ir::Node& node) { return evaluate(node, nativeCode(node)); }
  // The same with the native code for `node`, as nativeCode() found it.
  Value evaluate(const ir::Node& node, const void* code);
  // The native code for root `node`, or null to walk it.
  const void* nativeCode(const ir::Node& node) const {
    return native_ != nullptr ? native_->find(node) : nullptr;
  }
  // Walks `node` without native code, as the native code's fallback does.
  Value walk(const ir::Node& node) { return eval(node); }
  void setNativeCode(const NativeCode* code);

  // For native code: the run's instant, the customer's row, a variable's
  // slot, and scratch values that live for one call of a native root.
  int64_t now() const { return now_; }
  Value& slot(uint32_t index) { return frame_[index]; }
  Value* enterScratch(size_t count);
  void leaveScratch();
  // A let or segment of the current customer, computed once.
  Value declaration(uint32_t index) { return declarationValue(index); }
  // The same without a copy. The reference is good until the next
  // evaluation or the next customer.
  const Value& declarationValue(uint32_t index);
  // Whether trigger `index` fires for the current customer (see
  // ir::Trigger).
  Value triggerFires(uint32_t index);
  // An element that made a trigger fire: its id (the row's key, or its
  // position and due time for a record) and when it fell due.
  struct FiredEvent {
    std::string id;
    int64_t due = 0;
  };
  // Like triggerFires, counting only elements due after `since`, and
  // listing them in `fired` when it is not null.
  Value triggerEvents(uint32_t index, int64_t since, std::vector<FiredEvent>* fired);

 private:
  Value eval(const ir::Node& node);
  // Sets `dueAt` when the element fires.
  Value elementFires(const ir::Trigger& trigger, int64_t& dueAt);
  Value field(const ir::Node& node);
  Value has(const ir::Node& node);
  Value index(const ir::Node& node);
  Value makeMap(const ir::Node& node);
  Value logical(const ir::Node& node, bool isAnd);
  Value macro(const ir::Node& node);
  Value aggregate(const ir::Node& node, const Value& list);
  Value top(const ir::Node& node, const Value& list);
  // Counts one element that `node`'s macro visits. Past kMaxMacroVisits in
  // this evaluation it sets `error` and returns true.
  bool overVisitLimit(const ir::Node& node, Value& error);
  Value recommend(const ir::Node& node);
  Value builtin(const ir::Node& node);

  const ir::Program& program_;
  const runtime::Store* store_;
  int64_t now_;
  const runtime::Table* customers_ = nullptr;
  const runtime::Table* catalog_ = nullptr;
  uint32_t customerRow_ = 0;
  bool customerSet_ = false;

  std::vector<Value> frame_;  // variable slots
  std::vector<Value> cache_;  // lets and segments of the current customer
  std::vector<uint8_t> state_;  // per declaration: 0 not computed, 1 computing, 2 done
  Value cycle_;  // the error of a declaration that depends on itself
  const NativeCode* native_ = nullptr;
  std::vector<const void*> declarationCode_;  // per declaration: native_'s code, or null
  // Scratch values of the native roots being evaluated, one vector per
  // nesting level; a vector's buffer does not move when the outer one grows.
  struct Scratch {
    std::vector<Value> values;
    size_t used = 0;  // by the call at this level
  };
  std::vector<Scratch> scratch_;
  size_t scratchDepth_ = 0;
  size_t macroVisits_ = 0;  // elements visited by macros since the customer or evaluation began
};

// Replaces every subtree that reads no customer, variable or instant by its
// value, when evaluating it gives no error. Both engines run the folded
// program.
void foldConstants(ir::Program& program);
void foldConstants(ir::NodePtr& node);

}  // namespace crm::interp
