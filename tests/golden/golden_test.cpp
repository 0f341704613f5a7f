// Golden tests: each .crm file under tests/golden has the expected human
// output in NAME.out and JSON output in NAME.json beside it. Run
// scripts/update-golden.sh to rewrite the expectations after a deliberate
// change, then review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/diag/render.h"
#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

namespace fs = std::filesystem;

fs::path goldenRoot() { return fs::path(CRM_SOURCE_DIR) / "tests" / "golden"; }

bool updating() {
  const char* value = std::getenv("CRM_UPDATE_GOLDEN");
  return value != nullptr && std::string(value) == "1";
}

// Cases whose input cannot be a checked-in file: a missing file, a file over
// the size limit, more declarations than the limit and a string over the
// length limit. Their inputs are
// made here; their expectations are golden files like the others.
struct GeneratedCase {
  std::string name;
  std::string path;
  std::optional<std::string> text;
};

std::vector<GeneratedCase> generatedCases() {
  std::string huge(parse::Limits{}.maxFileBytes + 1, '\n');
  std::string many;
  for (size_t i = 0; i <= parse::Limits{}.maxDeclarations; ++i) {
    many += "segment s" + std::to_string(i) + " = true\n";
  }
  // A triple-quoted literal over many short lines, so that the output
  // shows its first line only.
  std::string note = "// Mistake: a long text pasted into a let.\n"
                     "customer entity Customer key id {\n  id: string\n}\n"
                     "channel web { reachable: true }\n"
                     "let note = \"\"\"\n";
  for (size_t written = 0; written <= parse::Limits{}.maxStringBytes; written += 64) {
    note += std::string(63, 'x') + "\n";
  }
  note += "\"\"\"\ncampaign welcome { audience: note != \"\"  channels: web }\n";
  return {
      {"E0001_unreadable_file", "generated/does_not_exist.crm", std::nullopt},
      {"E0003_file_too_large", "generated/huge.crm", huge},
      {"E0007_too_many_declarations", "generated/many.crm", many},
      {"E0008_string_too_long", "generated/long_string.crm", note},
  };
}

std::vector<std::string> goldenInputs() {
  std::vector<std::string> inputs;
  for (const auto& entry : fs::recursive_directory_iterator(goldenRoot())) {
    if (entry.path().extension() == ".crm") {
      inputs.push_back(fs::relative(entry.path(), goldenRoot()).string());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (const auto& generated : generatedCases()) {
    inputs.push_back("generated/" + generated.name);
  }
  return inputs;
}

struct Rendered {
  std::string human;
  std::string json;
};

// Checks one input with paths relative to tests/golden, so that the
// expectations do not depend on where the checkout lives.
Rendered render(const std::string& input) {
  fs::path previous = fs::current_path();
  fs::current_path(goldenRoot());
  std::unique_ptr<driver::Compilation> compilation;
  bool generated = false;
  for (const auto& c : generatedCases()) {
    if (input == "generated/" + c.name) {
      compilation = driver::checkScripts({{c.path, c.text}});
      generated = true;
    }
  }
  if (!generated) {
    compilation = driver::checkScripts({{input, std::nullopt}});
  }
  fs::current_path(previous);
  auto diagnostics = compilation->diagnostics->sorted();
  std::ostringstream human;
  std::ostringstream json;
  diag::renderHuman(human, compilation->sources, diagnostics, {false});
  diag::renderJson(json, compilation->sources, diagnostics);
  return {human.str(), json.str()};
}

fs::path expectationPath(const std::string& input, const char* extension) {
  fs::path path = goldenRoot() / input;
  path.replace_extension(extension);
  return path;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesExpectedOutput) {
  const std::string& input = GetParam();
  Rendered actual = render(input);
  fs::path humanPath = expectationPath(input, ".out");
  fs::path jsonPath = expectationPath(input, ".json");
  if (updating()) {
    fs::create_directories(humanPath.parent_path());
    std::ofstream(humanPath) << actual.human;
    std::ofstream(jsonPath) << actual.json;
    return;
  }
  ASSERT_TRUE(fs::exists(humanPath)) << humanPath << " is missing; run scripts/update-golden.sh";
  EXPECT_EQ(actual.human, readFile(humanPath.string())) << input;
  EXPECT_EQ(actual.json, readFile(jsonPath.string())) << input;
}

std::string testName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Diagnostics, Golden, ::testing::ValuesIn(goldenInputs()), testName);

// Every diagnostic code must be shown by at least one golden case, so that
// each message and position is pinned.
TEST(GoldenCoverage, EveryCodeHasACase) {
  std::set<std::string> seen;
  for (const auto& entry : fs::recursive_directory_iterator(goldenRoot())) {
    if (entry.path().extension() != ".out") continue;
    std::string text = readFile(entry.path().string());
    for (const auto& code : diag::allCodes()) {
      std::string marker = std::string("[") + std::string(code.id) + "]";
      if (text.find(marker) != std::string::npos) seen.insert(std::string(code.id));
    }
  }
  for (const auto& code : diag::allCodes()) {
    EXPECT_TRUE(seen.count(std::string(code.id)) != 0)
        << code.id << " (" << code.name << ") has no golden case under tests/golden";
  }
}

}  // namespace
}  // namespace crm::testing
