// The canonical layout of .crm scripts (`crm fmt`). Blocks have two-space
// indentation and one member per line. Long expressions break before
// operators and method calls to stay within a line width. Comments stay
// where they are, and at most one empty line is kept in a row. Formatting
// changes only white space, optional separators (`;`, the commas of column
// bindings, trailing commas), the default `asc` of a rank key and the
// spelling `.5`, written `0.5`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "compiler/diag/diagnostic.h"
#include "compiler/source/source.h"

namespace crm::format {

struct Options {
  size_t width = 100;  // columns, counted in code points
};

// Returns the canonical text of `file`, or nullopt after reporting to
// `diagnostics` why the file does not parse, because a file with a syntax
// error has no canonical form. The result is checked by parsing it again.
// A tree or a comment that differs from the input's is a defect of the
// formatter, so it throws std::logic_error instead of returning text.
std::optional<std::string> formatScript(const source::SourceFile& file,
                                        diag::DiagnosticEngine& diagnostics,
                                        const Options& options = {});

}  // namespace crm::format
