#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/format/format.h"
#include "runtime/atomic_file.h"

namespace crm::cli {
namespace {

// Reads a regular file of at most `limit` bytes plus one, so that an
// oversized file is reported by the parser's size check without being
// loaded whole. Returns false with `error` set.
bool readScript(const std::string& path, size_t limit, std::string& text, std::string& error) {
  std::error_code status;
  if (!std::filesystem::is_regular_file(path, status)) {
    error = std::filesystem::exists(path, status) ? "not a regular file" : "no such file";
    return false;
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    error = "permission denied";
    return false;
  }
  std::vector<char> chunk(64 * 1024);
  while (text.size() <= limit && stream) {
    stream.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<size_t>(stream.gcount()));
  }
  if (stream.bad()) {
    error = "the read failed";
    return false;
  }
  return true;
}

enum class FileOutcome { Canonical, Changed, Failed };

// Formats one file and, by mode, prints, rewrites or lists it.
FileOutcome formatFile(const FmtArguments& arguments, const std::string& path, std::ostream& out,
                       std::ostream& err) {
  std::string text;
  std::string error;
  if (!readScript(path, parse::Limits{}.maxFileBytes, text, error)) {
    err << "crm: cannot read `" << path << "`: " << error << "\n";
    return FileOutcome::Failed;
  }
  source::SourceManager sources;
  const source::SourceFile& file = sources.add(path, std::move(text));
  diag::DiagnosticEngine diagnostics(sources);
  std::optional<std::string> formatted;
  driver::runWithLargeStack([&] { formatted = format::formatScript(file, diagnostics); });
  if (!formatted) {
    diag::renderHuman(err, sources, diagnostics.sorted(), {});
    err << "crm: `" << path << "` was not formatted because it does not parse\n";
    return FileOutcome::Failed;
  }
  bool changed = *formatted != file.text();
  if (arguments.check) {
    if (changed) out << path << "\n";
  } else if (arguments.write) {
    if (changed) {
      std::string failure = runtime::writeFileAtomically(path, *formatted, "the script");
      if (!failure.empty()) {
        err << "crm: " << failure << "\n";
        return FileOutcome::Failed;
      }
    }
  } else {
    out << *formatted;
  }
  return changed ? FileOutcome::Changed : FileOutcome::Canonical;
}

}  // namespace

int runFmt(const FmtArguments& arguments, std::ostream& out, std::ostream& err) {
  if (arguments.write && arguments.check) {
    err << "crm: -w and --check exclude each other: -w rewrites files, --check only lists "
           "them\n";
    return kUsageError;
  }
  std::string failure;
  std::vector<std::string> files = expandPaths(arguments.paths, failure);
  if (!failure.empty()) {
    err << "crm: " << failure << "\n";
    return kInvalidInput;
  }
  if (files.empty()) {
    err << "crm: no .crm files found in the given folders\n";
    return kUsageError;
  }
  if (!arguments.write && !arguments.check && files.size() != 1) {
    err << "crm: fmt prints one file; give one file, or use -w to rewrite or --check to list "
           "several\n";
    return kUsageError;
  }
  bool failed = false;
  bool changed = false;
  for (const auto& path : files) {
    FileOutcome outcome = formatFile(arguments, path, out, err);
    failed = failed || outcome == FileOutcome::Failed;
    changed = changed || outcome == FileOutcome::Changed;
  }
  if (failed || (arguments.check && changed)) return kInvalidInput;
  return kSuccess;
}

}  // namespace crm::cli
