// The front end as one call: read a script and its imports, parse, resolve
// and check them. The command line and the tests use this entry point;
// expression.h checks one expression on its own.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/parse/parser.h"
#include "compiler/source/source.h"

namespace crm::driver {

struct CheckOptions {
  parse::Limits limits;
  std::vector<diag::Code> allowed;  // warnings silenced everywhere
  size_t errorLimit = diag::DiagnosticEngine::kDefaultErrorLimit;
};

// Everything one check produced. The AST stays alive for later stages.
struct Compilation {
  source::SourceManager sources;
  std::unique_ptr<diag::DiagnosticEngine> diagnostics;
  ast::TypeContext types;
  std::vector<std::unique_ptr<ast::Script>> scripts;  // every file read, each once
  ast::ExprPtr expression;  // expression mode: the expression, null when it did not parse

  bool hasErrors() const { return diagnostics->errorCount() > 0; }
};

// Checks each root script with the files it imports. A file imported by
// several roots is read and reported once. `inlineText` entries, when given,
// are used instead of reading the path (for tests and standard input).
struct SourceInput {
  std::string path;
  std::optional<std::string> text;
};

std::unique_ptr<Compilation> checkScripts(const std::vector<SourceInput>& roots,
                                          const CheckOptions& options = {});

// Runs `work` on a thread with a large stack: parsing and checking recurse
// once per nesting level, and the nesting limit is sized for this stack.
void runWithLargeStack(const std::function<void()>& work);

}  // namespace crm::driver
