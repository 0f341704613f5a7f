#include <cstdio>

#include "cli/cli.h"
#include "cli/commands.h"
#include "runtime/atomic_file.h"
#include "testrun/report.h"
#include "testrun/runner.h"

namespace crm::cli {

int runTest(const TestArguments& arguments, std::ostream& out, std::ostream& err) {
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

  for (const auto& file : files) {
    if (!runtime::sameFile(arguments.junit, file)) continue;
    err << "crm: --junit " << arguments.junit << " is the script '" << file
        << "', which the tests read; give --junit another path\n";
    return kUsageError;
  }

  testrun::TestOptions options;
  options.engine = arguments.engine == "interp" ? run::Engine::Interpreter : run::Engine::Jit;
  options.filter = arguments.filter;
  std::vector<testrun::FileResult> results;
  testrun::Coverage coverage;
  for (const auto& file : files) {
    results.push_back(testrun::runFileTests(file, options));
    coverage.merge(results.back().coverage);
  }

  testrun::printResults(out, results);
  testrun::Totals totals = testrun::totalsOf(results);
  bool ok = totals.failed == 0 && totals.fileErrors == 0;
  if (arguments.coverage) testrun::printCoverage(out, coverage);
  if (arguments.minCoverage) {
    double covered = testrun::coveragePercent(coverage);
    if (covered < *arguments.minCoverage) {
      char text[128];
      std::snprintf(text, sizeof text, "crm: coverage %.1f%% is below --min-coverage %g%%\n",
                    covered, *arguments.minCoverage);
      err << text;
      ok = false;
    }
  }
  if (!arguments.junit.empty()) {
    std::string error = runtime::writeFileAtomically(arguments.junit, testrun::junitXml(results),
                                                     "the JUnit file");
    if (!error.empty()) {
      err << "crm: " << error << "\n";
      return kInvalidInput;
    }
  }
  if (!arguments.filter.empty() && totals.passed + totals.failed == 0 && totals.fileErrors == 0) {
    // A filter that selects nothing is most likely a typing mistake, and
    // an exit code of 0 would let a CI job pass without running a test.
    err << "crm: no test matches --filter '" << arguments.filter
        << "'; a pattern with *, ? or [ must match a whole test name, any other pattern a part "
           "of one\n";
    return kUsageError;
  }
  return ok ? kSuccess : kInvalidInput;
}

}  // namespace crm::cli
