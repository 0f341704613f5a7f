// Diagnostics are values: each has a severity, a stable code, a primary
// range, a message, optional notes at related ranges and an optional help
// line. A DiagnosticEngine collects them for one compilation.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/source/source.h"

namespace crm::diag {

enum class Severity { Error, Warning };

enum class Code : uint16_t {
#define CRM_DIAGNOSTIC(code, severity, name, summary) code,
#include "compiler/diag/codes.def"
#undef CRM_DIAGNOSTIC
};

struct CodeInfo {
  Code code;
  std::string_view id;  // "E0102"
  Severity severity;
  std::string_view name;
  std::string_view summary;
};

const CodeInfo& info(Code code);
const std::vector<CodeInfo>& allCodes();
std::optional<Code> parseCode(std::string_view id);
std::string_view severityName(Severity severity);

struct Note {
  source::SourceRange range;
  std::string message;
};

struct Diagnostic {
  Severity severity = Severity::Error;
  Code code = Code::E0010;
  source::SourceRange range;
  std::string message;
  std::vector<Note> notes;
  std::string help;

  Diagnostic& note(source::SourceRange at, std::string text) {
    notes.push_back({at, std::move(text)});
    return *this;
  }
  Diagnostic& withHelp(std::string text) {
    help = std::move(text);
    return *this;
  }
};

// Collects diagnostics, drops those silenced by `crm:allow(...)` comments or
// by the caller, and stops accepting errors past a limit so that a hostile
// file cannot produce unbounded output.
class DiagnosticEngine {
 public:
  static constexpr size_t kDefaultErrorLimit = 100;

  explicit DiagnosticEngine(const source::SourceManager& sources,
                            size_t errorLimit = kDefaultErrorLimit)
      : sources_(sources), errorLimit_(errorLimit) {}

  // Reports a diagnostic with the code's default severity. The returned
  // reference stays valid until the next report.
  Diagnostic& report(Code code, source::SourceRange range, std::string message);

  // Silences a code everywhere (the command line's --allow).
  void allow(Code code) { allowedEverywhere_.insert(code); }
  // Silences a code on one line of one file (a `crm:allow(CODE)` comment).
  void allowOnLine(source::FileId file, uint32_t line, Code code);

  // Errors kept, not counting the notice that the limit was reached.
  size_t errorCount() const { return errorCount_; }
  size_t warningCount() const { return warningCount_; }
  bool limitReached() const { return limitReached_; }

  // The kept diagnostics, sorted by file, position and code.
  std::vector<Diagnostic> sorted() const;
  const source::SourceManager& sources() const { return sources_; }

 private:
  bool isSilenced(Code code, source::SourceRange range) const;

  const source::SourceManager& sources_;
  size_t errorLimit_;
  std::vector<Diagnostic> diagnostics_;
  Diagnostic discarded_;
  std::set<Code> allowedEverywhere_;
  std::set<std::tuple<source::FileId, uint32_t, Code>> allowedOnLine_;
  size_t errorCount_ = 0;
  size_t warningCount_ = 0;
  bool limitReached_ = false;
};

// The closest candidate by edit distance, when it is close enough to be a
// likely typo of `name`.
std::optional<std::string> closestMatch(std::string_view name,
                                        const std::vector<std::string>& candidates);

}  // namespace crm::diag
