// Parses one .crm file into an ast::Script, or one expression on its own.
// This is the only public door to the ANTLR-generated parser: no ANTLR type
// appears in this header, and every ANTLR error or exception becomes a
// diagnostic here.
#pragma once

#include <cstddef>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/source/source.h"

namespace crm::parse {

// Limits that keep hostile input from exhausting memory, stack or output.
// Each is reported with its own diagnostic code.
struct Limits {
  size_t maxFileBytes = 8u << 20;           // E0003
  size_t maxNesting = 256;                  // E0004: brackets and prefix operators
  size_t maxOperatorsPerDeclaration = 10000;  // E0006
  size_t maxDeclarations = 100000;          // E0007
  size_t maxStringBytes = 1u << 20;         // E0008: the value of one string literal
};

// Parses `file`. Declarations that contain a syntax error are left out of the
// result and reported; the rest are returned so that checking can go on.
// Names of the left-out declarations are listed in `brokenNames` so that the
// checker does not report them again as unknown.
struct ParseResult {
  ast::Script script;
  std::vector<std::string> brokenNames;
  // Whether any declaration was left out, named or not. Lints that judge
  // the whole file, such as "never used", are then skipped.
  bool hasBrokenDeclarations = false;
};

ParseResult parseFile(const source::SourceFile& file, diag::DiagnosticEngine& diagnostics,
                      const Limits& limits = {});

// Parses `file` as one expression, with the raw checks and limits of a
// script; the whole text counts as one declaration for the operator limit.
// Returns null when the text has a syntax error, after reporting it.
ast::ExprPtr parseExpression(const source::SourceFile& file, diag::DiagnosticEngine& diagnostics,
                             const Limits& limits = {});

}  // namespace crm::parse
