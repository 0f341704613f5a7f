// `crm check --format sarif`: the keys and values that SARIF 2.1.0
// requires, for a file with an error and a warning.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "cli/cli.h"

namespace crm::cli {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exitCode;
  std::string out;
  std::string err;
};

CliRun run(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "crm");
  std::vector<const char*> argv;
  for (const auto& argument : arguments) argv.push_back(argument.c_str());
  std::ostringstream out;
  std::ostringstream err;
  int code = runCli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

class SarifTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("crm_sarif_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // Line 3 has an unknown channel (E0302); `spare` is never used (W0101).
    std::ofstream(dir_ / "mixed file.crm")
        << "customer entity C key id { id: string }\n"
           "segment spare = true\n"
           "campaign c { audience: true  channels: fax }\n";
    path_ = (dir_ / "mixed file.crm").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  const nlohmann::json* resultWithRule(const nlohmann::json& run, const std::string& rule) {
    for (const auto& result : run["results"]) {
      if (result["ruleId"] == rule) return &result;
    }
    return nullptr;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SarifTest, LogHasTheRequiredStructure) {
  CliRun result = run({"check", "--format", "sarif", path_});
  EXPECT_EQ(result.exitCode, kInvalidInput) << result.err;
  nlohmann::json log = nlohmann::json::parse(result.out);

  EXPECT_EQ(log["version"], "2.1.0");
  ASSERT_TRUE(log["$schema"].is_string());
  EXPECT_NE(log["$schema"].get<std::string>().find("sarif"), std::string::npos);
  ASSERT_TRUE(log["runs"].is_array());
  ASSERT_EQ(log["runs"].size(), 1u);
  const nlohmann::json& sarifRun = log["runs"][0];

  const nlohmann::json& driver = sarifRun["tool"]["driver"];
  EXPECT_EQ(driver["name"], "crm");
  ASSERT_TRUE(driver["version"].is_string());
  EXPECT_FALSE(driver["version"].get<std::string>().empty());
  ASSERT_TRUE(driver["rules"].is_array());
  ASSERT_EQ(driver["rules"].size(), 2u);
  EXPECT_EQ(driver["rules"][0]["id"], "E0302");
  EXPECT_EQ(driver["rules"][0]["name"], "unknown-channel");
  EXPECT_EQ(driver["rules"][0]["shortDescription"]["text"],
            "a channel name that no channel declares");
  EXPECT_EQ(driver["rules"][0]["defaultConfiguration"]["level"], "error");
  EXPECT_EQ(driver["rules"][1]["id"], "W0101");
  EXPECT_EQ(driver["rules"][1]["defaultConfiguration"]["level"], "warning");

  ASSERT_TRUE(sarifRun["results"].is_array());
  ASSERT_EQ(sarifRun["results"].size(), 2u);
  const nlohmann::json* error = resultWithRule(sarifRun, "E0302");
  ASSERT_NE(error, nullptr);
  EXPECT_EQ((*error)["level"], "error");
  EXPECT_EQ((*error)["ruleIndex"], 0);
  ASSERT_TRUE((*error)["message"]["text"].is_string());
  EXPECT_NE((*error)["message"]["text"].get<std::string>().find("fax"), std::string::npos);
  ASSERT_EQ((*error)["locations"].size(), 1u);
  const nlohmann::json& location = (*error)["locations"][0]["physicalLocation"];
  // An absolute path becomes a file URI, with the space percent-encoded.
  std::string uri = location["artifactLocation"]["uri"];
  EXPECT_EQ(uri.rfind("file:///", 0), 0u) << uri;
  EXPECT_NE(uri.find("mixed%20file.crm"), std::string::npos) << uri;
  const nlohmann::json& region = location["region"];
  EXPECT_EQ(region["startLine"], 3);
  EXPECT_EQ(region["startColumn"], 40);
  EXPECT_EQ(region["endLine"], 3);
  EXPECT_EQ(region["endColumn"], 43);

  const nlohmann::json* warning = resultWithRule(sarifRun, "W0101");
  ASSERT_NE(warning, nullptr);
  EXPECT_EQ((*warning)["level"], "warning");
  EXPECT_EQ((*warning)["ruleIndex"], 1);
  EXPECT_EQ((*warning)["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
}

TEST_F(SarifTest, RelativePathStaysRelative) {
  fs::path previous = fs::current_path();
  fs::current_path(dir_);
  CliRun result = run({"check", "--format", "sarif", "mixed file.crm"});
  fs::current_path(previous);
  nlohmann::json log = nlohmann::json::parse(result.out);
  const auto& results = log["runs"][0]["results"];
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "mixed%20file.crm");
}

TEST_F(SarifTest, CleanScriptHasNoResults) {
  std::ofstream(dir_ / "clean.crm") << "let x = 1 // crm:allow(W0101)\n";
  CliRun result = run({"check", "--format", "sarif", (dir_ / "clean.crm").string()});
  EXPECT_EQ(result.exitCode, kSuccess) << result.out;
  nlohmann::json log = nlohmann::json::parse(result.out);
  EXPECT_TRUE(log["runs"][0]["results"].is_array());
  EXPECT_TRUE(log["runs"][0]["results"].empty());
  EXPECT_TRUE(log["runs"][0]["tool"]["driver"]["rules"].empty());
}

}  // namespace
}  // namespace crm::cli
