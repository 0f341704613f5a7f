// The formatter: fixed points, unchanged programs and comments, exact
// layouts of small cases, and `crm fmt` on files.
#include "compiler/format/format.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "compiler/lower/lower.h"
#include "compiler/parse/parser.h"
#include "tests/support/random_programs.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

namespace fs = std::filesystem;

struct Formatted {
  std::optional<std::string> text;
  std::string diagnostics;  // "line:column code message" per diagnostic
};

Formatted formatText(const std::string& text, const std::string& path = "test.crm",
                     size_t width = 100) {
  source::SourceManager sources;
  const source::SourceFile& file = sources.add(path, text);
  diag::DiagnosticEngine diagnostics(sources);
  Formatted result;
  driver::runWithLargeStack(
      [&] { result.text = format::formatScript(file, diagnostics, {width}); });
  for (const auto& diagnostic : diagnostics.sorted()) {
    auto position = file.lineColumn(diagnostic.range.begin);
    result.diagnostics += std::to_string(position.line) + ":" + std::to_string(position.column) +
                          " " + std::string(diag::info(diagnostic.code).id) + " " +
                          diagnostic.message + "\n";
  }
  return result;
}

std::vector<fs::path> scriptsUnder(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.path().extension() == ".crm") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every input of the repository that parses: the examples, the golden
// diagnostics, the data set and cross-check scripts.
std::vector<fs::path> repositoryScripts() {
  fs::path root(CRM_SOURCE_DIR);
  std::vector<fs::path> files;
  for (const char* folder : {"examples", "tests/golden", "tests/data", "tests/crosscheck"}) {
    auto found = scriptsUnder(root / folder);
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// Everything the engines evaluate, as text: each let, segment,
// recommendation, channel, trigger and campaign of the lowered program.
std::string programDump(const driver::Compilation& compilation) {
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation.scripts) scripts.push_back(script.get());
  auto program = lower::lowerProgram(scripts);
  auto node = [](const ir::NodePtr& n) { return n ? ir::dump(*n) : std::string("-\n"); };
  std::string out;
  for (const auto& d : program->declarations) out += d.name + " =\n" + node(d.value);
  for (const auto& r : program->recommends) out += "recommend " + r.name + "\n" + node(r.body);
  for (const auto& c : program->channels) out += "channel " + c.name + "\n" + node(c.reachable);
  for (const auto& t : program->triggers) {
    out += "trigger " + t.name + "\n" + node(t.on) + node(t.when) + node(t.after) +
           node(t.unlessCondition) + node(t.unlessWindow);
  }
  for (const auto& c : program->campaigns) {
    out += "campaign " + c.name + " " + c.group + " " + std::to_string(c.trigger) + " " +
           std::to_string(c.transactional) + " " + std::to_string(c.sendOnEmptyOffer) + "\n" +
           node(c.audience) + node(c.offer) + node(c.priority) + node(c.expectedValue);
    for (uint32_t channel : c.channels) out += std::to_string(channel) + " ";
    out += "\n";
  }
  return out;
}

// The codes and messages of a check, without positions, which move.
std::string diagnosticsWithoutPositions(const driver::Compilation& compilation) {
  std::string out;
  for (const auto& diagnostic : compilation.diagnostics->sorted()) {
    out += std::string(diag::info(diagnostic.code).id) + " " + diagnostic.message + "\n";
  }
  return out;
}

std::vector<std::string> commentsOf(const std::string& text) {
  source::SourceManager sources;
  const source::SourceFile& file = sources.add("test.crm", text);
  diag::DiagnosticEngine diagnostics(sources);
  parse::ParseResult parsed;
  driver::runWithLargeStack([&] { parsed = parse::parseFile(file, diagnostics); });
  std::vector<std::string> comments;
  for (const auto& comment : parsed.script.comments) {
    comments.push_back(text.substr(comment.range.begin, comment.range.end - comment.range.begin));
  }
  return comments;
}

// Trailing spaces and tabs after a line comment are dropped, like any
// trailing white space. A block comment is kept as written.
TEST(Format, TrailingSpacesInCommentsAreDropped) {
  Formatted line = formatText("let x = 1 // a  \n");
  ASSERT_TRUE(line.text.has_value()) << line.diagnostics;
  EXPECT_EQ(*line.text, "let x = 1 // a\n");

  Formatted alone = formatText("// ");
  ASSERT_TRUE(alone.text.has_value()) << alone.diagnostics;
  EXPECT_EQ(*alone.text, "//\n");

  Formatted block = formatText("/* b \t\n c */\nlet y = 2\n");
  ASSERT_TRUE(block.text.has_value()) << block.diagnostics;
  EXPECT_EQ(*block.text, "/* b \t\n c */\nlet y = 2\n");
}

TEST(Format, RepositoryScriptsAreFixedPoints) {
  size_t formatted = 0;
  for (const auto& path : repositoryScripts()) {
    Formatted first = formatText(testing::readFile(path.string()), path.string());
    if (!first.text) continue;  // the golden inputs of syntax errors
    ++formatted;
    Formatted second = formatText(*first.text, path.string());
    ASSERT_TRUE(second.text.has_value()) << path << "\n" << second.diagnostics;
    EXPECT_EQ(*second.text, *first.text) << path;
  }
  EXPECT_GE(formatted, 50u);
}

TEST(Format, ExamplesKeepTheirProgram) {
  for (const auto& path : scriptsUnder(fs::path(CRM_SOURCE_DIR) / "examples")) {
    std::string original = testing::readFile(path.string());
    Formatted formatted = formatText(original, path.string());
    ASSERT_TRUE(formatted.text.has_value()) << path << "\n" << formatted.diagnostics;
    // Checked under the same path, so that imports resolve alike.
    auto before = driver::checkScripts({{path.string(), original}});
    auto after = driver::checkScripts({{path.string(), *formatted.text}});
    ASSERT_FALSE(before->hasErrors()) << testing::summarize(*before);
    ASSERT_FALSE(after->hasErrors()) << testing::summarize(*after);
    EXPECT_EQ(programDump(*after), programDump(*before)) << path;
  }
}

TEST(Format, GoldenInputsKeepTheirDiagnostics) {
  size_t compared = 0;
  for (const auto& path : scriptsUnder(fs::path(CRM_SOURCE_DIR) / "tests/golden")) {
    std::string original = testing::readFile(path.string());
    Formatted formatted = formatText(original, path.string());
    if (!formatted.text) continue;
    ++compared;
    auto before = driver::checkScripts({{path.string(), original}});
    auto after = driver::checkScripts({{path.string(), *formatted.text}});
    EXPECT_EQ(diagnosticsWithoutPositions(*after), diagnosticsWithoutPositions(*before)) << path;
    if (!before->hasErrors()) {
      EXPECT_EQ(programDump(*after), programDump(*before)) << path;
    }
  }
  EXPECT_GE(compared, 40u);
}

// Random programs have deep and long expressions; a narrow width makes
// every kind of break occur.
TEST(Format, RandomProgramsKeepTheirProgram) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    testing::random::Random random(seed);
    testing::random::GeneratorOptions options;
    options.program = true;
    std::string script = testing::random::randomProgram(random, options).script();
    auto before = driver::checkScripts({{"random.crm", script}});
    for (size_t width : {100, 40}) {
      Formatted first = formatText(script, "random.crm", width);
      ASSERT_TRUE(first.text.has_value()) << seed << "\n" << first.diagnostics << script;
      Formatted second = formatText(*first.text, "random.crm", width);
      ASSERT_TRUE(second.text.has_value()) << seed;
      EXPECT_EQ(*second.text, *first.text) << "seed " << seed << ", width " << width;
      if (before->hasErrors()) continue;
      auto after = driver::checkScripts({{"random.crm", *first.text}});
      ASSERT_FALSE(after->hasErrors()) << testing::summarize(*after);
      EXPECT_EQ(programDump(*after), programDump(*before)) << "seed " << seed;
    }
  }
}

// Puts comments and line breaks at random spaces of the lines that hold no
// string or comment, which changes no token.
std::string withInsertedComments(const std::string& text, std::mt19937_64& random) {
  std::string out;
  std::istringstream lines(text);
  std::string line;
  int counter = 0;
  while (std::getline(lines, line)) {
    bool plain = line.find_first_of("\"'`/") == std::string::npos;
    for (char c : line) {
      if (!plain || c != ' ' || random() % 100 >= 15) {
        out += c;
        continue;
      }
      switch (random() % 4) {
        case 0: out += " /* c" + std::to_string(++counter) + " */ "; break;
        case 1: out += " // k" + std::to_string(++counter) + "\n"; break;
        case 2: out += "\n\n"; break;
        default: out += "\n  "; break;
      }
    }
    out += '\n';
  }
  return out;
}

TEST(Format, InsertedCommentsAreStable) {
  std::mt19937_64 random(20261204);
  for (const auto& path : scriptsUnder(fs::path(CRM_SOURCE_DIR) / "examples")) {
    std::string original = testing::readFile(path.string());
    for (int variant = 0; variant < 10; ++variant) {
      std::string text = withInsertedComments(original, random);
      Formatted first = formatText(text, path.string());
      ASSERT_TRUE(first.text.has_value()) << first.diagnostics << text;
      Formatted second = formatText(*first.text, path.string());
      ASSERT_TRUE(second.text.has_value()) << *first.text;
      EXPECT_EQ(*second.text, *first.text) << "input:\n" << text;
      EXPECT_EQ(commentsOf(*first.text), commentsOf(text));
    }
  }
}

const char* const kCommented = R"(// header


/* block
   header */
customer entity C key id { id: string; age: int?  // trailing age
  // before tags
  tags: list<string>   ;

}
enum E {a,b, // after b
 c}
let x = 1+2*3 // trailing x
let m = {"a": 1, /* inline */ "b": 2}
segment c2 = customer.age != null &&
  // own line
  customer.age > 3
let q = customer.tags
  // first filter
  .filter(t, t != "")   // trailing filter
  .map(t, t + "!")
let l = [
  1, // one
  // two follows
  2,
  /* last */
]
campaign hello { audience: c2 channels: email // the list
}
channel email { reachable: true /* always */ }
// end comment
)";

TEST(Format, CommentsSurviveInOrder) {
  Formatted formatted = formatText(kCommented);
  ASSERT_TRUE(formatted.text.has_value()) << formatted.diagnostics;
  std::vector<std::string> before = commentsOf(kCommented);
  EXPECT_EQ(before.size(), 16u);
  EXPECT_EQ(commentsOf(*formatted.text), before) << *formatted.text;
  Formatted again = formatText(*formatted.text);
  ASSERT_TRUE(again.text.has_value());
  EXPECT_EQ(*again.text, *formatted.text);
}

TEST(Format, CommentsStayOnTheirLines) {
  Formatted formatted = formatText(kCommented);
  ASSERT_TRUE(formatted.text.has_value());
  EXPECT_EQ(*formatted.text,
            "// header\n"
            "\n"
            "/* block\n"
            "   header */\n"
            "customer entity C key id {\n"
            "  id: string\n"
            "  age: int? // trailing age\n"
            "  // before tags\n"
            "  tags: list<string>\n"
            "}\n"
            "enum E {\n"
            "  a,\n"
            "  b, // after b\n"
            "  c,\n"
            "}\n"
            "let x = 1 + 2 * 3 // trailing x\n"
            "let m = { \"a\": 1 /* inline */, \"b\": 2 }\n"
            "segment c2 = customer.age != null\n"
            "  // own line\n"
            "  && customer.age > 3\n"
            "let q = customer.tags\n"
            "  // first filter\n"
            "  .filter(t, t != \"\") // trailing filter\n"
            "  .map(t, t + \"!\")\n"
            "let l = [\n"
            "  1, // one\n"
            "  // two follows\n"
            "  2,\n"
            "  /* last */\n"
            "]\n"
            "campaign hello {\n"
            "  audience: c2\n"
            "  channels: email // the list\n"
            "}\n"
            "channel email {\n"
            "  reachable: true /* always */\n"
            "}\n"
            "// end comment\n");
}

struct LayoutCase {
  const char* name;
  const char* input;
  const char* expected;
};

const LayoutCase kLayoutCases[] = {
    {"spacing", "let  x=1+2*-3", "let x = 1 + 2 * -3\n"},
    {"minus before parentheses", "let x = -(5) + (-6) - - 7 - -(8.5)",
     "let x = -(5) + (-6) - -7 - -(8.5)\n"},
    {"parentheses kept", "let x = ((1 + 2)) * 3 - (4)", "let x = ((1 + 2)) * 3 - (4)\n"},
    {"unary", "segment s = ! (true)&&!false", "segment s = !(true) && !false\n"},
    {"blank lines collapse",
     "let a = 1\n\n\n\nlet b = 2\nlet c = 3\n",
     "let a = 1\n\nlet b = 2\nlet c = 3\n"},
    {"no blank line opens a block", "channel e {\n\n  reachable: true\n\n\n  cost: 1\n\n}",
     "channel e {\n  reachable: true\n\n  cost: 1\n}\n"},
    {"empty blocks", "channel e { }\nenum E {}\nrecord R {\n}",
     "channel e {}\nenum E {}\nrecord R {}\n"},
    {"lists and maps", "let l = [ 1,2 , 3, ]\nlet m = {'a':1}\nlet e = [ ]\nlet n = { }",
     "let l = [1, 2, 3]\nlet m = { 'a': 1 }\nlet e = []\nlet n = {}\n"},
    {"long operator chain",
     "segment s = customer.alpha_value > 100 && customer.beta_value < 200 || "
     "customer.gamma_value == 300 && customer.delta",
     "segment s = customer.alpha_value > 100 && customer.beta_value < 200\n"
     "  || customer.gamma_value == 300 && customer.delta\n"},
    {"long method chain",
     "let x = customer.orders.filter(o, o.total > 100.00).map(o, o.total).sum() + "
     "customer.orders.size() * 2",
     "let x = customer.orders\n"
     "  .filter(o, o.total > 100.00)\n"
     "  .map(o, o.total)\n"
     "  .sum() + customer.orders.size() * 2\n"},
    {"last argument hugs",
     "segment s = customer.orders.exists(o, o.total > 100.00 && o.placed_at within 30d && "
     "o.lines.size() > 2)",
     "segment s = customer.orders\n"
     "  .exists(o, o.total > 100.00 && o.placed_at within 30d && o.lines.size() > 2)\n"},
    {"conditional chain",
     "let tier = customer.spend_last_year >= 1000.00 ? \"gold\" : customer.spend_last_year "
     ">= 500.00 ? \"silver\" : \"bronze\"",
     "let tier = customer.spend_last_year >= 1000.00 ? \"gold\"\n"
     "  : customer.spend_last_year >= 500.00 ? \"silver\"\n"
     "  : \"bronze\"\n"},
    {"recommend body on its own line",
     "recommend picks(limit: int = 3): list<Product> = catalog.filter(p, p.price > 10.00)"
     ".top(limit, p, p.price)",
     "recommend picks(limit: int = 3): list<Product> =\n"
     "  catalog.filter(p, p.price > 10.00).top(limit, p, p.price)\n"},
    {"trigger clauses", "trigger t on events(kind == 'x') as e when e.at within 1d after 2h "
                        "unless events() within 1d",
     "trigger t on events(kind == 'x') as e\n  when e.at within 1d\n  after 2h\n"
     "  unless events() within 1d\n"},
    {"optional separators",
     "customer entity C key id levels(a>b) { id: string; a: string; b: string? ; }\n"
     "source s: C from csv(\"c.csv\") { header: true; columns { id, \"A\" -> a: string; b } }",
     "customer entity C key id levels(a > b) {\n  id: string\n  a: string\n  b: string?\n}\n"
     "source s: C from csv(\"c.csv\") {\n  header: true\n  columns {\n    id\n"
     "    \"A\" -> a: string\n    b\n  }\n}\n"},
    {"channel forms", "channel sms { quiet: 21:00..09:00 local; capacity: 5 per day }",
     "channel sms {\n  quiet: 21:00..09:00 local\n  capacity: 5 per day\n}\n"},
    {"pressure rules",
     "pressure { at most 3 per 7d rolling on sms; at most 1 per calendar day in group g; "
     "rank by priority desc, cost asc; exempt a, b }",
     "pressure {\n  at most 3 per 7d rolling on sms\n  at most 1 per calendar day in group g\n"
     "  rank by priority desc, cost\n  exempt a, b\n}\n"},
    {"test items",
     "test \"t\" { now: 2026-01-01T00:00:00Z; customer { id: \"a\", age: 3 } expect send c via "
     "e; expect no send d; expect segment s; expect offer c contains \"p\"; expect error "
     "r\"boom\"; expect 1 == 1 }",
     "test \"t\" {\n  now: 2026-01-01T00:00:00Z\n  customer {\n    id: \"a\",\n    age: 3,\n  }\n"
     "  expect send c via e\n  expect no send d\n  expect segment s\n"
     "  expect offer c contains \"p\"\n  expect error r\"boom\"\n  expect 1 == 1\n}\n"},
    {"literals keep their spelling",
     "let a = 0x1F + .5e3 + 1.50\nlet b = '''x\n  y''' + r'\\d' + \"\\n\"\nlet c = m.`a-b`?.c",
     "let a = 0x1F + 0.5e3 + 1.50\nlet b = '''x\n  y''' + r'\\d' + \"\\n\"\nlet c = m.`a-b`?.c\n"},
    {"comments in columns",
     "source s: C from csv('c.csv') {\n  columns {\n    id // key\n    // note } here\n  }\n"
     "  // after columns\n  header: true\n}",
     "source s: C from csv('c.csv') {\n  columns {\n    id // key\n    // note } here\n  }\n"
     "  // after columns\n  header: true\n}\n"},
    {"byte order mark and CRLF", "\xEF\xBB\xBF// c\r\nlet a = 1\r\n\r\n\r\nlet b = 2\r\n",
     "// c\nlet a = 1\n\nlet b = 2\n"},
    {"empty file", "", ""},
    {"only comments", "\n\n// a\n\n\n// b\n\n", "// a\n\n// b\n"},
};

TEST(Format, SmallCasesHaveExactLayouts) {
  for (const auto& layout : kLayoutCases) {
    Formatted formatted = formatText(layout.input);
    ASSERT_TRUE(formatted.text.has_value()) << layout.name << "\n" << formatted.diagnostics;
    EXPECT_EQ(*formatted.text, layout.expected) << layout.name;
    Formatted again = formatText(*formatted.text);
    ASSERT_TRUE(again.text.has_value()) << layout.name;
    EXPECT_EQ(*again.text, *formatted.text) << layout.name;
  }
}

TEST(Format, WidthDecidesTheBreaks) {
  const char* text = "segment s = customer.a && customer.b\n";
  EXPECT_EQ(formatText(text, "test.crm", 100).text, std::optional<std::string>(text));
  EXPECT_EQ(formatText(text, "test.crm", 20).text,
            std::optional<std::string>("segment s = customer.a\n  && customer.b\n"));
}

TEST(Format, SyntaxErrorIsReportedWithPosition) {
  Formatted formatted = formatText("let a = 1\nlet b = (2 +\n");
  EXPECT_FALSE(formatted.text.has_value());
  EXPECT_NE(formatted.diagnostics.find("3:1 E0010 unexpected end of file"), std::string::npos)
      << formatted.diagnostics;
}

TEST(Format, InvalidLiteralIsNotFormatted) {
  Formatted formatted = formatText("let d = 2026-02-30\n");
  EXPECT_FALSE(formatted.text.has_value());
  EXPECT_NE(formatted.diagnostics.find("1:9 E0013"), std::string::npos) << formatted.diagnostics;
}

// ------------------------------------------------------------- crm fmt

struct CliRun {
  int exitCode;
  std::string out;
  std::string err;
};

CliRun runCrm(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "crm");
  std::vector<const char*> argv;
  for (const auto& argument : arguments) argv.push_back(argument.c_str());
  std::ostringstream out;
  std::ostringstream err;
  int code = cli::runCli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

class FmtCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("crm_fmt_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "sub");
    write("canonical.crm", "let a = 1\n");
    write("sub/messy.crm", "let   b=2\n");
    write("broken.crm", "let c = (1 +\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string read(const std::string& name) const { return testing::readFile(path(name)); }

  fs::path dir_;
};

TEST_F(FmtCommandTest, PrintsOneFile) {
  CliRun result = runCrm({"fmt", path("sub/messy.crm")});
  EXPECT_EQ(result.exitCode, cli::kSuccess) << result.err;
  EXPECT_EQ(result.out, "let b = 2\n");
  EXPECT_EQ(read("sub/messy.crm"), "let   b=2\n");
}

TEST_F(FmtCommandTest, PrintingSeveralFilesIsAUsageError) {
  CliRun result = runCrm({"fmt", path("canonical.crm"), path("sub/messy.crm")});
  EXPECT_EQ(result.exitCode, cli::kUsageError);
  EXPECT_NE(result.err.find("use -w to rewrite or --check"), std::string::npos) << result.err;
}

TEST_F(FmtCommandTest, CheckListsFilesNotInTheLayout) {
  fs::remove(dir_ / "broken.crm");
  CliRun result = runCrm({"fmt", "--check", dir_.string()});
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
  EXPECT_EQ(result.out, path("sub/messy.crm") + "\n");
  EXPECT_EQ(read("sub/messy.crm"), "let   b=2\n");

  CliRun clean = runCrm({"fmt", "--check", path("canonical.crm")});
  EXPECT_EQ(clean.exitCode, cli::kSuccess);
  EXPECT_EQ(clean.out, "");
}

TEST_F(FmtCommandTest, WriteRewritesOnlyChangedFiles) {
  fs::remove(dir_ / "broken.crm");
  ::chmod(path("sub/messy.crm").c_str(), 0640);
  struct stat canonicalBefore {};
  ASSERT_EQ(::stat(path("canonical.crm").c_str(), &canonicalBefore), 0);

  CliRun result = runCrm({"fmt", "-w", dir_.string()});
  EXPECT_EQ(result.exitCode, cli::kSuccess) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(read("sub/messy.crm"), "let b = 2\n");
  EXPECT_EQ(read("canonical.crm"), "let a = 1\n");

  struct stat canonicalAfter {};
  struct stat messyAfter {};
  ASSERT_EQ(::stat(path("canonical.crm").c_str(), &canonicalAfter), 0);
  ASSERT_EQ(::stat(path("sub/messy.crm").c_str(), &messyAfter), 0);
  // The canonical file was not replaced: the same inode, untouched.
  EXPECT_EQ(canonicalAfter.st_ino, canonicalBefore.st_ino);
  EXPECT_EQ(canonicalAfter.st_mtim.tv_nsec, canonicalBefore.st_mtim.tv_nsec);
  EXPECT_EQ(messyAfter.st_mode & 0777, 0640u);
  EXPECT_EQ(runCrm({"fmt", "--check", dir_.string()}).exitCode, cli::kSuccess);
}

TEST_F(FmtCommandTest, SyntaxErrorIsNeverRewritten) {
  CliRun result = runCrm({"fmt", "-w", dir_.string()});
  EXPECT_EQ(result.exitCode, cli::kInvalidInput);
  EXPECT_EQ(read("broken.crm"), "let c = (1 +\n");
  EXPECT_NE(result.err.find(path("broken.crm") + ":2:1: error[E0010]"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("was not formatted because it does not parse"), std::string::npos);
  // The other files are still formatted.
  EXPECT_EQ(read("sub/messy.crm"), "let b = 2\n");

  CliRun check = runCrm({"fmt", "--check", path("broken.crm")});
  EXPECT_EQ(check.exitCode, cli::kInvalidInput);
  EXPECT_EQ(check.out, "");
}

TEST_F(FmtCommandTest, MissingFileAndConflictingFlags) {
  CliRun missing = runCrm({"fmt", path("absent.crm")});
  EXPECT_EQ(missing.exitCode, cli::kInvalidInput);
  EXPECT_NE(missing.err.find("cannot read `" + path("absent.crm") + "`: no such file"),
            std::string::npos)
      << missing.err;
  EXPECT_EQ(runCrm({"fmt", "-w", "--check", path("canonical.crm")}).exitCode,
            cli::kUsageError);
}

TEST(FmtExamples, ExamplesAreInTheLayout) {
  CliRun result = runCrm({"fmt", "--check", std::string(CRM_SOURCE_DIR) + "/examples"});
  EXPECT_EQ(result.exitCode, cli::kSuccess) << result.out << result.err;
  EXPECT_EQ(result.out, "");
}

}  // namespace
}  // namespace crm
