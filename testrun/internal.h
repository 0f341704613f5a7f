// Shared between the files of testrun; not part of its interface.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/driver/driver.h"
#include "compiler/lower/ir.h"
#include "run/run.h"
#include "runtime/value.h"
#include "testrun/fixture.h"
#include "testrun/runner.h"

namespace crm::testrun::internal {

// The fields of a map literal that names them, as (field, value) pairs.
using Entries = std::vector<std::pair<std::string, const ast::Expr*>>;

Entries entriesOf(const ast::MapLiteral& map);

// The entity of a reference field, or null.
const ast::EntityDecl* entityOf(const ast::Type* type);

// The entity of a child list field, or null.
const ast::EntityDecl* childEntityOf(const ast::Type* type);

// The value of a field that a test leaves out; none for the types without
// one (dates, timestamps, durations, enums, records, references).
std::optional<runtime::Value> defaultValue(const ast::Type* type);

// The program of one file, with every expression its tests need.
struct FileProgram {
  const driver::Compilation* compilation = nullptr;
  Schema schema;
  std::unique_ptr<ir::Program> program;
  std::vector<ir::NodePtr> nodes;
  std::map<const ast::Expr*, const ir::Node*> lowered;
  // Declaration locations by name, for coverage.
  std::map<std::string, Place> segments;
  std::map<std::string, Place> campaigns;
  std::map<std::string, Place> channels;
  // The places of the `at most` rules, in the order of Program::caps.
  std::vector<Place> caps;
};

// Lists the declarations of the file's program that coverage counts, each
// with no use yet, and their places in `file`.
void collectDeclarations(FileProgram& file, Coverage& coverage);

// Adds the segments that held or not, and the campaigns and channels sent,
// of one test's run.
void recordCoverage(const FileProgram& file, const run::RunResult& result, Coverage& coverage);

}  // namespace crm::testrun::internal
