// The HTML report of a run: the numbers of every chart and table, the run's
// metadata, escaping of data that contains markup, and `crm run --report`.
// The numbers are worked out by hand in tests/support/report_fixture.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "report/html.h"
#include "report/report.h"
#include "tests/support/engines.h"
#include "tests/support/report_fixture.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

namespace fs = std::filesystem;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fs::path testDir(const std::string& name, const void* owner) {
  return fs::temp_directory_path() / ("crm_report_test_" + name + "_" + std::to_string(::getpid()) +
                                      "_" + std::to_string(reinterpret_cast<uintptr_t>(owner)));
}

class ReportTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void SetUp() override {
    dir_ = testDir("run", this);
    run_ = std::make_unique<testing::ReportRun>(dir_, GetParam());
    ASSERT_EQ(run_->problem, "");
  }
  void TearDown() override { fs::remove_all(dir_); }

  const std::string& html() const { return run_->html; }

  fs::path dir_;
  std::unique_ptr<testing::ReportRun> run_;
};

TEST_P(ReportTest, ChartsCarryExpectedNumbers) {
  for (const auto& [id, expected] : testing::expectedCharts()) {
    auto tags = testing::tagsWithin(html(), "chart-" + id);
    ASSERT_FALSE(tags.empty()) << "no chart-" << id;
    EXPECT_EQ(tags.front().name, "svg") << id;
    EXPECT_EQ(testing::dataValues(html(), "chart-" + id), expected) << id;
  }
}

TEST_P(ReportTest, TablesCarryTheChartsNumbers) {
  for (const auto& [id, expected] : testing::expectedCharts()) {
    auto tags = testing::tagsWithin(html(), "table-" + id);
    ASSERT_FALSE(tags.empty()) << "no table-" << id;
    EXPECT_EQ(tags.front().name, "table") << id;
    EXPECT_EQ(testing::dataValues(html(), "table-" + id), expected) << id;
  }
}

TEST_P(ReportTest, NumbersAgreeWithRunResult) {
  const run::RunResult& result = run_->result;
  const ir::Program& program = *run_->prepared.program;
  auto suppressions = testing::dataValues(html(), "chart-suppressions");
  for (size_t c = 0; c < program.campaigns.size(); ++c) {
    size_t fromResult = 0;
    for (const auto& [reason, count] : result.dropsByReason[c])
      fromResult += count;
    size_t fromReport = 0;
    for (const auto& [key, count] : suppressions) {
      if (key.first == program.campaigns[c].name)
        fromReport += static_cast<size_t>(count);
    }
    EXPECT_EQ(fromReport, fromResult) << program.campaigns[c].name;
  }
  EXPECT_EQ(result.dropsByReason[1].at("no capacity"), 1u);
  EXPECT_EQ(result.dropsByReason[2].at("capped by `at most 1 per 1d`"), 2u);

  auto capacity = testing::dataValues(html(), "chart-capacity");
  for (size_t i = 0; i < program.channels.size(); ++i) {
    EXPECT_EQ(capacity.at({program.channels[i].name, "messages"}),
              static_cast<int64_t>(result.channelSends[i]));
  }
  auto histogram = testing::dataValues(html(), "chart-messages-per-customer");
  int64_t customers = 0;
  for (const auto& [key, count] : histogram)
    customers += count;
  EXPECT_EQ(customers, static_cast<int64_t>(result.customers));
}

TEST_P(ReportTest, CapacityTrackShowsLimit) {
  std::map<std::string, std::string> capacities;
  for (const auto& tag : testing::tagsWithin(html(), "chart-capacity")) {
    auto it = tag.attributes.find("data-capacity");
    if (it != tag.attributes.end())
      capacities[tag.attributes.at("data-label")] = it->second;
  }
  EXPECT_EQ(capacities, (std::map<std::string, std::string>{{"sms", "1"}}));
  std::map<std::string, std::string> tableCapacities;
  for (const auto& tag : testing::tagsWithin(html(), "table-capacity")) {
    auto it = tag.attributes.find("data-capacity");
    if (it != tag.attributes.end())
      tableCapacities[tag.attributes.at("data-label")] = it->second;
  }
  EXPECT_EQ(tableCapacities, capacities);
}

TEST_P(ReportTest, CandidatesTableCountsMessagesAndDrops) {
  testing::ChartValues expected = {{{"receipt", "messages"}, 1},  {{"receipt", "dropped"}, 0},
                                   {{"promo", "messages"}, 2},    {{"promo", "dropped"}, 3},
                                   {{"reminder", "messages"}, 0}, {{"reminder", "dropped"}, 3},
                                   {{"night", "messages"}, 0},    {{"night", "dropped"}, 4}};
  EXPECT_EQ(testing::dataValues(html(), "table-candidates"), expected);
}

TEST_P(ReportTest, MetadataNamesScriptHashAndSources) {
  std::string script = testing::readFile(run_->scriptPath.string());
  std::string hash = report::sha256Hex(script);
  ASSERT_EQ(hash.size(), 64u);
  EXPECT_TRUE(has(html(), hash));
  EXPECT_TRUE(has(html(), report::escapeHtml(run_->scriptPath.string())));
  EXPECT_TRUE(has(html(), "2024-05-01T12:00:00Z"));
  EXPECT_TRUE(has(html(), GetParam() == run::Engine::Jit ? "<td>jit (-O" : "<td>interp</td>"));
  testing::ChartValues sources = {
      {{"customers", "records"}, 5}, {{"customers", "loaded"}, 5}, {{"customers", "rejected"}, 0},
      {{"likes", "records"}, 6},     {{"likes", "loaded"}, 6},     {{"likes", "rejected"}, 0},
      {{"products", "records"}, 4},  {{"products", "loaded"}, 4},  {{"products", "rejected"}, 0}};
  EXPECT_EQ(testing::dataValues(html(), "table-sources"), sources);
  std::vector<std::string> steps;
  for (const auto& tag : testing::tagsWithin(html(), "table-timings")) {
    if (tag.attributes.count("data-seconds") != 0)
      steps.push_back(tag.attributes.at("data-seconds"));
  }
  EXPECT_EQ(steps.size(), 5u);
}

TEST_P(ReportTest, ErrorsListRuleAndCustomer) {
  EXPECT_EQ(testing::dataValues(html(), "table-errors"),
            (testing::ChartValues{{{"promo", "errors"}, 1}}));
  auto tags = testing::tagsWithin(html(), "table-error-list");
  ASSERT_FALSE(tags.empty());
  EXPECT_TRUE(has(html(), "<td class=\"mono\">c5&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
}

TEST_P(ReportTest, HostileDataIsEscaped) {
  EXPECT_FALSE(has(html(), "<script")) << "a customer key became markup";
  EXPECT_FALSE(has(html(), "<img")) << "a product key became markup";
  EXPECT_FALSE(has(html(), "<Bread>")) << "a category became markup";
  EXPECT_FALSE(has(html(), "<&>")) << "a source path became markup";
  EXPECT_TRUE(has(html(), "c5&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(has(html(), "&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_TRUE(has(html(), "Bakery &amp; &lt;Bread&gt;"));
  EXPECT_TRUE(has(html(), "products&lt;&amp;&gt;.csv"));
  auto products = testing::dataValues(html(), "chart-products-promo");
  EXPECT_EQ(products.count({testing::kHostileProduct, "messages"}), 1u);
}

TEST_P(ReportTest, LoadsNothingFromOutside) {
  for (const char* part : {"http:", "https:", "src=\"", "href=\"", "url(", "@import", "<link",
                           "<script", "<iframe", "<object", "<img"}) {
    EXPECT_FALSE(has(html(), part)) << part;
  }
  EXPECT_EQ(html().rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_TRUE(has(html(), "<meta charset=\"utf-8\">"));
}

INSTANTIATE_TEST_SUITE_P(Engines, ReportTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

// A script with customers and nothing to decide still gets every section.
class EmptyReportTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void TearDown() override { fs::remove_all(testDir("empty", this)); }
};

TEST_P(EmptyReportTest, SectionsSayWhatIsMissing) {
  fs::path dir = testDir("empty", this);
  fs::create_directories(dir);
  std::ofstream(dir / "script.crm")
      << "customer entity C key id { id: string }\n"
         "source people: C from csv(\"people.csv\") { columns { id } }\n";
  std::ofstream(dir / "people.csv") << "id\na\nb\n";
  run::Prepared prepared = run::prepareScript((dir / "script.crm").string(), load::LoadOptions{});
  ASSERT_TRUE(prepared.ok()) << testing::summarize(*prepared.compilation);
  run::RunOptions options;
  options.engine = GetParam();
  run::RunResult result = run::runProgram(*prepared.program, *prepared.store, options);
  report::RunInfo info = report::describeRun(prepared);
  info.engine = GetParam();
  std::string html = report::buildReport(*prepared.program, *prepared.store, result, info);

  EXPECT_TRUE(has(html, "The script declares no segment."));
  EXPECT_TRUE(has(html, "The script declares no campaign."));
  EXPECT_TRUE(has(html, "No candidate was dropped."));
  EXPECT_TRUE(has(html, "The script declares no channel."));
  EXPECT_TRUE(has(html, "No campaign has an offer."));
  EXPECT_EQ(testing::dataValues(html, "chart-messages-per-customer"),
            (testing::ChartValues{{{"0", "customers"}, 2}}));
  EXPECT_TRUE(testing::tagsWithin(html, "chart-segments").empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, EmptyReportTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

// Writes `files` into a new folder, runs `main.crm` on `engine` and returns
// its report.
std::string reportOf(const std::vector<std::pair<std::string, std::string>>& files,
                     run::Engine engine, const fs::path& dir, report::RunInfo& info) {
  fs::create_directories(dir);
  for (const auto& [name, text] : files)
    std::ofstream(dir / name) << text;
  run::Prepared prepared = run::prepareScript((dir / "main.crm").string(), load::LoadOptions{});
  EXPECT_TRUE(prepared.ok()) << testing::summarize(*prepared.compilation);
  if (!prepared.ok())
    return "";
  run::RunOptions options;
  options.engine = engine;
  run::RunResult result = run::runProgram(*prepared.program, *prepared.store, options);
  info = report::describeRun(prepared);
  info.engine = engine;
  return report::buildReport(*prepared.program, *prepared.store, result, info);
}

class ReportScriptTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void TearDown() override { fs::remove_all(testDir("script", this)); }
};

TEST_P(ReportScriptTest, ImportedFilesGetTheirHashes) {
  const std::string schema =
      "customer entity C key id { id: string }\n"
      "source people: C from csv(\"people.csv\") { columns { id } }\n";
  const std::string main = "import \"schema.crm\"\nsegment everyone = true\n";
  report::RunInfo info;
  std::string html =
      reportOf({{"schema.crm", schema}, {"main.crm", main}, {"people.csv", "id\na\n"}}, GetParam(),
               testDir("script", this), info);
  ASSERT_EQ(info.scripts.size(), 2u);
  EXPECT_EQ(fs::path(info.scripts[0].path).filename(), "main.crm");
  EXPECT_EQ(info.scripts[0].sha256, report::sha256Hex(main));
  EXPECT_EQ(fs::path(info.scripts[1].path).filename(), "schema.crm");
  EXPECT_EQ(info.scripts[1].sha256, report::sha256Hex(schema));
  auto tags = testing::tagsWithin(html, "table-scripts");
  ASSERT_FALSE(tags.empty());
  EXPECT_TRUE(has(html, "<td class=\"mono\">" + report::sha256Hex(schema) + "</td>"));
  EXPECT_EQ(testing::dataValues(html, "chart-segments"),
            (testing::ChartValues{{{"everyone", "members"}, 1}}));
}

// The offers of a script whose catalog has the given levels clause.
std::vector<std::pair<std::string, std::string>> offerFiles(const std::string& levels) {
  std::string main = R"(
customer entity C key id { id: string  likes: list<L> }
entity L key lid { lid: string  cid: string  product: P }
catalog entity P key pid )" +
                     levels +
                     R"( { pid: string  dept: string? }
source people: C from csv("people.csv") { columns { id } }
source likes: L from csv("likes.csv") { parent: cid  columns { lid  cid  product } }
source products: P from csv("products.csv") { null_values: [""]  columns { pid  dept } }
channel email { reachable: true }
campaign liked { audience: true  channels: email  offer: customer.likes.map(l, l.product) }
)";
  return {{"main.crm", main},
          {"people.csv", "id\na\nb\n"},
          {"likes.csv", "lid,cid,product\n1,a,p1\n2,a,p2\n3,b,p1\n4,b,p3\n"},
          {"products.csv", "pid,dept\np1,food\np2,\np3,food\n"}};
}

TEST_P(ReportScriptTest, CategoriesComeFromTopLevel) {
  report::RunInfo info;
  std::string html =
      reportOf(offerFiles("levels(dept)"), GetParam(), testDir("script", this), info);
  EXPECT_EQ(info.categoryLevel, "dept");
  EXPECT_EQ(testing::dataValues(html, "chart-products-liked"),
            (testing::ChartValues{
                {{"p1", "messages"}, 2}, {{"p2", "messages"}, 1}, {{"p3", "messages"}, 1}}));
  EXPECT_EQ(testing::dataValues(html, "chart-categories-liked"),
            (testing::ChartValues{{{"food", "messages"}, 3}, {{"(none)", "messages"}, 1}}));
  EXPECT_EQ(testing::dataValues(html, "table-categories-liked"),
            (testing::ChartValues{{{"food", "messages"}, 3}, {{"(none)", "messages"}, 1}}));
}

TEST_P(ReportScriptTest, CatalogWithoutLevelsListsProducts) {
  report::RunInfo info;
  std::string html = reportOf(offerFiles(""), GetParam(), testDir("script", this), info);
  EXPECT_EQ(info.categoryLevel, "");
  EXPECT_EQ(testing::dataValues(html, "chart-products-liked"),
            (testing::ChartValues{
                {{"p1", "messages"}, 2}, {{"p2", "messages"}, 1}, {{"p3", "messages"}, 1}}));
  EXPECT_TRUE(testing::tagsWithin(html, "chart-categories-liked").empty());
  EXPECT_TRUE(has(html, "The catalog declares no levels"));
}

INSTANTIATE_TEST_SUITE_P(Engines, ReportScriptTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

TEST(ReportHtml, EscapesMarkupCharacters) {
  struct Case {
    const char* text;
    const char* escaped;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"a & b", "a &amp; b"},
      {"<script>", "&lt;script&gt;"},
      {"\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"},
      {"tab\tand\nline", "tab\tand\nline"},
      {"bell\x07", "bell\xEF\xBF\xBD"},
      {"caf\xC3\xA9", "caf\xC3\xA9"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(report::escapeHtml(c.text), c.escaped) << c.text;
}

TEST(ReportHtml, ShortensByCodePoints) {
  EXPECT_EQ(report::shortened("abc", 3), "abc");
  EXPECT_EQ(report::shortened("abcd", 3), "ab\xE2\x80\xA6");
  // Three two-byte letters: the cut falls between them, never inside one.
  EXPECT_EQ(report::shortened("\xC3\xA9\xC3\xA9\xC3\xA9", 2), "\xC3\xA9\xE2\x80\xA6");
  EXPECT_EQ(report::shortened("anything", 0), "anything");
}

TEST(ReportHtml, GroupsDigits) {
  EXPECT_EQ(report::grouped(0), "0");
  EXPECT_EQ(report::grouped(999), "999");
  EXPECT_EQ(report::grouped(1000), "1,000");
  EXPECT_EQ(report::grouped(1234567), "1,234,567");
}

TEST(ReportHash, Sha256OfKnownTexts) {
  EXPECT_EQ(report::sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(report::sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ReportReader, DecodesCharacterReferences) {
  EXPECT_EQ(testing::unescapeHtml("&lt;a&gt; &amp;&quot;&#39;&#x41;&#233;"), "<a> &\"'A\xC3\xA9");
  EXPECT_EQ(testing::unescapeHtml("a & b"), "a & b");
}

// `crm run --report` writes the same report as the library.
class ReportCliTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void SetUp() override {
    dir_ = testDir("cli", this);
    testing::ReportRun fixture(dir_, GetParam());
    ASSERT_EQ(fixture.problem, "");
    script_ = fixture.scriptPath.string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  int run(std::vector<std::string> arguments, std::string& err) {
    arguments.insert(arguments.begin(),
                     {"crm", "run", script_, "--as-of", "2024-05-01T12:00:00Z", "--threads", "1",
                      "--engine", GetParam() == run::Engine::Jit ? "jit" : "interp"});
    std::vector<const char*> argv;
    for (const auto& argument : arguments)
      argv.push_back(argument.c_str());
    std::ostringstream out;
    std::ostringstream errors;
    int code = cli::runCli(static_cast<int>(argv.size()), argv.data(), out, errors);
    err = errors.str();
    return code;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string script_;
};

TEST_P(ReportCliTest, WritesReportAfterDecisions) {
  std::string err;
  ASSERT_EQ(run({"--out", path("decisions.jsonl"), "--report", path("report.html")}, err),
            cli::kSuccess)
      << err;
  EXPECT_TRUE(has(err, "report: " + path("report.html"))) << err;
  ASSERT_TRUE(fs::exists(path("decisions.jsonl")));
  std::string html = testing::readFile(path("report.html"));
  for (const auto& [id, expected] : testing::expectedCharts()) {
    EXPECT_EQ(testing::dataValues(html, "chart-" + id), expected) << id;
  }
  EXPECT_TRUE(has(html, "<th scope=\"row\">threads</th><td>1</td>"));
}

TEST_P(ReportCliTest, RejectsDashAndOutputPath) {
  std::string err;
  EXPECT_EQ(run({"--report", "-"}, err), cli::kUsageError);
  EXPECT_TRUE(has(err, "--report takes a file path, not '-'")) << err;
  EXPECT_EQ(run({"--out", path("same.html"), "--report", path("same.html")}, err),
            cli::kUsageError);
  EXPECT_TRUE(has(err, "name the same file; give each output its own path")) << err;
  EXPECT_FALSE(fs::exists(path("same.html")));
}

// A missing folder is found before the run, which then writes nothing. A
// report that fails later keeps the decisions (ReliabilityTest).
TEST_P(ReportCliTest, MissingReportFolderFailsFirst) {
  std::string err;
  EXPECT_EQ(run({"--out", path("decisions.jsonl"), "--report", path("missing/report.html")}, err),
            cli::kInvalidInput);
  EXPECT_TRUE(has(err, "cannot write the report '" + path("missing/report.html") +
                           "': the folder '" + path("missing") +
                           "' does not exist; create it first"))
      << err;
  EXPECT_FALSE(fs::exists(path("decisions.jsonl")));
  EXPECT_FALSE(fs::exists(path("missing")));
}

INSTANTIATE_TEST_SUITE_P(Engines, ReportCliTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

}  // namespace
}  // namespace crm
