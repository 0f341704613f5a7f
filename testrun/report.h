// The reports of a test run: the failures and the summary as text, the
// JUnit XML file, and what the tests covered.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "testrun/runner.h"

namespace crm::testrun {

struct Totals {
  size_t passed = 0;
  size_t failed = 0;
  size_t fileErrors = 0;  // files that did not check
};

Totals totalsOf(const std::vector<FileResult>& files);

// Prints each file that did not check, each failed test with its failures,
// and the summary line `N passed, M failed`.
void printResults(std::ostream& out, const std::vector<FileResult>& files);

// JUnit XML: a <testsuites> root, one <testsuite> per file and one
// <testcase> per test, with a <failure> per failed expectation; a file that
// did not check is a suite with one <testcase> holding an <error>.
std::string junitXml(const std::vector<FileResult>& files);

// The share of segments, campaigns and channels covered, in percent; 100
// when there is nothing to cover. Pressure rules are not counted.
double coveragePercent(const Coverage& coverage);

// Lists each declaration with its use and the total percentage.
void printCoverage(std::ostream& out, const Coverage& coverage);

}  // namespace crm::testrun
