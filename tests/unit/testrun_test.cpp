// `crm test` on the scripts of tests/testrun and examples/, on both
// engines: exact failure messages and locations, the summary, exit codes,
// the filter, the JUnit file and coverage; and the store of given rows.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/cli.h"
#include "loader/loader.h"
#include "runtime/field_read.h"
#include "tests/support/engines.h"
#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

struct TestRun {
  int exitCode;
  std::string out;
  std::string err;
};

const std::string kDir = std::string(CRM_SOURCE_DIR) + "/tests/testrun/";

TestRun runTests(std::vector<std::string> arguments, run::Engine engine) {
  arguments.insert(arguments.begin(), {"crm", "test", "--engine", run::engineName(engine)});
  std::vector<const char*> argv;
  for (const auto& argument : arguments) argv.push_back(argument.c_str());
  std::ostringstream out;
  std::ostringstream err;
  int code = cli::runCli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

// `text` with DIR/ standing for the folder of the test scripts.
std::string inDir(const std::string& text) {
  return std::regex_replace(text, std::regex("DIR/"), kDir);
}

class TestCommand : public ::testing::TestWithParam<run::Engine> {};

INSTANTIATE_TEST_SUITE_P(Engines, TestCommand, ::testing::ValuesIn(kEngines),
                         [](const auto& info) { return std::string(run::engineName(info.param)); });

TEST_P(TestCommand, ExamplesPass) {
  TestRun result = runTests({std::string(CRM_SOURCE_DIR) + "/examples"}, GetParam());
  // Several pass only because pressure caps apply. The birthday coupon
  // loses the calendar day to the greeting, and the win-back mailer loses
  // its group's 14 days to the coupon. In the store examples, the cart
  // reminder, the browse banner and the cart rescue call lose their group's
  // window to a campaign of higher priority.
  EXPECT_EQ(result.out, "32 passed, 0 failed\n");
  EXPECT_EQ(result.exitCode, cli::kSuccess);
}

TEST_P(TestCommand, PassingTestsExitZero) {
  TestRun result = runTests({kDir + "passing.crm", kDir + "shop.crm"}, GetParam());
  EXPECT_EQ(result.out, "5 passed, 0 failed\n");
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.exitCode, cli::kSuccess);
}

TEST_P(TestCommand, ImportedTestsDoNotRun) {
  TestRun result = runTests({kDir + "passing.crm"}, GetParam());
  EXPECT_EQ(result.out, "4 passed, 0 failed\n");
  EXPECT_EQ(result.exitCode, cli::kSuccess);
}

TEST_P(TestCommand, FailuresShowExpectedAndActual) {
  TestRun result = runTests({kDir + "failing.crm"}, GetParam());
  EXPECT_EQ(result.out, inDir(
      "FAIL DIR/failing.crm:6:6: test \"every kind of expectation fails\"\n"
      "  DIR/failing.crm:18:3: expected `thanks` to be sent via sms, but it was sent via email\n"
      "  DIR/failing.crm:19:3: expected no send of `thanks`, but it was sent via email\n"
      "  DIR/failing.crm:20:3: expected `nudge` to be sent, but it was not: its audience is false\n"
      "  DIR/failing.crm:21:3: expected `receipt` to be sent, but it was not: its trigger "
      "`order_placed` did not fire\n"
      "  DIR/failing.crm:22:3: expected segment `pricing_visitor` to hold, but it does not\n"
      "  DIR/failing.crm:23:3: expected the offer of `thanks` to contain 'p1', but it is ['p2']\n"
      "  DIR/failing.crm:24:3: expected the offer of `nudge` to contain 'p1', but it has no "
      "offer: its audience is false\n"
      "  DIR/failing.crm:25:3: expected `spend == 100.00` to be true, but it is false: the left "
      "side is 120.00 and the right side is 100.00\n"
      "  DIR/failing.crm:26:3: expected `customer.orders.map(o, o.product.name) == [\"Tea\"]` to "
      "be true, but it is false: the left side is [\"Pot\"] and the right side is [\"Tea\"]\n"
      "  DIR/failing.crm:27:3: expected `never` to be true, but it is false\n"
      "  DIR/failing.crm:28:3: expected a run-time error containing \"overflow\", but there was "
      "none\n"
      "FAIL DIR/failing.crm:31:6: test \"an unexpected run-time error fails the test\"\n"
      "  DIR/failing.crm:31:6: run-time error in `large_orders`: division by zero; add `expect "
      "error` if the test expects it\n"
      "FAIL DIR/failing.crm:37:6: test \"an expected error with other text\"\n"
      "  DIR/failing.crm:40:3: expected a run-time error containing \"overflow\", but the errors "
      "were: `large_orders`: division by zero\n"
      "FAIL DIR/failing.crm:43:6: test \"no channel reaches the customer\"\n"
      "  DIR/failing.crm:50:3: expected `thanks` to be sent, but it was not: no reachable "
      "channel\n"
      "FAIL DIR/failing.crm:54:6: test \"an expectation that is an error\"\n"
      "  DIR/failing.crm:57:3: expected `average_order > 1.00` to be true, but it is an error: "
      "division by zero\n"
      "1 passed, 5 failed\n"));
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
}

TEST_P(TestCommand, BadDataIsReportedWhereItIs) {
  TestRun result = runTests({kDir + "bad_data.crm"}, GetParam());
  EXPECT_EQ(result.out, inDir(
      "FAIL DIR/bad_data.crm:6:6: test \"a key given twice and a key that names no row\"\n"
      "  DIR/bad_data.crm:10:12: `Product` 'p1' is given twice; the first is at "
      "DIR/bad_data.crm:9:12\n"
      "  DIR/bad_data.crm:14:41: `product` names `Product` 'p9', which the test does not give; "
      "add that row or give it inline as a `{ field: value }` map\n"
      "FAIL DIR/bad_data.crm:19:6: test \"a missing key and a field without a default\"\n"
      "  DIR/bad_data.crm:22:3: this `Customer` row lacks its key `id`\n"
      "  DIR/bad_data.crm:24:14: this `Order` row lacks the field `at`, which has no default; "
      "give it\n"
      "FAIL DIR/bad_data.crm:29:6: test \"no customer\"\n"
      "  DIR/bad_data.crm:29:6: the test gives no customer; add `customer { ... }` with its key\n"
      "FAIL DIR/bad_data.crm:34:6: test \"two customers\"\n"
      "  DIR/bad_data.crm:37:3: a test gives one customer; this is a second one\n"
      "FAIL DIR/bad_data.crm:41:6: test \"a value that is an error\"\n"
      "  DIR/bad_data.crm:43:32: this value is an error: cannot convert '2026-02-30' to date\n"
      "FAIL DIR/bad_data.crm:47:6: test \"data that reads the customer\"\n"
      "  DIR/bad_data.crm:49:32: give the rows of `orders` as a list of `{ field: value }` maps\n"
      "  DIR/bad_data.crm:49:54: test data cannot read `customer`, `catalog`, lets, segments or "
      "recommendations; write the value itself\n"
      "0 passed, 6 failed\n"));
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
}

TEST_P(TestCommand, RowsBelongToTheirOwnLists) {
  TestRun result = runTests({kDir + "nested.crm"}, GetParam());
  EXPECT_EQ(result.out, inDir(
      "FAIL DIR/nested.crm:37:6: test \"rows outside the list that owns them\"\n"
      "  DIR/nested.crm:39:3: a `Book` row belongs to the list of its `Shelf`; give it there\n"
      "  DIR/nested.crm:40:3: a `Book` row belongs to the list of its `Shelf`; give it there\n"
      "  DIR/nested.crm:41:36: a `Book` row belongs to the list of its `Shelf`; give it there "
      "and refer to it by its key\n"
      "FAIL DIR/nested.crm:63:6: test \"a record in a list lacks a field without a default\"\n"
      "  DIR/nested.crm:65:33: this `Note` lacks the field `due`, which has no default; give it\n"
      "2 passed, 2 failed\n"));
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
}

TEST_P(TestCommand, CheckErrorsStopTheFile) {
  TestRun result = runTests({kDir + "broken.crm", kDir + "shop.crm"}, GetParam());
  EXPECT_NE(result.out.find(inDir("DIR/broken.crm:5:6: error[E0114]: test \"a customer key of "
                                  "the wrong type\" lacks `now`")),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find(inDir("DIR/broken.crm:6:18: error[E0201]: field `id` must be "
                                  "`string`, not `int`")),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find(inDir("2 errors in DIR/broken.crm\n"
                                  "error: the tests of DIR/broken.crm did not run\n")),
            std::string::npos)
      << result.out;
  // The other file's tests still run.
  EXPECT_NE(result.out.find("\n1 passed, 0 failed, 1 file with errors\n"), std::string::npos)
      << result.out;
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
}

TEST_P(TestCommand, FilterTakesTextOrGlob) {
  struct Case {
    std::string filter;
    std::string summary;
    int exitCode;
  };
  const Case cases[] = {
      {"passes", "1 passed, 0 failed\n", cli::kSuccess},
      // A filter that selects no test is a usage error, so that a
      // mistyped one cannot pass a CI job without running anything.
      {"PASSES", "0 passed, 0 failed\n", cli::kUsageError},
      {"*error*", "0 passed, 3 failed\n", cli::kInvalidInput},
      {"an ex*", "0 passed, 2 failed\n", cli::kInvalidInput},
      // A glob matches the whole name.
      {"error*", "0 passed, 0 failed\n", cli::kUsageError},
      {"this one passe?", "1 passed, 0 failed\n", cli::kSuccess},
  };
  for (const auto& c : cases) {
    TestRun result = runTests({kDir + "failing.crm", "--filter", c.filter}, GetParam());
    std::string summary = result.out.substr(result.out.rfind('\n', result.out.size() - 2) + 1);
    EXPECT_EQ(summary, c.summary) << c.filter << "\n" << result.out;
    EXPECT_EQ(result.exitCode, c.exitCode) << c.filter;
    if (c.exitCode == cli::kUsageError) {
      EXPECT_NE(result.err.find("crm: no test matches --filter '" + c.filter + "'"),
                std::string::npos)
          << result.err;
    }
  }
}

TEST_P(TestCommand, JunitListsEveryTestAndFailure) {
  std::string path = ::testing::TempDir() + "crm_junit_" + std::to_string(::getpid()) + ".xml";
  TestRun result = runTests({kDir + "failing.crm", kDir + "shop.crm", kDir + "broken.crm",
                             "--filter", "*te[sx]t*", "--junit", path},
                            GetParam());
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
  std::string xml = std::regex_replace(readFile(path), std::regex("time=\"[0-9.]+\""), "time=\"T\"");
  std::filesystem::remove(path);
  std::string expected = inDir(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"crm test\" tests=\"4\" failures=\"2\" errors=\"1\" time=\"T\">\n"
      "  <testsuite name=\"DIR/failing.crm\" tests=\"2\" failures=\"2\" errors=\"0\" "
      "time=\"T\">\n"
      "    <testcase name=\"an unexpected run-time error fails the test\" "
      "classname=\"DIR/failing.crm\" file=\"DIR/failing.crm\" time=\"T\">\n"
      "      <failure message=\"run-time error in `large_orders`: division by zero; add `expect "
      "error` if the test expects it\" type=\"failure\">DIR/failing.crm:31:6: run-time error in "
      "`large_orders`: division by zero; add `expect error` if the test expects it</failure>\n"
      "    </testcase>\n"
      "    <testcase name=\"an expected error with other text\" classname=\"DIR/failing.crm\" "
      "file=\"DIR/failing.crm\" time=\"T\">\n"
      "      <failure message=\"expected a run-time error containing &quot;overflow&quot;, but "
      "the errors were: `large_orders`: division by zero\" type=\"failure\">DIR/failing.crm:40:3: "
      "expected a run-time error containing &quot;overflow&quot;, but the errors were: "
      "`large_orders`: division by zero</failure>\n"
      "    </testcase>\n"
      "  </testsuite>\n"
      "  <testsuite name=\"DIR/shop.crm\" tests=\"1\" failures=\"0\" errors=\"0\" time=\"T\">\n"
      "    <testcase name=\"the shop&apos;s own test runs only when shop.crm is given\" "
      "classname=\"DIR/shop.crm\" file=\"DIR/shop.crm\" time=\"T\"/>\n"
      "  </testsuite>\n"
      "  <testsuite name=\"DIR/broken.crm\" tests=\"1\" failures=\"0\" errors=\"1\" time=\"T\">\n"
      "    <testcase name=\"check\" classname=\"DIR/broken.crm\" time=\"T\">\n"
      "      <error message=\"the script did not check\" type=\"check\">");
  EXPECT_EQ(xml.substr(0, expected.size()), expected);
  EXPECT_NE(xml.find("error[E0114]: test &quot;a customer key of the wrong type&quot; lacks "
                     "`now`"),
            std::string::npos)
      << xml;
  std::string tail = "</error>\n    </testcase>\n  </testsuite>\n</testsuites>\n";
  ASSERT_GE(xml.size(), tail.size());
  EXPECT_EQ(xml.substr(xml.size() - tail.size()), tail);
}

TEST_P(TestCommand, JunitFileThatCannotBeWrittenFails) {
  TestRun result = runTests({kDir + "shop.crm", "--junit", "/nonexistent-folder/results.xml"},
                            GetParam());
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
  EXPECT_NE(result.err.find("/nonexistent-folder/results.xml"), std::string::npos) << result.err;
}

TEST_P(TestCommand, CoverageCountsSegmentsCampaignsChannels) {
  TestRun result = runTests({kDir + "passing.crm", kDir + "shop.crm", "--coverage"}, GetParam());
  EXPECT_EQ(result.out, inDir(
      "5 passed, 0 failed\n"
      "coverage:\n"
      "  covered     segment big_spender (DIR/shop.crm:64:9): held in 2 tests, not in 3 tests\n"
      "  covered     segment pricing_visitor (DIR/shop.crm:66:9): held in 1 test, not in 4 "
      "tests\n"
      "  not covered segment never (DIR/shop.crm:68:9): held in 0 tests, not in 5 tests\n"
      "  covered     campaign thanks (DIR/shop.crm:76:10): sent in 2 tests\n"
      "  covered     campaign nudge (DIR/shop.crm:83:10): sent in 1 test\n"
      "  covered     campaign receipt (DIR/shop.crm:89:10): sent in 1 test\n"
      "  covered     campaign large_orders (DIR/shop.crm:95:10): sent in 1 test\n"
      "  not covered campaign unused (DIR/shop.crm:100:10): sent in 0 tests\n"
      "  covered     campaign pricing_help (DIR/shop.crm:125:10): sent in 1 test\n"
      "  covered     channel email (DIR/shop.crm:54:9): used by 5 sends\n"
      "  covered     channel sms (DIR/shop.crm:56:9): used by 1 send\n"
      "  not covered channel post (DIR/shop.crm:58:9): used by 0 sends\n"
      "  not covered pressure rule `at most 5 per 1d` (DIR/shop.crm:108:3): capped a candidate "
      "in 0 tests\n"
      "coverage: 9 of 13 (69.2%) of segments, campaigns, channels and pressure rules\n"));
  EXPECT_EQ(result.exitCode, cli::kSuccess);
}

TEST_P(TestCommand, ACapThatDropsACandidateIsCovered) {
  TestRun result =
      runTests({std::string(CRM_SOURCE_DIR) + "/examples/winback/winback.crm", "--coverage"}, GetParam());
  EXPECT_NE(result.out.find("  covered     pressure rule `at most 1 per 14d in group winback` ("),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("): capped a candidate in 1 test\n"), std::string::npos) << result.out;
}

TEST_P(TestCommand, MinCoverageFailsBelowThreshold) {
  std::vector<std::string> files = {kDir + "passing.crm", kDir + "shop.crm"};
  auto with = [&](std::string threshold) {
    std::vector<std::string> arguments = files;
    arguments.push_back("--min-coverage");
    arguments.push_back(threshold);
    return runTests(arguments, GetParam());
  };
  TestRun below = with("69.3");
  EXPECT_EQ(below.exitCode, cli::kInvalidInput);
  EXPECT_EQ(below.err, "crm: coverage 69.2% is below --min-coverage 69.3%\n");
  EXPECT_EQ(below.out, "5 passed, 0 failed\n");
  EXPECT_EQ(with("69").exitCode, cli::kSuccess);
  EXPECT_EQ(with("0").exitCode, cli::kSuccess);
}

TEST_P(TestCommand, UsageErrorsExitTwo) {
  std::string empty = ::testing::TempDir() + "crm_empty_" + std::to_string(::getpid());
  std::filesystem::create_directories(empty);
  TestRun noFiles = runTests({empty}, GetParam());
  std::filesystem::remove_all(empty);
  EXPECT_EQ(noFiles.exitCode, cli::kUsageError);
  EXPECT_EQ(noFiles.err, "crm: no .crm files found in the given folders\n");
  EXPECT_EQ(runTests({kDir + "shop.crm", "--min-coverage", "101"}, GetParam()).exitCode,
            cli::kUsageError);
  EXPECT_EQ(runTests({kDir + "shop.crm", "--no-such-option"}, GetParam()).exitCode,
            cli::kUsageError);
}

TEST_P(TestCommand, MissingFileIsACheckError) {
  TestRun result = runTests({kDir + "no_such_file.crm"}, GetParam());
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
  EXPECT_NE(result.out.find("no such file"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("0 passed, 0 failed, 1 file with errors\n"), std::string::npos);
}

// Children given after rows of a later parent still land in their own
// parent's slice, and references resolve by key.
TEST(GivenRows, ChildrenFollowTheirParents) {
  auto compilation = checkText(
      "customer entity C key id { id: string  orders: list<O>  tags: set<string> }\n"
      "entity O key oid { oid: string  p: P }\n"
      "catalog entity P key pid { pid: string }\n");
  ASSERT_FALSE(compilation->hasErrors()) << summarize(*compilation);
  std::vector<const ast::Script*> scripts = {compilation->scripts[0].get()};
  const auto& customer = ast::as<ast::EntityDecl>(*scripts[0]->decls[0]);
  const auto& order = ast::as<ast::EntityDecl>(*scripts[0]->decls[1]);
  const auto& product = ast::as<ast::EntityDecl>(*scripts[0]->decls[2]);
  using runtime::Value;
  std::vector<load::GivenRow> rows = {
      {&product, {Value::string("p1")}, SIZE_MAX},
      {&customer, {Value::string("c1"), Value(), Value::list({Value::string("a")})}, SIZE_MAX},
      {&customer, {Value::string("c2"), Value(), Value::list({})}, SIZE_MAX},
      {&order, {Value::string("o1"), Value::string("p1")}, 2},
      {&order, {Value::string("o2"), Value::string("p1")}, 1},
      {&order, {Value::string("o3"), Value::string("p9")}, 2},
  };

  auto built = load::buildStore(scripts, rows);
  ASSERT_TRUE(built.report.errors.empty()) << built.report.errors[0];

  const runtime::Table& customers = *built.store->table("C");
  const runtime::Table& orders = *built.store->table("O");
  ASSERT_EQ(customers.rowCount, 2u);
  ASSERT_EQ(orders.rowCount, 3u);
  EXPECT_EQ(customers.keyText(0), "c1");
  EXPECT_EQ(orders.keyText(0), "o2");
  EXPECT_EQ(orders.keyText(1), "o1");
  EXPECT_EQ(orders.keyText(2), "o3");

  Value first = runtime::readField(customers, 1, 0);
  Value second = runtime::readField(customers, 1, 1);
  EXPECT_EQ(first.listSize(), 1u);
  EXPECT_EQ(second.listSize(), 2u);
  EXPECT_EQ(runtime::displayText(runtime::readField(customers, 2, 0)), "[a]");
  EXPECT_EQ(runtime::readField(customers, 2, 1).listSize(), 0u);

  Value resolved = runtime::readField(orders, 1, 0);
  EXPECT_FALSE(resolved.isUnresolvedRow());
  EXPECT_EQ(runtime::displayText(resolved), "p1");
  EXPECT_TRUE(runtime::readField(orders, 1, 2).isUnresolvedRow());
}

TEST(GivenRows, WrongValueKindIsAnError) {
  auto compilation = checkText("customer entity C key id { id: string  n: int }\n");
  ASSERT_FALSE(compilation->hasErrors()) << summarize(*compilation);
  std::vector<const ast::Script*> scripts = {compilation->scripts[0].get()};
  const auto& customer = ast::as<ast::EntityDecl>(*scripts[0]->decls[0]);
  auto built = load::buildStore(
      scripts, {{&customer, {runtime::Value::string("c1"), runtime::Value::string("x")}, SIZE_MAX}});
  ASSERT_EQ(built.report.errors.size(), 1u);
  EXPECT_EQ(built.report.errors[0], "`C.n` is given a string value");
}

}  // namespace
}  // namespace crm::testing
