#include "cli/cli.h"
#include "cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "loader/loader.h"

namespace crm::cli {

int runLoad(const LoadArguments& arguments, std::ostream& out, std::ostream& err) {
  load::LoadOptions options;
  options.maxBadRecords = arguments.maxBadRecords;
  options.rejectsPath = arguments.rejects;
  for (const auto& source : arguments.sources) {
    auto equals = source.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == source.size()) {
      err << "crm: --source takes NAME=PATH, not '" << source << "'\n";
      return kUsageError;
    }
    options.sourcePaths[source.substr(0, equals)] = source.substr(equals + 1);
  }

  auto compilation = driver::checkScripts({{arguments.script, std::nullopt}});
  auto diagnostics = compilation->diagnostics->sorted();
  diag::renderHuman(err, compilation->sources, diagnostics, {false});
  if (compilation->hasErrors()) {
    return kInvalidInput;
  }
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation->scripts) scripts.push_back(script.get());
  for (const auto& [name, path] : options.sourcePaths) {
    bool known = false;
    for (const ast::Script* script : scripts) {
      for (const auto& decl : script->decls) {
        known = known || (decl->kind == ast::DeclKind::Source && decl->name.text == name);
      }
    }
    if (!known) {
      err << "crm: --source names `" << name << "`, which the script does not declare\n";
      return kUsageError;
    }
  }

  auto result = load::loadProgram(scripts, compilation->sources, options);
  load::printReport(out, result.report);
  return result.report.ok() ? kSuccess : kInvalidInput;
}

}  // namespace crm::cli
