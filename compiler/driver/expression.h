// Expression mode: checks one CEL expression on its own, with variables that
// the caller declares, optionally in the scope of a script and its imports.
// Literals are typed as CEL types them, so `[1, 'two']` is a `list<dyn>`.
// docs/language.md describes the rules.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/driver/driver.h"

namespace crm::driver {

// A variable the expression may use. `name` is identifiers joined by dots,
// such as `x` or `a.b.c`. `celType` is written as CEL writes types: `int`,
// `bool`, `double`, `string`, `null_type`, `dyn`, `timestamp` (or
// `google.protobuf.Timestamp`), `duration` (or `google.protobuf.Duration`),
// `list(T)` and `map(K, V)`, and also `decimal`, `date`, `set(T)` and, with
// a script, its enums, records and entities. Angle brackets (`list<int>`)
// work too.
struct Declaration {
  std::string name;
  std::string celType;
};

struct ExpressionInput {
  // The expression, reported as the file `textName`. Without it only the
  // scripts are checked.
  std::optional<std::string> text;
  std::string textName = "<expr>";
  // Checks the expression in the scope of this script and its imports: their
  // lets and segments, `customer` and `catalog` are visible. The script is
  // checked as a root, with its own diagnostics.
  std::optional<std::string> scriptPath;
  std::vector<Declaration> declarations;  // reported as the file `<declarations>`
  // Scripts given as text and checked with `scriptPath` as one program, so
  // that the declarations of each are visible to the others, such as the
  // declarations typed into `crm repl`. Their imports are not read.
  std::vector<SourceInput> inlineScripts;
  // Texts to use instead of reading the files at these paths: the script
  // path as given, and each import's path joined to its importer's folder.
  std::map<std::string, std::string> fileTexts;
};

struct ExpressionCompilation {
  std::unique_ptr<Compilation> compilation;
  // The checked expression, owned by `compilation`. Null when it did not
  // parse.
  const ast::Expr* expression = nullptr;
  // Its type. Null when it was not checked, `<error>` when it has an error.
  const ast::Type* type = nullptr;
  // Each validly named declaration once, in order, with its resolved type.
  std::vector<std::pair<std::string, const ast::Type*>> variables;
};

// Parses and checks `input`. Without a script, `customer` and `catalog` are
// unknown names, but `now` is always defined. Declared variables take
// precedence over `now`, `customer` and `catalog`, and a macro variable
// hides them in turn. When the script cannot be read, the expression is
// parsed but not checked.
ExpressionCompilation checkExpression(const ExpressionInput& input,
                                      const CheckOptions& options = {});

}  // namespace crm::driver
