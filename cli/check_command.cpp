#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"

namespace crm::cli {
namespace {

bool useColor(const std::string& setting, std::ostream& out) {
  if (setting == "always") return true;
  if (setting == "never") return false;
  return &out == &std::cout && isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
}

}  // namespace

// A folder that cannot be walked (a symbolic link loop, no permission) is an
// error with its path.
std::vector<std::string> expandPaths(const std::vector<std::string>& paths, std::string& failure) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code error;
    if (!fs::is_directory(path, error)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(path, fs::directory_options::none, error);
    for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      std::error_code entryError;
      if (it->is_regular_file(entryError) && it->path().extension() == ".crm") {
        found.push_back(it->path().string());
      }
    }
    if (error) {
      failure = "cannot search folder `" + path + "`: " + error.message();
      return {};
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

int runCheck(const CheckArguments& arguments, std::ostream& out, std::ostream& err) {
  driver::CheckOptions options;
  options.errorLimit = arguments.maxErrors;
  for (const auto& code : arguments.allowed) {
    auto parsed = diag::parseCode(code);
    if (!parsed) {
      err << "crm: unknown diagnostic code `" << code << "` in --allow\n";
      return kUsageError;
    }
    if (diag::info(*parsed).severity == diag::Severity::Error) {
      err << "crm: --allow takes warning codes; " << code << " is an error and cannot be "
          << "silenced\n";
      return kUsageError;
    }
    options.allowed.push_back(*parsed);
  }
  std::vector<driver::SourceInput> inputs;
  std::string failure;
  for (const auto& path : expandPaths(arguments.paths, failure)) {
    inputs.push_back({path, std::nullopt});
  }
  if (!failure.empty()) {
    err << "crm: " << failure << "\n";
    return kInvalidInput;
  }
  if (inputs.empty()) {
    err << "crm: no .crm files found in the given folders\n";
    return kUsageError;
  }

  auto compilation = driver::checkScripts(inputs, options);
  auto diagnostics = compilation->diagnostics->sorted();
  if (arguments.format == "json") {
    diag::renderJson(out, compilation->sources, diagnostics);
  } else if (arguments.format == "sarif") {
    diag::renderSarif(out, compilation->sources, diagnostics, CRM_VERSION);
  } else {
    diag::renderHuman(out, compilation->sources, diagnostics,
                      {useColor(arguments.color, out)});
    // Counted from what is shown: a file imported twice reports once.
    size_t errors = 0;
    size_t warnings = 0;
    for (const auto& diagnostic : diagnostics) {
      if (diagnostic.code == diag::Code::E0005) continue;
      (diagnostic.severity == diag::Severity::Error ? errors : warnings) += 1;
    }
    if (errors + warnings > 0) {
      out << errors << (errors == 1 ? " error" : " errors") << ", " << warnings
          << (warnings == 1 ? " warning" : " warnings") << "\n";
    }
  }
  if (compilation->hasErrors()) return kInvalidInput;
  if (arguments.denyWarnings && compilation->diagnostics->warningCount() > 0) return kInvalidInput;
  return kSuccess;
}

}  // namespace crm::cli
