// Runs the CEL conformance cases in handed/*.jsonl of the conformance
// directory ($CRM_CONFORMANCE_DIR, by default shared/conformance/cel beside
// the checkout) on every engine, and prints per file how many pass, are
// skipped and fail. At least 95% of the cases that are not skipped must pass.
// tests/conformance/cel_skip.txt lists the skipped cases, one
// `file/section/name  reason` per line, each a case where the language
// deliberately differs from CEL or lacks what the case uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/cel_conformance.h"
#include "tests/support/engines.h"

namespace crm::testing::cel {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kRequiredPassRate = 0.95;

fs::path conformanceDirectory() {
  if (const char* configured = std::getenv("CRM_CONFORMANCE_DIR"))
    return configured;
  return fs::path(CRM_SOURCE_DIR).parent_path() / "shared" / "conformance" / "cel";
}

fs::path skipListPath() {
  return fs::path(CRM_SOURCE_DIR) / "tests" / "conformance" / "cel_skip.txt";
}

struct CaseFile {
  std::string name;  // without `.jsonl`
  std::vector<ConformanceCase> cases;
};

struct Suite {
  std::vector<CaseFile> files;
  std::vector<std::string> errors;  // malformed records, as `path:line: problem`
};

// Reads one record of the file `fileName`. The runner cannot honour
// `disable_check`, `disable_macros`, a container or a `check_only`
// expectation, so a record that uses one of them is reported as malformed
// rather than run.
ConformanceCase parseCase(const json& record, const std::string& fileName) {
  if (record.at("disable_check").get<bool>() || record.at("disable_macros").get<bool>()) {
    throw std::runtime_error("disable_check and disable_macros are not supported");
  }
  if (!record.at("container").get<std::string>().empty()) {
    throw std::runtime_error("a container is not supported");
  }

  ConformanceCase testCase;
  testCase.file = record.at("file").get<std::string>();
  if (testCase.file != fileName) {
    throw std::runtime_error("the record's `file` is " + testCase.file + ", not " + fileName);
  }
  testCase.section = record.at("section").get<std::string>();
  testCase.name = record.at("name").get<std::string>();
  testCase.sourceLine = record.at("source_line").get<int>();
  testCase.expression = record.at("expr").get<std::string>();

  for (const auto& [name, value] : record.at("bindings").items()) {
    testCase.bindings.emplace_back(name, value.dump());
  }
  for (const auto& declaration : record.at("type_env")) {
    testCase.declarations.push_back(
        {declaration.at("name").get<std::string>(), declaration.at("type").get<std::string>()});
  }

  const json& expect = record.at("expect");
  if (expect.contains("value")) {
    testCase.expectedValue = expect.at("value").dump();
  } else if (expect.contains("error")) {
    testCase.expectsError = true;
  } else {
    throw std::runtime_error("only the expectations `value` and `error` are supported");
  }
  return testCase;
}

CaseFile readCaseFile(const fs::path& path, std::vector<std::string>& errors) {
  CaseFile file;
  file.name = path.stem().string();
  std::ifstream stream(path);
  std::string line;
  for (int number = 1; std::getline(stream, line); ++number) {
    try {
      file.cases.push_back(parseCase(json::parse(line), file.name));
    } catch (const std::exception& error) {
      errors.push_back(path.string() + ":" + std::to_string(number) + ": " + error.what());
    }
  }
  return file;
}

Suite readSuite(const fs::path& directory) {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(directory / "handed")) {
    if (entry.path().extension() == ".jsonl")
      paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  Suite suite;
  for (const auto& path : paths)
    suite.files.push_back(readCaseFile(path, suite.errors));
  return suite;
}

struct SkipList {
  std::map<std::string, std::string> reasons;  // case id to reason
  std::vector<std::string> errors;             // malformed lines, as `line N: problem`
};

SkipList readSkipList(const fs::path& path) {
  SkipList list;
  std::ifstream stream(path);
  if (!stream) {
    list.errors.push_back("cannot open " + path.string());
    return list;
  }
  std::string line;
  for (int number = 1; std::getline(stream, line); ++number) {
    std::istringstream fields(line);
    std::string id;
    fields >> id;
    if (id.empty() || id.starts_with("#"))
      continue;
    std::string reason;
    std::getline(fields >> std::ws, reason);
    std::string where = "line " + std::to_string(number) + ": ";
    if (reason.empty()) {
      list.errors.push_back(where + id + " has no reason");
    } else if (!list.reasons.emplace(id, reason).second) {
      list.errors.push_back(where + id + " is listed twice");
    }
  }
  return list;
}

struct Tally {
  int pass = 0;
  int skip = 0;
  int fail = 0;
  int checkErrors = 0;  // the failures whose expression did not parse or type-check
};

struct Failure {
  const ConformanceCase* testCase;
  std::string kind;
  std::string actual;
};

std::string expectedText(const ConformanceCase& testCase) {
  return testCase.expectsError ? "an error" : testCase.expectedValue;
}

const char* failureKind(const Outcome& outcome) {
  switch (outcome.status) {
    case Outcome::Status::Value:
      return "wrong result";
    case Outcome::Status::CheckError:
      return "check error";
    case Outcome::Status::BadCase:
      return "invalid case";
  }
  return "";
}

void printFailure(std::ostream& out, const Failure& failure) {
  const ConformanceCase& testCase = *failure.testCase;
  out << "  " << testCase.id() << " (source line " << testCase.sourceLine << "): " << failure.kind
      << "\n"
      << "    expr:     " << testCase.expression << "\n"
      << "    expected: " << expectedText(testCase) << "\n"
      << "    actual:   " << failure.actual << "\n";
}

void printTallyRow(std::ostream& out, const std::string& name, const Tally& tally) {
  out << "  " << std::left << std::setw(14) << name << std::right << std::setw(6) << tally.pass
      << std::setw(6) << tally.skip << std::setw(6) << tally.fail;
  if (tally.checkErrors > 0)
    out << "  (check errors: " << tally.checkErrors << ")";
  out << "\n";
}

// Runs every case of `file` on `engine`. A listed case is skipped unless it
// passes, which is a failure because the list is then out of date.
Tally runCaseFile(const CaseFile& file, run::Engine engine, const SkipList& skips,
                  std::vector<Failure>& failures, std::set<std::string>& skipped) {
  Tally tally;
  for (const auto& testCase : file.cases) {
    Outcome outcome = evaluateCase(testCase, engine);
    bool passes = meetsExpectation(testCase, outcome);
    bool listed = skips.reasons.count(testCase.id()) != 0;
    if (listed && passes) {
      ++tally.fail;
      failures.push_back({&testCase,
                          "passes but is listed in cel_skip.txt; remove it from the list",
                          describe(outcome)});
      ADD_FAILURE() << testCase.id() << " passes; remove it from the skip list";
    } else if (listed) {
      ++tally.skip;
      skipped.insert(testCase.id());
    } else if (passes) {
      ++tally.pass;
    } else {
      ++tally.fail;
      if (outcome.status == Outcome::Status::CheckError)
        ++tally.checkErrors;
      failures.push_back({&testCase, failureKind(outcome), describe(outcome)});
    }
  }
  return tally;
}

class CelConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path directory = conformanceDirectory();
    if (!fs::is_directory(directory)) {
      GTEST_SKIP() << "the CEL conformance directory " << directory.string()
                   << " is missing; set CRM_CONFORMANCE_DIR to the folder that holds handed/";
    }
    fs::path handed = directory / "handed";
    ASSERT_TRUE(fs::is_directory(handed)) << handed.string() << " is missing";
    suite_ = readSuite(directory);
    for (const auto& error : suite_.errors)
      ADD_FAILURE() << error;
    ASSERT_FALSE(suite_.files.empty()) << "no .jsonl file in " << handed.string();
    skips_ = readSkipList(skipListPath());
  }

  Suite suite_;
  SkipList skips_;
};

TEST_F(CelConformance, SkipListIsWellFormed) {
  for (const auto& error : skips_.errors)
    ADD_FAILURE() << skipListPath().string() << " " << error;
  std::set<std::string> ids;
  for (const auto& file : suite_.files) {
    for (const auto& testCase : file.cases) {
      EXPECT_TRUE(ids.insert(testCase.id()).second)
          << "two cases are named " << testCase.id() << ", so a skip list entry is ambiguous";
    }
  }
  for (const auto& [id, reason] : skips_.reasons) {
    EXPECT_TRUE(ids.count(id) != 0)
        << "cel_skip.txt lists " << id << ", which names no case of the suite";
  }
}

TEST_F(CelConformance, HandedCasesPassOnEveryEngine) {
  for (run::Engine engine : kEngines) {
    SCOPED_TRACE(run::engineName(engine));
    std::ostream& out = std::cout;
    out << "CEL conformance on the " << run::engineName(engine) << "\n"
        << "  file            pass  skip  fail\n";
    Tally total;
    std::vector<Failure> failures;
    std::set<std::string> skipped;
    for (const auto& file : suite_.files) {
      Tally tally = runCaseFile(file, engine, skips_, failures, skipped);
      printTallyRow(out, file.name, tally);
      total.pass += tally.pass;
      total.skip += tally.skip;
      total.fail += tally.fail;
      total.checkErrors += tally.checkErrors;
    }
    printTallyRow(out, "total", total);

    int applicable = total.pass + total.fail;
    double rate = applicable == 0 ? 0.0 : static_cast<double>(total.pass) / applicable;
    std::ostringstream percent;
    percent << std::fixed << std::setprecision(1) << rate * 100;
    out << "  pass rate " << percent.str() << "% of " << applicable
        << " cases that are not skipped\n";
    if (!failures.empty())
      out << "failing cases:\n";
    for (const auto& failure : failures)
      printFailure(out, failure);
    out.flush();

    EXPECT_GE(rate, kRequiredPassRate)
        << total.fail << " of " << applicable << " cases fail on the " << run::engineName(engine);
    for (const auto& id : skipped) {
      EXPECT_TRUE(skips_.reasons.count(id) != 0) << id << " was skipped but is not listed";
    }
  }
}

}  // namespace
}  // namespace crm::testing::cel
