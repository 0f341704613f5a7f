// Printing diagnostics for people (file:line:col, the source line, a caret
// underline, notes and help) and for tools (one JSON array).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "compiler/diag/diagnostic.h"

namespace crm::diag {

struct RenderOptions {
  bool color = false;
};

void renderHuman(std::ostream& out, const source::SourceManager& sources,
                 const std::vector<Diagnostic>& diagnostics, const RenderOptions& options);

// Writes a JSON array; the field names are documented in docs/cli.md and do
// not change.
void renderJson(std::ostream& out, const source::SourceManager& sources,
                const std::vector<Diagnostic>& diagnostics);

// Writes one SARIF 2.1.0 log with one run, whose rules are the codes that
// occur, for code scanning tools. `toolVersion` is crm's version.
void renderSarif(std::ostream& out, const source::SourceManager& sources,
                 const std::vector<Diagnostic>& diagnostics, const std::string& toolVersion);

}  // namespace crm::diag
