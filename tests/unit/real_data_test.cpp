// Loads the Complete Journey data: the cut bundled with the examples, and
// the full files from the data directory ($CRM_DATA_DIR, by default the
// shared/data folder beside the checkout). The expected counts were computed
// independently from the CSV files with Python's csv module.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "loader/loader.h"
#include "runtime/time.h"
#include "tests/support/test_support.h"

namespace crm::load {
namespace {

namespace fs = std::filesystem;

fs::path dataDirectory() {
  if (const char* configured = std::getenv("CRM_DATA_DIR")) return configured;
  return fs::path(CRM_SOURCE_DIR).parent_path() / "shared" / "data";
}

struct Loaded {
  std::unique_ptr<driver::Compilation> compilation;
  LoadResult result;
};

Loaded loadExample(const LoadOptions& options) {
  Loaded loaded;
  fs::path script = fs::path(CRM_SOURCE_DIR) / "examples" / "welcome" / "welcome.crm";
  loaded.compilation = driver::checkScripts({{script.string(), std::nullopt}});
  std::vector<const ast::Script*> scripts;
  for (const auto& s : loaded.compilation->scripts) scripts.push_back(s.get());
  loaded.result = loadProgram(scripts, loaded.compilation->sources, options);
  return loaded;
}

const TableStats* tableStats(const LoadReport& report, const std::string& entity) {
  for (const auto& table : report.tables) {
    if (table.entity == entity) return &table;
  }
  return nullptr;
}

size_t fieldStat(const LoadReport& report, const std::string& entity, const std::string& field,
                 bool unresolved) {
  for (const auto& f : tableStats(report, entity)->fields) {
    if (f.name == field) return unresolved ? f.unresolved : f.nulls;
  }
  return SIZE_MAX;
}

TEST(RealData, BundledCompleteJourneyCut) {
  Loaded loaded = loadExample({});
  const LoadReport& report = loaded.result.report;
  ASSERT_TRUE(report.ok()) << (report.errors.empty() ? "" : report.errors[0]);
  EXPECT_EQ(tableStats(report, "Household")->rows, 801u);
  EXPECT_EQ(tableStats(report, "Household")->implicitRows, 0u);
  EXPECT_EQ(tableStats(report, "Transaction")->rows, 42199u);
  EXPECT_EQ(tableStats(report, "Product")->rows, 15365u);
  EXPECT_EQ(tableStats(report, "Coupon")->rows, 23712u);
  EXPECT_EQ(tableStats(report, "CampaignContact")->rows, 3835u);
  EXPECT_EQ(tableStats(report, "CouponRedemption")->rows, 1669u);
  EXPECT_EQ(tableStats(report, "CampaignDescription")->rows, 27u);
  // Product 1093587 is missing from the catalog.
  EXPECT_EQ(fieldStat(report, "Transaction", "product", true), 1u);

  // Household 400's first line in the file: 2017-02-18 13:13:10 in New York.
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& households = *store.customers;
  uint32_t row = *households.findRow("400");
  const runtime::Column& lines = *households.column("transactions");
  const runtime::Table& transactions = *lines.target;
  bool found = false;
  // The basket has several lines; the one for product 13094913 is checked.
  for (uint32_t line = lines.offsets[row]; line < lines.offsets[row + 1]; ++line) {
    int64_t product = transactions.column("product")->ints[line];
    if (transactions.keyText(line) != "31932241118" || product < 0 ||
        store.catalog->keyText(static_cast<size_t>(product)) != "13094913") {
      continue;
    }
    found = true;
    EXPECT_EQ(transactions.column("at")->ints[line],
              *runtime::parseTimestamp("2017-02-18T18:13:10Z"));
    EXPECT_EQ(runtime::formatDecimal(transactions.column("sales_value")->decimals[line]), "11.87");
    EXPECT_EQ(transactions.column("quantity")->ints[line], 2);
  }
  EXPECT_TRUE(found);
}

TEST(RealData, FullCompleteJourney) {
  fs::path dir = dataDirectory() / "completejourney";
  if (!fs::exists(dir / "transactions_sample.csv")) {
    GTEST_SKIP() << "the Complete Journey data is not in " << dir
                 << "; set CRM_DATA_DIR to the folder that holds completejourney/";
  }
  LoadOptions options;
  for (const auto& [source, file] : std::vector<std::pair<std::string, std::string>>{
           {"demographics_csv", "demographics.csv"},
           {"transactions_csv", "transactions_sample.csv"},
           {"products_csv", "products.csv"},
           {"campaign_descriptions_csv", "campaign_descriptions.csv"},
           {"campaigns_csv", "campaigns.csv"},
           {"coupons_csv", "coupons.csv"},
           {"coupon_redemptions_csv", "coupon_redemptions.csv"}}) {
    options.sourcePaths[source] = (dir / file).string();
  }
  // The full files list 16 coupons of products missing from the catalog.
  options.maxBadRecords = 16;
  Loaded loaded = loadExample(options);
  const LoadReport& report = loaded.result.report;
  ASSERT_TRUE(report.ok()) << (report.errors.empty() ? "" : report.errors[0]);
  EXPECT_EQ(report.rejectedCount, 16u);
  EXPECT_EQ(report.problems[0].message, "parent key '926775' matches no `Product`");
  EXPECT_EQ(report.problems[0].location, (dir / "coupons.csv").string() + ":8877");
  EXPECT_EQ(tableStats(report, "Household")->rows, 2379u);
  EXPECT_EQ(tableStats(report, "Household")->implicitRows, 1578u);
  EXPECT_EQ(fieldStat(report, "Household", "age", false), 1578u);
  EXPECT_EQ(tableStats(report, "Transaction")->rows, 75000u);
  EXPECT_EQ(fieldStat(report, "Transaction", "product", true), 1u);
  EXPECT_EQ(tableStats(report, "Product")->rows, 92346u);
  EXPECT_EQ(fieldStat(report, "Product", "package_size", false), 30601u);
  EXPECT_EQ(tableStats(report, "Coupon")->rows, 116204u - 16u);
  EXPECT_EQ(tableStats(report, "CampaignContact")->rows, 6589u);

  // Quirks: a basket id mangled into exponent notation stays text, and a
  // sales value written as 4.440892e-16 stays exact.
  const runtime::Table& transactions = *loaded.result.store->table("Transaction");
  bool mangled = false;
  bool tiny = false;
  for (size_t row = 0; row < transactions.rowCount; ++row) {
    mangled = mangled || transactions.keyText(row) == "4.0128e+10";
    const auto& value = transactions.column("sales_value")->decimals[row];
    if (value.coefficient == 4440892 && value.scale == 22) tiny = true;
  }
  EXPECT_TRUE(mangled);
  EXPECT_TRUE(tiny);
}

}  // namespace
}  // namespace crm::load
