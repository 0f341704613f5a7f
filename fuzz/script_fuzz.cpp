// Any bytes as a script: the front end must report problems as diagnostics,
// never crash or hang. A script that checks is also lowered, and formatted
// twice: the formatter must accept every script that parses and give the
// same text again (format::formatScript itself checks that the tree and
// the comments survive).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "compiler/format/format.h"
#include "compiler/lower/lower.h"
#include "fuzz/fuzz_support.h"

using namespace crm;

namespace {

// Imports resolve beside the script; the folder does not exist, so that an
// input cannot read the machine's files by a relative import.
const char* const kPath = "/nonexistent-crm-fuzz/input.crm";

void checkFormatting(const std::string& text) {
  source::SourceManager sources;
  const source::SourceFile& file = sources.add(kPath, text);
  diag::DiagnosticEngine diagnostics(sources);
  std::optional<std::string> once;
  driver::runWithLargeStack([&] { once = format::formatScript(file, diagnostics); });
  if (!once) return;
  source::SourceManager again;
  const source::SourceFile& formatted = again.add(kPath, *once);
  diag::DiagnosticEngine moreDiagnostics(again);
  std::optional<std::string> twice;
  driver::runWithLargeStack([&] { twice = format::formatScript(formatted, moreDiagnostics); });
  if (!twice) fuzz::fail("the formatter's output does not parse", text);
  if (*twice != *once) fuzz::fail("formatting the formatter's output changed it", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto compilation = driver::checkScripts({{kPath, text}});
  std::ostringstream rendered;
  auto diagnostics = compilation->diagnostics->sorted();
  diag::renderHuman(rendered, compilation->sources, diagnostics, {});
  diag::renderJson(rendered, compilation->sources, diagnostics);
  if (compilation->hasErrors()) {
    // Text that does not check may still parse, and then has a canonical form.
    checkFormatting(text);
    return 0;
  }
  auto program = lower::lowerProgram(fuzz::scriptsOf(*compilation));
  if (program == nullptr) fuzz::fail("a script that checks did not lower", text);
  checkFormatting(text);
  return 0;
}
