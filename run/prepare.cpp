#include "run/prepare.h"

#include <chrono>

#include "compiler/lower/lower.h"
#include "interp/interpreter.h"

namespace crm::run {

using Clock = std::chrono::steady_clock;

Prepared checkScript(const std::string& scriptPath) {
  Prepared prepared;
  auto start = Clock::now();
  prepared.compilation = driver::checkScripts({{scriptPath, std::nullopt}});
  if (prepared.compilation->hasErrors()) return prepared;
  std::vector<const ast::Script*> scripts;
  for (const auto& script : prepared.compilation->scripts) scripts.push_back(script.get());
  prepared.program = lower::lowerProgram(scripts);
  interp::foldConstants(*prepared.program);
  prepared.checkSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  return prepared;
}

void loadData(Prepared& prepared, const load::LoadOptions& options) {
  if (prepared.program == nullptr) return;
  auto start = Clock::now();
  std::vector<const ast::Script*> scripts;
  for (const auto& script : prepared.compilation->scripts) scripts.push_back(script.get());
  auto loaded = load::loadProgram(scripts, prepared.compilation->sources, options);
  prepared.loadReport = std::move(loaded.report);
  if (prepared.loadReport.ok()) prepared.store = std::move(loaded.store);
  prepared.loadSeconds = std::chrono::duration<double>(Clock::now() - start).count();
}

Prepared prepareScript(const std::string& scriptPath, const load::LoadOptions& options) {
  Prepared prepared = checkScript(scriptPath);
  loadData(prepared, options);
  return prepared;
}

std::vector<std::string> sourceNames(const Prepared& prepared) {
  std::vector<std::string> names;
  for (const auto& script : prepared.compilation->scripts) {
    for (const auto& decl : script->decls) {
      if (decl->kind == ast::DeclKind::Source) names.push_back(decl->name.text);
    }
  }
  return names;
}

}  // namespace crm::run
