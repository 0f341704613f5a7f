#include "compiler/diag/diagnostic.h"

#include <algorithm>
#include <tuple>

namespace crm::diag {

const std::vector<CodeInfo>& allCodes() {
  static const std::vector<CodeInfo> codes = {
#define CRM_DIAGNOSTIC(code, severity, name, summary) \
  {Code::code, #code, Severity::severity, name, summary},
#include "compiler/diag/codes.def"
#undef CRM_DIAGNOSTIC
  };
  return codes;
}

const CodeInfo& info(Code code) { return allCodes().at(static_cast<size_t>(code)); }

std::optional<Code> parseCode(std::string_view id) {
  for (const auto& entry : allCodes()) {
    if (entry.id == id) {
      return entry.code;
    }
  }
  return std::nullopt;
}

std::string_view severityName(Severity severity) {
  return severity == Severity::Error ? "error" : "warning";
}

Diagnostic& DiagnosticEngine::report(Code code, source::SourceRange range,
                                     std::string message) {
  const CodeInfo& codeInfo = info(code);
  if (isSilenced(code, range) || (codeInfo.severity == Severity::Error && limitReached_)) {
    discarded_ = Diagnostic{};
    return discarded_;
  }
  if (codeInfo.severity == Severity::Error && errorCount_ >= errorLimit_) {
    // The notice sits where the first error that was not shown is.
    limitReached_ = true;
    diagnostics_.push_back({Severity::Error, Code::E0005, range,
                            "too many errors; stopped reporting after " +
                                std::to_string(errorLimit_),
                            {},
                            "fix the errors above and check again"});
    discarded_ = Diagnostic{};
    return discarded_;
  }
  if (codeInfo.severity == Severity::Error) {
    ++errorCount_;
  } else {
    ++warningCount_;
  }
  diagnostics_.push_back({codeInfo.severity, code, range, std::move(message), {}, {}});
  return diagnostics_.back();
}

void DiagnosticEngine::allowOnLine(source::FileId file, uint32_t line, Code code) {
  allowedOnLine_.insert({file, line, code});
}

bool DiagnosticEngine::isSilenced(Code code, source::SourceRange range) const {
  if (allowedEverywhere_.count(code) != 0) {
    return info(code).severity == Severity::Warning;
  }
  if (!range.valid() || info(code).severity != Severity::Warning) {
    return false;
  }
  uint32_t line = sources_.file(range.file).lineColumn(range.begin).line;
  // A directive silences its own line and the line below it.
  return allowedOnLine_.count({range.file, line, code}) != 0 ||
         allowedOnLine_.count({range.file, line - 1, code}) != 0;
}

std::vector<Diagnostic> DiagnosticEngine::sorted() const {
  std::vector<Diagnostic> result = diagnostics_;
  std::stable_sort(result.begin(), result.end(), [](const Diagnostic& a, const Diagnostic& b) {
    // The error-limit notice stays last whatever its position.
    bool aLimit = a.code == Code::E0005;
    bool bLimit = b.code == Code::E0005;
    return std::tuple(aLimit, a.range.file, a.range.begin, a.code, a.message) <
           std::tuple(bLimit, b.range.file, b.range.begin, b.code, b.message);
  });
  // A file imported by several scripts is checked once per script; its
  // diagnostics are shown once.
  auto same = [](const Diagnostic& a, const Diagnostic& b) {
    return a.code == b.code && a.range.file == b.range.file && a.range.begin == b.range.begin &&
           a.range.end == b.range.end && a.message == b.message;
  };
  result.erase(std::unique(result.begin(), result.end(), same), result.end());
  return result;
}

namespace {

// Edit distance counting a swap of two neighbouring characters as one edit
// (optimal string alignment), since swaps are common typos: `emial`.
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string> closestMatch(std::string_view name,
                                        const std::vector<std::string>& candidates) {
  // A name that starts exactly one candidate is an abbreviation of it: `prio`.
  if (name.size() >= 3) {
    std::optional<std::string> prefixed;
    size_t count = 0;
    for (const auto& candidate : candidates) {
      if (candidate.size() > name.size() && candidate.compare(0, name.size(), name) == 0) {
        prefixed = candidate;
        ++count;
      }
    }
    if (count == 1) {
      return prefixed;
    }
  }
  // Up to a third of the name's length may differ, and at least one edit.
  size_t allowed = std::max<size_t>(1, name.size() / 3);
  std::optional<std::string> best;
  size_t bestDistance = allowed + 1;
  for (const auto& candidate : candidates) {
    if (candidate == name) {
      continue;
    }
    size_t distance = editDistance(name, candidate);
    if (distance < bestDistance || (distance == bestDistance && best && candidate < *best)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

}  // namespace crm::diag
