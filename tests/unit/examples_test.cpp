// Every example script passes `crm check` without errors or warnings.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

TEST(Examples, AllPassCheckCleanly) {
  std::filesystem::path examples = std::filesystem::path(CRM_SOURCE_DIR) / "examples";
  std::vector<driver::SourceInput> inputs;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(examples)) {
    if (entry.path().extension() == ".crm") inputs.push_back({entry.path().string(), std::nullopt});
  }
  ASSERT_GE(inputs.size(), 6u);
  auto compilation = driver::checkScripts(inputs);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{}) << summarize(*compilation);
}

}  // namespace
}  // namespace crm::testing
