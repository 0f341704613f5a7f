// Everything a run needs, from a script path: the checked program, its
// lowered and folded form, and the store filled from its sources. The
// command line and the tests share this sequence.
#pragma once

#include <memory>
#include <string>

#include "compiler/driver/driver.h"
#include "compiler/lower/ir.h"
#include "loader/loader.h"
#include "runtime/store.h"

namespace crm::run {

struct Prepared {
  std::unique_ptr<driver::Compilation> compilation;
  std::unique_ptr<ir::Program> program;  // null when the check failed
  std::unique_ptr<runtime::Store> store;  // null when the check or the load failed
  load::LoadReport loadReport;
  double checkSeconds = 0;
  double loadSeconds = 0;

  bool ok() const { return store != nullptr; }
};

// Checks `scriptPath`, lowers it and, when the check passed, loads its
// sources. Diagnostics stay in `compilation` and load problems in
// `loadReport` for the caller to print.
Prepared prepareScript(const std::string& scriptPath, const load::LoadOptions& options);

// The two halves of prepareScript, for callers that look at the checked
// program before loading: checkScript() leaves `store` null.
Prepared checkScript(const std::string& scriptPath);
void loadData(Prepared& prepared, const load::LoadOptions& options);

// The sources the program declares, by name.
std::vector<std::string> sourceNames(const Prepared& prepared);

}  // namespace crm::run
