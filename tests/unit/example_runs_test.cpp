// Runs every example script on its bundled data at a fixed instant and
// compares the decisions with the checked-in file of its folder,
// examples/NAME/expected.jsonl. CRM_UPDATE_GOLDEN=1 rewrites those files
// instead (scripts/update-golden.sh does it for every golden test).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "run/prepare.h"
#include "run/run.h"
#include "runtime/time.h"
#include "tests/support/engines.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

struct ExampleRun {
  // The folder under examples/, which contains NAME.crm and expected.jsonl.
  const char* name;
  // Chosen so that the example's segments have members in its data: 2017
  // for the Complete Journey scripts, two hours after the end of the store's
  // clickstream, so that its delayed triggers are due, and for the call
  // center 09:30 in Moscow, when it is open.
  const char* asOf;
};

const ExampleRun kExamples[] = {
    {"welcome", "2017-01-10T12:00:00Z"},
    {"post_purchase", "2017-12-05T15:00:00Z"},
    {"cross_sell", "2017-12-05T15:00:00Z"},
    {"winback", "2018-01-15T00:00:00Z"},
    {"high_value", "2018-02-01T15:00:00Z"},
    {"birthday", "2018-01-15T00:00:00Z"},
    {"store_journeys", "2019-10-01T05:00:00Z"},
    {"cart_abandonment", "2019-10-01T05:00:00Z"},
    {"browse_abandonment", "2019-10-01T05:00:00Z"},
    {"vip_call_center", "2019-10-01T06:30:00Z"},
};

std::string decisionsOf(const run::Prepared& prepared, int64_t asOf, unsigned threads,
                        run::Engine engine) {
  run::RunOptions options;
  options.asOf = asOf;
  options.threads = threads;
  options.engine = engine;
  run::RunResult result = run::runProgram(*prepared.program, *prepared.store, options);
  EXPECT_EQ(result.errorCount, 0u);
  return run::formatDecisions(run::OutputFormat::Jsonl, *prepared.program, *prepared.store,
                              result, asOf);
}

class ExampleRunTest
    : public ::testing::TestWithParam<std::tuple<ExampleRun, run::Engine>> {};

TEST_P(ExampleRunTest, DecisionsMatchTheCheckedInFile) {
  const auto& [example, engine] = GetParam();
  std::string root = CRM_SOURCE_DIR;
  run::Prepared prepared =
      run::prepareScript(root + "/examples/" + example.name + "/" + example.name + ".crm",
                        load::LoadOptions{});
  ASSERT_TRUE(prepared.ok()) << testing::summarize(*prepared.compilation);
  int64_t asOf = *runtime::parseTimestamp(example.asOf);

  std::string single = decisionsOf(prepared, asOf, 1, engine);
  std::string parallel = decisionsOf(prepared, asOf, 2, engine);
  EXPECT_EQ(single, parallel) << "the decisions depend on the thread count";

  std::string expectedPath = root + "/examples/" + example.name + "/expected.jsonl";
  if (std::getenv("CRM_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expectedPath, std::ios::binary) << single;
    return;
  }
  std::ifstream in(expectedPath, std::ios::binary);
  ASSERT_TRUE(in) << expectedPath << " is missing; run scripts/update-golden.sh";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(single, expected.str()) << "the decisions differ from " << expectedPath;
}

INSTANTIATE_TEST_SUITE_P(
    Examples, ExampleRunTest,
    ::testing::Combine(::testing::ValuesIn(kExamples), ::testing::ValuesIn(testing::kEngines)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param).name) + "_" +
             run::engineName(std::get<1>(info.param));
    });

// Every folder of examples/ other than the shared schema and data is a
// scenario: its script, its expected decisions and its README are there,
// and the table above runs it.
TEST(ExampleFolders, EachHasScriptDecisionsAndReadme) {
  namespace fs = std::filesystem;
  std::set<std::string> listed;
  for (const auto& example : kExamples) listed.insert(example.name);

  std::set<std::string> folders;
  for (const auto& entry : fs::directory_iterator(fs::path(CRM_SOURCE_DIR) / "examples")) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name == "schema" || name == "data") continue;
    folders.insert(name);
    EXPECT_TRUE(fs::is_regular_file(entry.path() / (name + ".crm"))) << name;
    EXPECT_TRUE(fs::is_regular_file(entry.path() / "expected.jsonl")) << name;
    EXPECT_TRUE(fs::is_regular_file(entry.path() / "README.md")) << name;
  }
  EXPECT_EQ(folders, listed) << "add each example folder to kExamples";
}

}  // namespace
}  // namespace crm
