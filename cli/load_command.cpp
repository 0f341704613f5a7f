#include "cli/cli.h"
#include "cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "loader/loader.h"

namespace crm::cli {

int prepareLoadOptions(const LoadArguments& arguments, load::LoadOptions& options,
                       std::ostream& err) {
  options.maxBadRecords = arguments.maxBadRecords;
  options.rejectsPath = arguments.rejects;
  for (const auto& source : arguments.sources) {
    auto equals = source.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == source.size()) {
      err << "crm: --source takes NAME=PATH, not '" << source << "'\n";
      return kUsageError;
    }
    auto [given, fresh] =
        options.sourcePaths.emplace(source.substr(0, equals), source.substr(equals + 1));
    if (!fresh) {
      err << "crm: --source names `" << given->first << "` twice ('" << given->second
          << "' and '" << source.substr(equals + 1) << "'); give each source once\n";
      return kUsageError;
    }
  }
  return kSuccess;
}

int checkSourceNames(const load::LoadOptions& options, const driver::Compilation& compilation,
                     std::ostream& err) {
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation.scripts) scripts.push_back(script.get());
  auto unknown = load::undeclaredSources(scripts, options);
  if (unknown.empty()) return kSuccess;
  err << "crm: --source names `" << unknown.front() << "`, which the script does not declare\n";
  return kUsageError;
}

int runLoad(const LoadArguments& arguments, std::ostream& out, std::ostream& err) {
  load::LoadOptions options;
  int status = prepareLoadOptions(arguments, options, err);
  if (status != kSuccess) return status;
  auto compilation = driver::checkScripts({{arguments.script, std::nullopt}});
  auto diagnostics = compilation->diagnostics->sorted();
  diag::renderHuman(err, compilation->sources, diagnostics, {false});
  if (compilation->hasErrors()) {
    return kInvalidInput;
  }
  status = checkSourceNames(options, *compilation, err);
  if (status != kSuccess) return status;
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation->scripts) scripts.push_back(script.get());

  auto result = load::loadProgram(scripts, compilation->sources, options);
  if (result.report.ok()) {
    load::printReport(out, result.report);
    return kSuccess;
  }
  // A failed load is an error, so its report goes where crm run prints it:
  // to standard error, leaving standard output empty.
  load::printReport(err, result.report);
  return kInvalidInput;
}

}  // namespace crm::cli
