// The data of a test block: which rows it gives, where each row's field
// values are written, and the store built from them once those values are
// evaluated. Planning reads the checked AST only, so that the program and
// every expression of a file can be lowered together before any test runs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/lower/ir.h"
#include "compiler/source/source.h"
#include "runtime/store.h"
#include "runtime/value.h"

namespace crm::testrun {

// One problem of a test: where it is (file:line:column) and what failed.
struct Failure {
  std::string location;
  std::string message;
};

// The entities a test can give rows of.
struct Schema {
  std::vector<const ast::Script*> scripts;
  const ast::EntityDecl* customer = nullptr;
  const ast::EntityDecl* catalog = nullptr;
  const ast::EntityDecl* event = nullptr;
  std::vector<const ast::EntityDecl*> entities;
};

Schema schemaOf(const std::vector<const ast::Script*>& scripts);

// One row of a test, with the expression of each field; null when the test
// leaves the field out. A reference given as an inline row points at that
// row's key expression, and child lists are null: their rows name this one
// as `parent`.
struct PlannedRow {
  const ast::EntityDecl* entity = nullptr;
  std::vector<const ast::Expr*> fields;
  size_t parent = SIZE_MAX;
  source::SourceRange range;
};

struct FixturePlan {
  int64_t now = 0;
  std::vector<PlannedRow> rows;
  std::vector<Failure> problems;
  // Every expression whose value the rows need, for lowering.
  std::vector<const ast::Expr*> expressions;
};

FixturePlan planFixture(const ast::TestDecl& test, const Schema& schema,
                        const source::SourceManager& sources);

// Evaluates the planned values (`lowered` maps each of plan.expressions to
// its lowered node) and builds the test's store. Adds each wrong value or
// key to `problems`, and returns null when `problems` is not empty, which
// it may be on entry.
std::unique_ptr<runtime::Store> buildFixtureStore(
    const FixturePlan& plan, const Schema& schema, const ir::Program& program,
    const std::map<const ast::Expr*, const ir::Node*>& lowered,
    const source::SourceManager& sources, std::vector<Failure>& problems);

// file:line:column of the start of `range`.
std::string locationOf(const source::SourceManager& sources, source::SourceRange range);

// A value as a message shows it: strings quoted, lists with their items.
std::string showValue(const runtime::Value& value);

}  // namespace crm::testrun
