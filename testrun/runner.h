// Runs the test blocks of a script: each test's rows become a store of one
// customer, the program runs for that customer at the test's `now` through
// the whole decision, and each expectation is checked against the result.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "run/run.h"
#include "testrun/fixture.h"

namespace crm::testrun {

struct TestResult {
  std::string name;
  std::string location;  // of the test's name
  std::vector<Failure> failures;
  double seconds = 0;

  bool passed() const { return failures.empty(); }
};

// The place of a declaration, ordered by file, line and column.
struct Place {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;

  std::string text() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
  bool operator<(const Place& other) const {
    return std::tie(file, line, column) < std::tie(other.file, other.line, other.column);
  }
};

// What the tests exercised, by declaration. Keys are the declaration's
// place, so two scripts' channels of one name count apart. Names are kept
// beside them for the report.
struct Coverage {
  struct Segment {
    std::string name;
    size_t held = 0;     // tests in which it held
    size_t notHeld = 0;  // tests in which it was false or an error
  };
  struct Use {
    std::string name;
    size_t sends = 0;  // tests in which it was sent or carried a send
  };
  std::map<Place, Segment> segments;
  std::map<Place, Use> campaigns;
  std::map<Place, Use> channels;
  struct Cap {
    std::string text;   // the rule as written
    size_t capped = 0;  // tests in which it dropped a candidate
  };
  std::map<Place, Cap> caps;  // the `at most` rules of pressure blocks

  void merge(const Coverage& other);
};

struct FileResult {
  std::string path;
  // The diagnostics when the file did not check, or a problem that kept
  // its tests from running; empty otherwise.
  std::string error;
  std::vector<TestResult> tests;
  Coverage coverage;
};

struct TestOptions {
  run::Engine engine = run::Engine::Jit;
  // Runs only the tests whose name matches: a glob when it contains `*`,
  // `?` or `[`, otherwise a substring. Empty runs every test.
  std::string filter;
};

// Whether a test name is selected by `filter` (see TestOptions::filter).
bool matchesFilter(const std::string& name, const std::string& filter);

// Checks the script at `path` and runs its own tests, not those of the
// files it imports.
FileResult runFileTests(const std::string& path, const TestOptions& options);

}  // namespace crm::testrun
