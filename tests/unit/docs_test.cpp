// Checks or runs the code blocks of the documentation: README.md, docs/*.md
// and the README.md of each example. Scripts are checked, fragments and
// expressions parsed or checked in their context. The crm commands of shell
// blocks run from a scratch copy of the repository, and their output is
// compared with the block. docs/README.md gives the conventions.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "compiler/driver/expression.h"
#include "compiler/parse/parser.h"
#include "tests/support/doc_blocks.h"
#include "tests/support/engines.h"
#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = CRM_SOURCE_DIR;

// ---- The block reader itself.

TEST(DocBlocks, ExtractsFencesWithInfoAndLine) {
  std::string failure;
  auto blocks = extractBlocks("text\n```crm file=a.crm\nsegment s = true\n```\n\n"
                              "- item\n\n  ```sh\n  crm check a.crm\n  ```\n",
                              failure);
  EXPECT_EQ(failure, "");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].line, 2);
  EXPECT_EQ(blocks[0].info, "crm file=a.crm");
  EXPECT_EQ(blocks[0].text, "segment s = true\n");
  EXPECT_EQ(blocks[1].line, 8);
  EXPECT_EQ(blocks[1].info, "sh");
  EXPECT_EQ(blocks[1].text, "crm check a.crm\n");
}

TEST(DocBlocks, UnclosedFenceIsReported) {
  std::string failure;
  auto blocks = extractBlocks("```sh\ncrm check a.crm\n", failure);
  EXPECT_TRUE(blocks.empty());
  EXPECT_EQ(failure, "line 1: the block is not closed");
}

TEST(DocBlocks, ParsesInfoOptions) {
  std::string failure;
  auto info = parseInfo("crm fragment context=examples/schema/store.crm", failure);
  ASSERT_TRUE(info) << failure;
  EXPECT_EQ(info->language, "crm");
  EXPECT_TRUE(info->fragment);
  EXPECT_FALSE(info->expression);
  EXPECT_EQ(info->context, "examples/schema/store.crm");

  info = parseInfo("sh exit=1 skip: needs a PostgreSQL server", failure);
  ASSERT_TRUE(info) << failure;
  EXPECT_EQ(info->language, "sh");
  EXPECT_EQ(info->exitCode, 1);
  EXPECT_EQ(info->skipReason, "needs a PostgreSQL server");

  info = parseInfo("", failure);
  ASSERT_TRUE(info) << failure;
  EXPECT_EQ(info->language, "");
}

TEST(DocBlocks, RejectsBadInfoOptions) {
  struct Case {
    const char* info;
    const char* failure;
  };
  const Case cases[] = {
      {"sh skip:", "`skip:` needs a reason, such as `skip: needs a PostgreSQL server`"},
      {"sh exit=one", "invalid `exit=one`: exit= takes an exit code, such as exit=1"},
      {"crm fragmnet", "unknown option `fragmnet` in the info string `crm fragmnet`; the options "
                       "are fragment, expr, file=PATH, context=PATH, exit=N and skip: REASON"},
  };
  for (const auto& c : cases) {
    std::string failure;
    EXPECT_FALSE(parseInfo(c.info, failure)) << c.info;
    EXPECT_EQ(failure, c.failure) << c.info;
  }
}

TEST(DocBlocks, SplitsPromptsAndOutput) {
  auto commands = parseShellBlock("$ crm eval '1 + 1'\n2  : int\n$ crm run a.crm \\\n"
                                  "    --as-of 2026-01-01T00:00:00Z\n");
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].offset, 0);
  EXPECT_EQ(commands[0].command, "crm eval '1 + 1'");
  EXPECT_EQ(commands[0].expectedOutput, std::vector<std::string>{"2  : int"});
  EXPECT_EQ(commands[1].offset, 2);
  EXPECT_EQ(commands[1].command, "crm run a.crm \\\n    --as-of 2026-01-01T00:00:00Z");
  EXPECT_TRUE(commands[1].expectedOutput.empty());
}

TEST(DocBlocks, WithoutPromptsEveryLineIsACommand) {
  auto commands = parseShellBlock("# build first\ncmake --build build\n\n./build/crm check a\n");
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].command, "cmake --build build");
  EXPECT_EQ(commands[1].offset, 3);
  EXPECT_FALSE(invokesCrm(commands[0].command));
  EXPECT_TRUE(invokesCrm(commands[1].command));
  EXPECT_TRUE(invokesCrm("echo ':count x' | crm repl a.crm"));
  EXPECT_FALSE(invokesCrm("./scripts/setup.sh"));
}

TEST(DocBlocks, OutputMatchesWithEllipses) {
  const std::string output = "a: 1\nb: 2\nc: 3\ntime: 0.01 s\n\n";
  EXPECT_TRUE(outputMatches({"a: 1", "b: 2", "c: 3", "time: 0.01 s"}, output));
  EXPECT_TRUE(outputMatches({"a: 1", "...", "time: ... s"}, output));
  EXPECT_TRUE(outputMatches({"a: 1", "  ...", "time: ..."}, output));
  EXPECT_TRUE(outputMatches({"...", "c: 3", "time: 0.01 s  "}, output));
  EXPECT_FALSE(outputMatches({"a: 1", "b: 2"}, output));
  EXPECT_FALSE(outputMatches({"a: 1", "...", "time: ... min"}, output));
  EXPECT_FALSE(outputMatches({"b: 2", "..."}, output));
}

// ---- The documents.

// The exit code of `timeout` when the command ran out of time.
constexpr int kTimedOut = 124;

struct Outcome {
  int exitCode = -1;
  std::string output;  // standard output, then standard error
};

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string quoted(const std::string& text) {
  std::string result = "'";
  for (char c : text) result += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return result + "'";
}

// The first components of the paths git tracks in the checkout; empty
// when the checkout is not a git repository, and then every entry counts.
std::set<std::string> trackedTopLevelNames() {
  std::set<std::string> names;
  std::string command = "git -C " + quoted(kRoot.string()) + " ls-files 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return names;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::string path(line);
    names.insert(path.substr(0, path.find_first_of("/\n")));
  }
  ::pclose(pipe);
  return names;
}

// A scratch copy of the repository to run commands in. examples/ is copied,
// except its data, so that commands and file= blocks can write there. The
// other entries and examples/data are symbolic links to the checkout, and
// build/crm and bin/crm are links to the binary under test.
class Scratch {
 public:
  explicit Scratch(const std::string& name) {
    root_ = fs::temp_directory_path() /
            ("crm-docs-" + std::to_string(getpid()) + "-" + name);
    fs::remove_all(root_);
    fs::create_directories(root_);
    std::set<std::string> tracked = trackedTopLevelNames();
    for (const auto& entry : fs::directory_iterator(kRoot)) {
      std::string entryName = entry.path().filename().string();
      if (entryName == ".git" || entryName == "examples" || entryName.starts_with("build")) {
        continue;
      }
      // Files a reader made by following the docs, such as decisions.jsonl,
      // would clash with the files the blocks write.
      if (!tracked.empty() && tracked.count(entryName) == 0) continue;
      fs::create_symlink(entry.path(), root_ / entryName);
    }
    fs::create_directories(root_ / "examples");
    for (const auto& entry : fs::directory_iterator(kRoot / "examples")) {
      fs::path target = root_ / "examples" / entry.path().filename();
      if (entry.path().filename() == "data") {
        fs::create_symlink(entry.path(), target);
      } else {
        fs::copy(entry.path(), target, fs::copy_options::recursive);
      }
    }
    for (const char* folder : {"build", "bin"}) {
      fs::create_directories(root_ / folder);
      fs::create_symlink(CRM_BINARY, root_ / folder / "crm");
    }
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  const fs::path& root() const { return root_; }

  // Writes a file= block, or appends it when an earlier block of the page
  // wrote the same file. The path must stay inside the copy, and out of the
  // linked folders, so that nothing is written into the checkout.
  std::string write(const std::string& relative, const std::string& text) {
    fs::path path = (root_ / relative).lexically_normal();
    fs::path inside = path.lexically_relative(root_);
    if (relative.empty() || fs::path(relative).is_absolute() || inside.empty() ||
        *inside.begin() == "..") {
      return "file=" + relative + " is outside the repository";
    }
    for (fs::path parent = path.parent_path(); parent != root_; parent = parent.parent_path()) {
      if (fs::is_symlink(parent)) {
        return "file=" + relative + " is inside a linked folder; only the root and examples/ "
               "may be written";
      }
    }
    fs::create_directories(path.parent_path());
    bool append = written_.insert(path.string()).second == false;
    std::ofstream(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc))
        << (append ? "\n" : "") << text;
    return "";
  }

  Outcome run(const std::string& command) {
    fs::path script = root_ / "command.sh";
    std::ofstream(script, std::ios::binary) << command << "\n";
    std::string shell = "cd " + quoted(root_.string()) + " && PATH=" +
                        quoted((root_ / "bin").string()) + ":\"$PATH\" NO_COLOR=1 timeout 60 " +
                        "/bin/sh command.sh > stdout.txt 2> stderr.txt < /dev/null";
    int status = std::system(shell.c_str());
    Outcome outcome;
    outcome.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    outcome.output = readText(root_ / "stdout.txt") + readText(root_ / "stderr.txt");
    fs::remove(root_ / "stdout.txt");
    fs::remove(root_ / "stderr.txt");
    fs::remove(script);
    return outcome;
  }

 private:
  fs::path root_;
  std::set<std::string> written_;
};

std::string diagnosticsText(const source::SourceManager& sources,
                            const diag::DiagnosticEngine& diagnostics) {
  std::ostringstream out;
  diag::renderHuman(out, sources, diagnostics.sorted(), {});
  return out.str();
}

// Returns the errors of a crm block, or an empty string.
std::string checkCrmBlock(const BlockInfo& info, const std::string& text, Scratch& scratch,
                          const std::string& defaultName) {
  if (info.expression) {
    std::string errors;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find_first_not_of(' ') == std::string::npos) continue;
      if (info.context) {
        driver::ExpressionInput input;
        input.text = line;
        input.scriptPath = (scratch.root() / *info.context).string();
        auto checked = driver::checkExpression(input);
        const auto& compilation = *checked.compilation;
        if (compilation.hasErrors()) {
          errors += diagnosticsText(compilation.sources, *compilation.diagnostics);
        }
        continue;
      }
      source::SourceManager sources;
      diag::DiagnosticEngine diagnostics(sources);
      parse::parseExpression(sources.add("<expr>", line), diagnostics);
      if (diagnostics.errorCount() > 0) errors += diagnosticsText(sources, diagnostics);
    }
    return errors;
  }

  // The import of the context goes on the fragment's first line, so that
  // line numbers stay those of the block.
  std::string script = text;
  if (info.context) {
    script = "import \"" + (scratch.root() / *info.context).string() + "\" " + text;
  }
  // A file= block is checked as the whole file, with the blocks appended
  // before it.
  fs::path path = scratch.root() / info.file.value_or(defaultName);
  std::optional<std::string> inlineText = script;
  if (info.file) {
    std::string failure = scratch.write(*info.file, script);
    if (!failure.empty()) return failure;
    inlineText.reset();
  }

  if (info.fragment && !info.context) {
    source::SourceManager sources;
    diag::DiagnosticEngine diagnostics(sources);
    parse::parseFile(sources.add(path.string(), text), diagnostics);
    return diagnostics.errorCount() > 0 ? diagnosticsText(sources, diagnostics) : "";
  }
  auto compilation = driver::checkScripts({{path.string(), inlineText}});
  return compilation->hasErrors()
             ? diagnosticsText(compilation->sources, *compilation->diagnostics)
             : "";
}

// The command with `--engine interp` after each evaluating subcommand of
// crm, for the interpreter's run of a page. The JIT is the default.
std::string onEngine(const std::string& command, run::Engine engine) {
  if (engine == run::Engine::Jit) return command;
  static const std::regex subcommand(
      R"((^|[\s|;&(])((?:\./)?(?:build/)?crm)\s+(run|explain|eval|test|repl)\b)");
  return std::regex_replace(command, subcommand, "$1$2 $3 --engine interp");
}

// The interpreter's summary names its engine, but the pages show the JIT's.
std::string asShownForJit(std::string output) {
  static const std::regex engineName(R"(engine interp\b)");
  return std::regex_replace(output, engineName, "engine jit (-O0)");
}

TEST(DocBlocks, InterpreterRunAddsEngineOption) {
  EXPECT_EQ(onEngine("./build/crm run a.crm --as-of T", run::Engine::Interpreter),
            "./build/crm run --engine interp a.crm --as-of T");
  EXPECT_EQ(onEngine("echo ':count x' | crm repl a.crm", run::Engine::Interpreter),
            "echo ':count x' | crm repl --engine interp a.crm");
  EXPECT_EQ(onEngine("crm check a.crm && crm test a.crm", run::Engine::Interpreter),
            "crm check a.crm && crm test --engine interp a.crm");
  EXPECT_EQ(onEngine("crm run a.crm", run::Engine::Jit), "crm run a.crm");
  EXPECT_EQ(onEngine("crm testing", run::Engine::Interpreter), "crm testing");
  EXPECT_EQ(asShownForJit("crm run: engine interp, 2 threads"),
            "crm run: engine jit (-O0), 2 threads");
}

void runShellBlock(const std::string& where, const BlockInfo& info, const std::string& text,
                   Scratch& scratch, run::Engine engine) {
  for (const auto& command : parseShellBlock(text)) {
    if (!invokesCrm(command.command)) continue;
    Outcome outcome = scratch.run(onEngine(command.command, engine));
    outcome.output = asShownForJit(outcome.output);
    std::string place = where + ": `" + onEngine(command.command, engine) + "`";
    EXPECT_EQ(outcome.exitCode, info.exitCode)
        << place << " exited with " << outcome.exitCode
        << (outcome.exitCode == kTimedOut ? " (timed out after 60 s)" : "") << "; output:\n"
        << outcome.output;
    if (!command.expectedOutput.empty()) {
      EXPECT_TRUE(outputMatches(command.expectedOutput, outcome.output))
          << place << " printed other lines than the block shows; output:\n"
          << outcome.output;
    }
  }
}

std::vector<std::string> documents() {
  std::vector<std::string> found = {"README.md"};
  for (const char* folder : {"docs", "examples"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kRoot / folder)) {
      std::string relative = fs::relative(entry.path(), kRoot).string();
      bool isDoc = entry.path().extension() == ".md";
      bool isExampleReadme = entry.path().filename() == "README.md";
      if (isDoc && (std::string(folder) == "docs" || isExampleReadme)) found.push_back(relative);
    }
  }
  std::sort(found.begin() + 1, found.end());
  return found;
}

class DocsTest : public ::testing::TestWithParam<std::tuple<std::string, run::Engine>> {};

TEST_P(DocsTest, CodeBlocksCheckAndRun) {
  const auto& [document, engine] = GetParam();
  std::string failure;
  auto blocks = extractBlocks(readText(kRoot / document), failure);
  ASSERT_EQ(failure, "") << document;

  std::string scratchName = document + "-" + run::engineName(engine);
  std::replace(scratchName.begin(), scratchName.end(), '/', '-');
  Scratch scratch(scratchName);
  for (const auto& block : blocks) {
    std::string where = document + ":" + std::to_string(block.line);
    auto info = parseInfo(block.info, failure);
    if (!info) {
      ADD_FAILURE() << where << ": " << failure;
      continue;
    }
    if (info->language.empty()) {
      ADD_FAILURE() << where << ": the block has no info string; mark it `crm`, "
                    << "`crm fragment`, `crm expr`, `sh` or `text` (docs/README.md)";
      continue;
    }
    if (info->skipReason) continue;
    if (info->language == "crm") {
      std::string errors = checkCrmBlock(*info, block.text, scratch,
                                         "block-" + std::to_string(block.line) + ".crm");
      EXPECT_TRUE(errors.empty()) << where << ": the crm block does not check:\n" << errors;
    } else if (info->language == "sh") {
      runShellBlock(where, *info, block.text, scratch, engine);
    } else if (info->file) {
      failure = scratch.write(*info->file, block.text);
      EXPECT_EQ(failure, "") << where;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Documents, DocsTest,
    ::testing::Combine(::testing::ValuesIn(documents()), ::testing::ValuesIn(kEngines)),
    [](const auto& info) {
      std::string name = std::get<0>(info.param);
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name + "_" + run::engineName(std::get<1>(info.param));
    });

}  // namespace
}  // namespace crm::testing
