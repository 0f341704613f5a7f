// Loads the REES46 clickstream, the Hillstrom e-mail test, UCI's Bank
// Marketing sample and the Customer Personality Analysis table from the data
// directory ($CRM_DATA_DIR, or the default that dataDirectory() returns),
// through the scripts in tests/data/. A test skips when its file is missing.
// Every expected number was computed independently from the CSV files with
// Python's csv module, with datetime for dates and times and decimal for
// exact sums.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loader/loader.h"
#include "runtime/time.h"
#include "tests/support/test_support.h"

namespace crm::load {
namespace {

namespace fs = std::filesystem;

fs::path dataDirectory() {
  if (const char* configured = std::getenv("CRM_DATA_DIR"))
    return configured;
  return fs::path(CRM_SOURCE_DIR).parent_path() / "shared" / "data";
}

std::string missingData(const fs::path& file) {
  return "the data file " + file.string() +
         " is missing; set CRM_DATA_DIR to the folder that holds " +
         file.parent_path().filename().string() + "/";
}

struct Loaded {
  std::unique_ptr<driver::Compilation> compilation;
  LoadResult result;
};

// Checks tests/data/<name>, which must produce no diagnostic at all, and
// loads it. `text` replaces the file's contents when given.
Loaded loadScript(const std::string& name, const LoadOptions& options,
                  std::optional<std::string> text = std::nullopt) {
  Loaded loaded;
  fs::path script = fs::path(CRM_SOURCE_DIR) / "tests" / "data" / name;
  loaded.compilation = driver::checkScripts({{script.string(), std::move(text)}});
  EXPECT_TRUE(loaded.compilation->diagnostics->sorted().empty())
      << testing::summarize(*loaded.compilation);
  std::vector<const ast::Script*> scripts;
  for (const auto& s : loaded.compilation->scripts)
    scripts.push_back(s.get());
  loaded.result = loadProgram(scripts, loaded.compilation->sources, options);
  return loaded;
}

std::string firstError(const LoadReport& report) {
  return report.errors.empty() ? "" : report.errors[0];
}

const TableStats* tableStats(const LoadReport& report, const std::string& entity) {
  for (const auto& table : report.tables) {
    if (table.entity == entity)
      return &table;
  }
  return nullptr;
}

// The null count of a field in the load report, or SIZE_MAX when the
// report has no such field.
size_t nullCount(const LoadReport& report, const std::string& entity, const std::string& field) {
  const TableStats* table = tableStats(report, entity);
  if (table == nullptr)
    return SIZE_MAX;
  for (const auto& f : table->fields) {
    if (f.name == field)
      return f.nulls;
  }
  return SIZE_MAX;
}

std::string textAt(const runtime::Column& column, size_t row) {
  return std::string(column.pool.text(column.strings[row]));
}

std::string decimalAt(const runtime::Column& column, size_t row) {
  return runtime::formatDecimal(column.decimals[row]);
}

// A decimal in hundredths, for exact sums of money columns with at most
// two fractional digits.
int64_t cents(const runtime::Decimal& value) {
  int64_t result = value.coefficient;
  for (int32_t scale = value.scale; scale < 2; ++scale)
    result *= 10;
  for (int32_t scale = value.scale; scale > 2; --scale)
    result /= 10;
  return result;
}

int64_t timestamp(const char* text) {
  return *runtime::parseTimestamp(text);
}
int64_t date(const char* text) {
  return *runtime::parseDate(text);
}

// Returns the row of the customer with key `key`, and fails the test when
// there is none.
uint32_t customerRow(const runtime::Store& store, const std::string& key) {
  std::optional<uint32_t> row = store.customers->findRow(key);
  EXPECT_TRUE(row.has_value()) << "no customer " << key;
  return row.value_or(0);
}

// The child rows [first, second) that the list field `list` of customer
// row `row` holds.
std::pair<uint32_t, uint32_t> childRows(const runtime::Table& customers, const std::string& list,
                                        uint32_t row) {
  const runtime::Column& offsets = *customers.column(list);
  return {offsets.offsets[row], offsets.offsets[row + 1]};
}

// ------------------------------------------------------------ REES46 events

// The values of enum EventType in tests/data/rees46.crm.
constexpr int64_t kView = 0;
constexpr int64_t kCart = 1;
constexpr int64_t kRemoveFromCart = 2;
constexpr int64_t kPurchase = 3;

fs::path rees46File() {
  return dataDirectory() / "rees46_ecommerce_events" / "events_2019-Oct_head.csv";
}

Loaded loadRees46(size_t maxBadRecords) {
  LoadOptions options;
  options.sourcePaths["events_csv"] = rees46File().string();
  options.maxBadRecords = maxBadRecords;
  return loadScript("rees46.crm", options);
}

TEST(DatasetsRees46, TruncatedLastLineFailsDefaultLoad) {
  if (!fs::exists(rees46File()))
    GTEST_SKIP() << missingData(rees46File());
  Loaded loaded = loadRees46(0);
  const LoadReport& report = loaded.result.report;
  EXPECT_TRUE(report.errors.empty()) << firstError(report);
  EXPECT_EQ(report.rejectedCount, 1u);
  EXPECT_FALSE(report.ok());
}

TEST(DatasetsRees46, CountsNullsAndRejectedLine) {
  if (!fs::exists(rees46File()))
    GTEST_SKIP() << missingData(rees46File());
  Loaded loaded = loadRees46(1);
  const LoadReport& report = loaded.result.report;
  ASSERT_TRUE(report.ok()) << firstError(report);

  // The last line stops after 8 of its 9 fields, with a partial user id and
  // no line terminator.
  ASSERT_EQ(report.rejectedCount, 1u);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].source, "events_csv");
  EXPECT_EQ(report.problems[0].location, rees46File().string() + ":17436:1");
  EXPECT_EQ(report.problems[0].message, "the record has 8 fields but the header has 9");
  EXPECT_EQ(report.problems[0].record,
            "2019-10-01 02:50:00 UTC,view,10900305,2053013555069845885,"
            "appliances.kitchen.mixer,elenberg,25.71,52040330");

  ASSERT_EQ(report.sources.size(), 1u);
  EXPECT_EQ(report.sources[0].records, 17435u);
  EXPECT_EQ(report.sources[0].loaded, 17434u);
  EXPECT_EQ(report.sources[0].rejected, 1u);

  ASSERT_NE(tableStats(report, "Event"), nullptr);
  EXPECT_EQ(tableStats(report, "Event")->rows, 17434u);
  // Every shopper comes from the events' user ids: 4,504 distinct ones in
  // the complete lines. The partial id 52040330 of the cut line does not
  // become a shopper.
  ASSERT_NE(tableStats(report, "Shopper"), nullptr);
  EXPECT_EQ(tableStats(report, "Shopper")->rows, 4504u);
  EXPECT_EQ(tableStats(report, "Shopper")->implicitRows, 4504u);
  EXPECT_FALSE(loaded.result.store->customers->findRow("52040330").has_value());

  EXPECT_EQ(nullCount(report, "Event", "category_code"), 5746u);
  EXPECT_EQ(nullCount(report, "Event", "brand"), 2477u);
}

TEST(DatasetsRees46, SpotValues) {
  if (!fs::exists(rees46File()))
    GTEST_SKIP() << missingData(rees46File());
  Loaded loaded = loadRees46(1);
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& events = *store.table("Event");
  const runtime::Column& at = *events.column("at");
  const runtime::Column& kind = *events.column("kind");
  const runtime::Column& product = *events.column("product_id");
  const runtime::Column& category = *events.column("category_id");
  const runtime::Column& code = *events.column("category_code");
  const runtime::Column& brand = *events.column("brand");
  const runtime::Column& price = *events.column("price");
  const runtime::Column& session = *events.column("session_id");
  const runtime::Column& user = *events.column("user_id");

  // The first line of the file: user 541312140 at 2019-10-01 00:00:00 UTC.
  auto [first, firstEnd] = childRows(*store.customers, "events", customerRow(store, "541312140"));
  ASSERT_EQ(firstEnd - first, 2u);
  EXPECT_EQ(at.ints[first], timestamp("2019-10-01T00:00:00Z"));
  EXPECT_EQ(kind.ints[first], kView);
  EXPECT_EQ(textAt(product, first), "44600062");
  // 2103807459595387724 has no exact double. The nearest double is ...648.
  EXPECT_EQ(category.ints[first], 2103807459595387724);
  EXPECT_NE(category.ints[first], static_cast<int64_t>(static_cast<double>(2103807459595387724)));
  EXPECT_TRUE(code.isNull(first));
  EXPECT_FALSE(brand.isNull(first));
  EXPECT_EQ(textAt(brand, first), "shiseido");
  EXPECT_EQ(decimalAt(price, first), "35.79");
  EXPECT_EQ(textAt(session, first), "72d76fde-8bb3-4e00-8c23-a032dfed738c");
  EXPECT_EQ(user.ints[first], 541312140);
  EXPECT_EQ(at.ints[first + 1], timestamp("2019-10-01T00:00:15Z"));

  // The first purchase: user 543272936 bought product 1004856 at 00:02:14,
  // the second of the user's four events.
  auto [buyer, buyerEnd] = childRows(*store.customers, "events", customerRow(store, "543272936"));
  ASSERT_EQ(buyerEnd - buyer, 4u);
  uint32_t purchase = buyer + 1;
  EXPECT_EQ(kind.ints[purchase], kPurchase);
  EXPECT_EQ(at.ints[purchase], timestamp("2019-10-01T00:02:14Z"));
  EXPECT_EQ(textAt(product, purchase), "1004856");
  EXPECT_EQ(category.ints[purchase], 2053013555631882655);
  EXPECT_FALSE(code.isNull(purchase));
  EXPECT_EQ(textAt(code, purchase), "electronics.smartphone");
  EXPECT_EQ(textAt(brand, purchase), "samsung");
  EXPECT_EQ(decimalAt(price, purchase), "130.76");
  EXPECT_EQ(textAt(session, purchase), "8187d148-3c41-46d4-b0c0-9c08cd9dc564");

  // The last complete line, just before the cut one.
  auto [last, lastEnd] = childRows(*store.customers, "events", customerRow(store, "543335023"));
  ASSERT_EQ(lastEnd - last, 5u);
  uint32_t final = lastEnd - 1;
  EXPECT_EQ(at.ints[final], timestamp("2019-10-01T02:50:00Z"));
  EXPECT_EQ(textAt(product, final), "12718331");
  EXPECT_EQ(category.ints[final], 2053013553559896355);
  EXPECT_TRUE(code.isNull(final));
  EXPECT_EQ(textAt(brand, final), "yokohama");
  EXPECT_EQ(decimalAt(price, final), "52.12");
  EXPECT_EQ(textAt(session, final), "e6cc4f54-a24e-4123-8e3a-ed2f2fb95e0c");
}

TEST(DatasetsRees46, Quirks) {
  if (!fs::exists(rees46File()))
    GTEST_SKIP() << missingData(rees46File());
  Loaded loaded = loadRees46(1);
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& events = *store.table("Event");
  const runtime::Column& at = *events.column("at");
  const runtime::Column& kind = *events.column("kind");
  const runtime::Column& category = *events.column("category_id");
  const runtime::Column& code = *events.column("category_code");
  const runtime::Column& brand = *events.column("brand");
  const runtime::Column& price = *events.column("price");
  const runtime::Column& session = *events.column("session_id");
  const runtime::Column& user = *events.column("user_id");
  const runtime::Column& product = *events.column("product_id");

  std::map<int64_t, size_t> kinds;
  size_t zeroPrices = 0;
  size_t zeroPricedViews = 0;
  size_t crlfLeftovers = 0;
  size_t quietHours = 0;
  int64_t earliest = INT64_MAX;
  int64_t latest = INT64_MIN;
  std::set<std::string> sessions;
  std::map<std::string, std::set<int64_t>> idsByCode;
  std::set<std::string> lines;
  for (size_t row = 0; row < events.rowCount; ++row) {
    ++kinds[kind.ints[row]];
    bool zero = price.decimals[row].coefficient == 0;
    zeroPrices += zero ? 1 : 0;
    zeroPricedViews += zero && kind.ints[row] == kView ? 1 : 0;
    // With CRLF line endings, a CR left in the last field would make every
    // session id 37 characters long.
    crlfLeftovers += textAt(session, row).size() != 36 ? 1 : 0;
    sessions.insert(textAt(session, row));
    earliest = std::min(earliest, at.ints[row]);
    latest = std::max(latest, at.ints[row]);
    if (at.ints[row] >= timestamp("2019-10-01T00:20:00Z") &&
        at.ints[row] < timestamp("2019-10-01T02:10:00Z")) {
      ++quietHours;
    }
    if (!code.isNull(row))
      idsByCode[textAt(code, row)].insert(category.ints[row]);
    std::string line = std::to_string(at.ints[row]) + "," + std::to_string(kind.ints[row]) + "," +
                       textAt(product, row) + "," + std::to_string(category.ints[row]) + "," +
                       (code.isNull(row) ? "<null>" : textAt(code, row)) + "," +
                       (brand.isNull(row) ? "<null>" : textAt(brand, row)) + "," +
                       decimalAt(price, row) + "," + std::to_string(user.ints[row]) + "," +
                       textAt(session, row);
    lines.insert(line);
  }
  EXPECT_EQ(kinds[kView], 17055u);
  EXPECT_EQ(kinds[kCart], 165u);
  EXPECT_EQ(kinds[kPurchase], 214u);
  EXPECT_EQ(kinds[kRemoveFromCart], 0u);
  EXPECT_EQ(zeroPrices, 19u);
  EXPECT_EQ(zeroPricedViews, 19u);
  EXPECT_EQ(crlfLeftovers, 0u);
  EXPECT_EQ(sessions.size(), 5066u);

  // Five lines repeat an earlier line exactly (one line three extra times,
  // two lines once each), and every copy is loaded.
  EXPECT_EQ(events.rowCount - lines.size(), 5u);

  // Sorted by time from midnight UTC to 02:50, with little traffic between
  // 00:20 and 02:10.
  EXPECT_EQ(earliest, timestamp("2019-10-01T00:00:00Z"));
  EXPECT_EQ(latest, timestamp("2019-10-01T02:50:00Z"));
  EXPECT_EQ(quietHours, 197u);

  // Category codes and ids are not one to one: 37 of the 115 codes have
  // several ids, computers.desktop four of them.
  EXPECT_EQ(idsByCode.size(), 115u);
  size_t shared = 0;
  std::map<size_t, size_t> codesByLevels;
  for (const auto& [name, ids] : idsByCode) {
    shared += ids.size() > 1 ? 1 : 0;
    ++codesByLevels[static_cast<size_t>(std::count(name.begin(), name.end(), '.')) + 1];
  }
  EXPECT_EQ(shared, 37u);
  EXPECT_EQ(idsByCode["computers.desktop"],
            (std::set<int64_t>{2053013554566529381, 2053013558391734853, 2053013559868129947,
                               2053013561092866779}));
  EXPECT_EQ(codesByLevels[2], 37u);
  EXPECT_EQ(codesByLevels[3], 77u);
  EXPECT_EQ(codesByLevels[4], 1u);
  EXPECT_EQ(idsByCode.count("electronics.audio.music_tools.piano"), 1u);

  // Thin histories: at most 51 events per shopper, and 193 shoppers bought.
  const runtime::Table& shoppers = *store.customers;
  size_t longest = 0;
  std::string longestKey;
  size_t buyers = 0;
  for (uint32_t row = 0; row < shoppers.rowCount; ++row) {
    auto [begin, end] = childRows(shoppers, "events", row);
    if (end - begin > longest) {
      longest = end - begin;
      longestKey = shoppers.keyText(row);
    }
    bool bought = false;
    for (uint32_t event = begin; event < end; ++event)
      bought |= kind.ints[event] == kPurchase;
    buyers += bought ? 1 : 0;
  }
  EXPECT_EQ(longest, 51u);
  EXPECT_EQ(longestKey, "515136153");
  EXPECT_EQ(buyers, 193u);
}

// ------------------------------------------------------ Hillstrom e-mail test

// The values of the enums in tests/data/hillstrom.crm.
constexpr int64_t kUrban = 0;
constexpr int64_t kSurburban = 1;
constexpr int64_t kRural = 2;
constexpr int64_t kPhone = 0;
constexpr int64_t kWeb = 1;
constexpr int64_t kMultichannel = 2;

fs::path hillstromFile() {
  return dataDirectory() / "hillstrom_email" / "hillstrom.csv";
}

Loaded loadHillstrom() {
  LoadOptions options;
  options.sourcePaths["customers_csv"] = hillstromFile().string();
  options.sourcePaths["email_tests_csv"] = hillstromFile().string();
  return loadScript("hillstrom.crm", options);
}

// The file has no id column; `row_number` numbers customers from 1.
TEST(DatasetsHillstrom, RowNumbersAreKeys) {
  if (!fs::exists(hillstromFile()))
    GTEST_SKIP() << missingData(hillstromFile());
  Loaded loaded = loadHillstrom();
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Table& customers = *loaded.result.store->customers;
  EXPECT_EQ(customers.keyText(0), "1");
  EXPECT_EQ(customers.keyText(63999), "64000");
  const runtime::Column& tests = *customers.column("email_tests");
  EXPECT_EQ(tests.offsets[1] - tests.offsets[0], 1u);
  EXPECT_EQ(tests.offsets[64000] - tests.offsets[63999], 1u);
}

TEST(DatasetsHillstrom, CountsWithRowNumbers) {
  if (!fs::exists(hillstromFile()))
    GTEST_SKIP() << missingData(hillstromFile());
  Loaded loaded = loadHillstrom();
  const LoadReport& report = loaded.result.report;
  ASSERT_TRUE(report.ok()) << firstError(report);
  EXPECT_EQ(report.rejectedCount, 0u);
  EXPECT_TRUE(report.problems.empty());
  ASSERT_EQ(report.sources.size(), 2u);
  for (const auto& source : report.sources) {
    EXPECT_EQ(source.records, 64000u) << source.name;
    EXPECT_EQ(source.loaded, 64000u) << source.name;
  }
  ASSERT_NE(tableStats(report, "Customer"), nullptr);
  EXPECT_EQ(tableStats(report, "Customer")->rows, 64000u);
  EXPECT_EQ(tableStats(report, "Customer")->implicitRows, 0u);
  ASSERT_NE(tableStats(report, "EmailTest"), nullptr);
  EXPECT_EQ(tableStats(report, "EmailTest")->rows, 64000u);
  // Every field is required: the file has no empty field.
  for (const auto& table : report.tables) {
    for (const auto& field : table.fields)
      EXPECT_EQ(field.nulls, 0u) << field.name;
  }
}

TEST(DatasetsHillstrom, SpotValues) {
  if (!fs::exists(hillstromFile()))
    GTEST_SKIP() << missingData(hillstromFile());
  Loaded loaded = loadHillstrom();
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& customers = *store.customers;
  const runtime::Table& tests = *store.table("EmailTest");

  struct Expected {
    const char* id;
    int64_t recency;
    const char* band;
    const char* history;
    bool mens;
    bool womens;
    int64_t zip;
    bool newbie;
    int64_t channel;
    const char* treatment;
    bool visited;
    bool converted;
    const char* spend;
  };
  const Expected cases[] = {
      // The first data line.
      {"1", 10, "2) $100 - $200", "142.44", true, false, kSurburban, false, kPhone, "Womens E-Mail",
       false, false, "0"},
      // The last line, which has no line terminator.
      {"64000", 1, "4) $350 - $500", "472.82", false, true, kSurburban, false, kWeb, "Mens E-Mail",
       false, false, "0"},
      // The first conversion.
      {"218", 10, "1) $0 - $100", "88.37", false, true, kUrban, false, kPhone, "Womens E-Mail",
       true, true, "29.99"},
      // The largest spend, written as the integer 499.
      {"522", 1, "7) $1,000 +", "1515.82", true, true, kSurburban, true, kMultichannel,
       "Womens E-Mail", true, true, "499"},
      // The largest history, in the control group.
      {"4580", 2, "7) $1,000 +", "3345.93", true, true, kSurburban, true, kPhone, "No E-Mail",
       false, false, "0"},
      // A history written with one decimal digit keeps that scale.
      {"7", 9, "3) $200 - $350", "280.2", true, false, kSurburban, true, kPhone, "Womens E-Mail",
       false, false, "0"},
  };
  for (const Expected& expected : cases) {
    SCOPED_TRACE(std::string("customer ") + expected.id);
    uint32_t row = customerRow(store, expected.id);
    EXPECT_EQ(customers.column("recency_months")->ints[row], expected.recency);
    EXPECT_EQ(textAt(*customers.column("history_segment"), row), expected.band);
    EXPECT_EQ(decimalAt(*customers.column("history"), row), expected.history);
    EXPECT_EQ(customers.column("bought_mens")->ints[row], expected.mens ? 1 : 0);
    EXPECT_EQ(customers.column("bought_womens")->ints[row], expected.womens ? 1 : 0);
    EXPECT_EQ(customers.column("zip_area")->ints[row], expected.zip);
    EXPECT_EQ(customers.column("newbie")->ints[row], expected.newbie ? 1 : 0);
    EXPECT_EQ(customers.column("purchase_channel")->ints[row], expected.channel);
    auto [test, end] = childRows(customers, "email_tests", row);
    ASSERT_EQ(end - test, 1u);
    EXPECT_EQ(textAt(*tests.column("treatment"), test), expected.treatment);
    EXPECT_EQ(tests.column("visited")->ints[test], expected.visited ? 1 : 0);
    EXPECT_EQ(tests.column("converted")->ints[test], expected.converted ? 1 : 0);
    EXPECT_EQ(decimalAt(*tests.column("spend"), test), expected.spend);
  }
}

TEST(DatasetsHillstrom, Quirks) {
  if (!fs::exists(hillstromFile()))
    GTEST_SKIP() << missingData(hillstromFile());
  Loaded loaded = loadHillstrom();
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& customers = *store.customers;
  const runtime::Table& tests = *store.table("EmailTest");

  // Band labels with a thousands comma are quoted in the file and keep the
  // comma. Row 20 is the first of them.
  std::map<std::string, size_t> bands;
  std::map<int64_t, size_t> zips;
  int64_t historyCents = 0;
  for (size_t row = 0; row < customers.rowCount; ++row) {
    ++bands[textAt(*customers.column("history_segment"), row)];
    ++zips[customers.column("zip_area")->ints[row]];
    historyCents += cents(customers.column("history")->decimals[row]);
  }
  EXPECT_EQ(bands.size(), 7u);
  EXPECT_EQ(bands["6) $750 - $1,000"], 1859u);
  EXPECT_EQ(bands["7) $1,000 +"], 1308u);
  EXPECT_EQ(bands["1) $0 - $100"], 22970u);
  EXPECT_EQ(textAt(*customers.column("history_segment"), customerRow(store, "20")),
            "6) $750 - $1,000");
  // The exact sum of the past-year spend: 15,493,481.97 dollars.
  EXPECT_EQ(historyCents, 1549348197);

  // The misspelling `Surburban` is an enum value like the others.
  EXPECT_EQ(zips[kSurburban], 28776u);
  EXPECT_EQ(zips[kUrban], 25661u);
  EXPECT_EQ(zips[kRural], 9563u);

  // The three groups of the test, the control group without e-mail
  // included, and the responses. A CR left over from the CRLF line endings
  // would make the last column, `spend`, fail to parse.
  std::map<std::string, size_t> treatments;
  std::map<std::string, size_t> conversions;
  size_t visits = 0;
  size_t spenders = 0;
  size_t spendersNotConverted = 0;
  int64_t spendCents = 0;
  for (size_t row = 0; row < tests.rowCount; ++row) {
    std::string treatment = textAt(*tests.column("treatment"), row);
    ++treatments[treatment];
    bool converted = tests.column("converted")->ints[row] == 1;
    conversions[treatment] += converted ? 1 : 0;
    visits += tests.column("visited")->ints[row] == 1 ? 1 : 0;
    const runtime::Decimal& spend = tests.column("spend")->decimals[row];
    bool spent = spend.coefficient != 0;
    spenders += spent ? 1 : 0;
    spendersNotConverted += spent && !converted ? 1 : 0;
    spendCents += cents(spend);
  }
  EXPECT_EQ(treatments.size(), 3u);
  EXPECT_EQ(treatments["Womens E-Mail"], 21387u);
  EXPECT_EQ(treatments["Mens E-Mail"], 21307u);
  EXPECT_EQ(treatments["No E-Mail"], 21306u);
  EXPECT_EQ(conversions["Mens E-Mail"], 267u);
  EXPECT_EQ(conversions["Womens E-Mail"], 189u);
  EXPECT_EQ(conversions["No E-Mail"], 122u);
  EXPECT_EQ(visits, 9394u);
  EXPECT_EQ(spenders, 578u);
  EXPECT_EQ(spendersNotConverted, 0u);
  EXPECT_EQ(spendCents, 6725813);
}

// ----------------------------------------------------- UCI Bank Marketing

// The values of the enums in tests/data/bank_marketing.crm.
constexpr int64_t kMarried = 0;
constexpr int64_t kPrimary = 0;
constexpr int64_t kSecondary = 1;
constexpr int64_t kTertiary = 2;
constexpr int64_t kCellular = 0;
constexpr int64_t kJanuary = 0;
constexpr int64_t kMay = 4;
constexpr int64_t kOctober = 9;
constexpr int64_t kDecember = 11;
constexpr int64_t kFailure = 0;
constexpr int64_t kSuccess = 2;
constexpr int64_t kNo = 0;
constexpr int64_t kYes = 1;

fs::path bankFile() {
  return dataDirectory() / "uci_bank_marketing" / "bank.csv";
}

// `text` replaces the script when given.
Loaded loadBank(std::optional<std::string> text = std::nullopt) {
  LoadOptions options;
  options.sourcePaths["clients_csv"] = bankFile().string();
  return loadScript("bank_marketing.crm", options, std::move(text));
}

TEST(DatasetsBankMarketing, CountsAndUnknownAsNull) {
  if (!fs::exists(bankFile()))
    GTEST_SKIP() << missingData(bankFile());
  Loaded loaded = loadBank();
  const LoadReport& report = loaded.result.report;
  ASSERT_TRUE(report.ok()) << firstError(report);
  EXPECT_EQ(report.rejectedCount, 0u);
  EXPECT_TRUE(report.problems.empty());
  ASSERT_EQ(report.sources.size(), 1u);
  EXPECT_EQ(report.sources[0].records, 4521u);
  ASSERT_NE(tableStats(report, "Client"), nullptr);
  EXPECT_EQ(tableStats(report, "Client")->rows, 4521u);
  // "unknown" in each column that uses it.
  EXPECT_EQ(nullCount(report, "Client", "job"), 38u);
  EXPECT_EQ(nullCount(report, "Client", "education"), 187u);
  EXPECT_EQ(nullCount(report, "Client", "contact"), 1324u);
  EXPECT_EQ(nullCount(report, "Client", "previous_outcome"), 3705u);
}

TEST(DatasetsBankMarketing, SpotValues) {
  if (!fs::exists(bankFile()))
    GTEST_SKIP() << missingData(bankFile());
  Loaded loaded = loadBank();
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& clients = *store.customers;
  auto column = [&](const char* name) -> const runtime::Column& { return *clients.column(name); };

  // The first data line:
  // 30;"unemployed";"married";"primary";"no";1787;"no";"no";"cellular";19;"oct";79;1;-1;0;"unknown";"no"
  uint32_t first = customerRow(store, "1");
  EXPECT_EQ(column("age").ints[first], 30);
  EXPECT_EQ(textAt(column("job"), first), "unemployed");
  EXPECT_EQ(column("marital").ints[first], kMarried);
  EXPECT_EQ(column("education").ints[first], kPrimary);
  EXPECT_EQ(column("has_credit_in_default").ints[first], kNo);
  EXPECT_EQ(decimalAt(column("balance"), first), "1787");
  EXPECT_EQ(column("has_housing_loan").ints[first], kNo);
  EXPECT_EQ(column("has_personal_loan").ints[first], kNo);
  EXPECT_EQ(column("contact").ints[first], kCellular);
  EXPECT_EQ(column("last_contact_day").ints[first], 19);
  EXPECT_EQ(column("last_contact_month").ints[first], kOctober);
  EXPECT_EQ(column("last_contact_seconds").ints[first], 79);
  EXPECT_EQ(column("contacts_this_campaign").ints[first], 1);
  // -1 in the file: never contacted before, read as null.
  EXPECT_TRUE(column("days_since_previous_campaign").isNull(first));
  EXPECT_EQ(column("contacts_before_campaign").ints[first], 0);
  EXPECT_TRUE(column("previous_outcome").isNull(first));
  EXPECT_EQ(column("subscribed").ints[first], kNo);

  // The second: contacted 339 days before, four times, without success.
  uint32_t second = customerRow(store, "2");
  EXPECT_EQ(textAt(column("job"), second), "services");
  EXPECT_EQ(column("education").ints[second], kSecondary);
  EXPECT_EQ(column("has_housing_loan").ints[second], kYes);
  EXPECT_EQ(decimalAt(column("balance"), second), "4789");
  EXPECT_EQ(column("last_contact_month").ints[second], kMay);
  EXPECT_EQ(column("days_since_previous_campaign").ints[second], 339);
  EXPECT_EQ(column("contacts_before_campaign").ints[second], 4);
  EXPECT_FALSE(column("previous_outcome").isNull(second));
  EXPECT_EQ(column("previous_outcome").ints[second], kFailure);

  // Client 50: the first earlier success, with an unknown education, and a
  // subscription.
  uint32_t success = customerRow(store, "50");
  EXPECT_EQ(textAt(column("job"), success), "admin.");
  EXPECT_TRUE(column("education").isNull(success));
  EXPECT_EQ(column("last_contact_month").ints[success], kJanuary);
  EXPECT_EQ(column("days_since_previous_campaign").ints[success], 92);
  EXPECT_EQ(column("previous_outcome").ints[success], kSuccess);
  EXPECT_EQ(column("subscribed").ints[success], kYes);

  // Client 179: job, education and contact all "unknown".
  uint32_t unknown = customerRow(store, "179");
  EXPECT_TRUE(column("job").isNull(unknown));
  EXPECT_TRUE(column("education").isNull(unknown));
  EXPECT_TRUE(column("contact").isNull(unknown));
  EXPECT_EQ(column("marital").ints[unknown], kMarried);

  // The extreme balances, and the most contacts in this campaign.
  EXPECT_EQ(decimalAt(column("balance"), customerRow(store, "4518")), "-3313");
  EXPECT_EQ(decimalAt(column("balance"), customerRow(store, "3701")), "71188");
  EXPECT_EQ(column("contacts_this_campaign").ints[customerRow(store, "2505")], 50);
  EXPECT_EQ(column("days_since_previous_campaign").ints[customerRow(store, "2250")], 871);
}

TEST(DatasetsBankMarketing, Quirks) {
  if (!fs::exists(bankFile()))
    GTEST_SKIP() << missingData(bankFile());
  Loaded loaded = loadBank();
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& clients = *store.customers;
  const runtime::Column& pdays = *clients.column("days_since_previous_campaign");
  const runtime::Column& outcome = *clients.column("previous_outcome");
  const runtime::Column& balance = *clients.column("balance");
  const runtime::Column& job = *clients.column("job");

  size_t neverContacted = 0;
  size_t neverContactedWithOutcome = 0;
  size_t negativeBalances = 0;
  size_t admins = 0;
  size_t intensive = 0;
  size_t subscribed = 0;
  std::map<int64_t, size_t> months;
  std::map<int64_t, size_t> educations;
  for (size_t row = 0; row < clients.rowCount; ++row) {
    bool never = pdays.isNull(row);
    neverContacted += never ? 1 : 0;
    neverContactedWithOutcome += never && !outcome.isNull(row) ? 1 : 0;
    negativeBalances += balance.decimals[row].coefficient < 0 ? 1 : 0;
    admins += !job.isNull(row) && textAt(job, row) == "admin." ? 1 : 0;
    intensive += clients.column("contacts_this_campaign")->ints[row] >= 10 ? 1 : 0;
    subscribed += clients.column("subscribed")->ints[row] == kYes ? 1 : 0;
    ++months[clients.column("last_contact_month")->ints[row]];
    if (!clients.column("education")->isNull(row)) {
      ++educations[clients.column("education")->ints[row]];
    }
  }
  // pdays = -1 (never contacted before, read as null) and poutcome =
  // "unknown" mark the same 3,705 clients.
  EXPECT_EQ(neverContacted, 3705u);
  EXPECT_EQ(neverContactedWithOutcome, 0u);
  EXPECT_EQ(negativeBalances, 366u);
  // `admin.` keeps its trailing dot.
  EXPECT_EQ(admins, 478u);
  EXPECT_EQ(intensive, 157u);
  EXPECT_EQ(subscribed, 521u);
  EXPECT_EQ(months[kMay], 1398u);
  EXPECT_EQ(months[kDecember], 20u);
  EXPECT_EQ(educations[kSecondary], 2306u);
  EXPECT_EQ(educations[kTertiary], 1350u);

  // Real balances of -1 and 999 are values, not sentinels.
  for (const char* id : {"1771", "2163", "3495", "3927", "4318"}) {
    EXPECT_EQ(decimalAt(balance, customerRow(store, id)), "-1") << "client " << id;
  }
  for (const char* id : {"418", "4421"}) {
    EXPECT_EQ(decimalAt(balance, customerRow(store, id)), "999") << "client " << id;
  }
}

// "-1" is a null marker of the source, yet the five real balances of -1
// stay numbers, because `balance` is a required field and reads "-1" as a
// valid decimal.
TEST(DatasetsBankMarketing, MinusOneMarkerKeepsRealBalances) {
  if (!fs::exists(bankFile()))
    GTEST_SKIP() << missingData(bankFile());
  Loaded loaded = loadBank();
  const LoadReport& report = loaded.result.report;
  ASSERT_TRUE(report.ok()) << firstError(report);
  EXPECT_EQ(report.rejectedCount, 0u);
  EXPECT_EQ(nullCount(report, "Client", "days_since_previous_campaign"), 3705u);
  const runtime::Column& balance = *loaded.result.store->customers->column("balance");
  size_t minusOne = 0;
  for (size_t row = 0; row < loaded.result.store->customers->rowCount; ++row) {
    minusOne += balance.decimals[row].coefficient == -1 && balance.decimals[row].scale == 0;
  }
  EXPECT_EQ(minusOne, 5u);
}

// ---------------------------------------------- Customer Personality Analysis

fs::path personalityFile() {
  return dataDirectory() / "customer_personality_analysis" / "marketing_campaign.csv";
}

Loaded loadPersonality() {
  LoadOptions options;
  options.sourcePaths["customers_csv"] = personalityFile().string();
  return loadScript("customer_personality.crm", options);
}

TEST(DatasetsCustomerPersonality, CountsAndNulls) {
  if (!fs::exists(personalityFile()))
    GTEST_SKIP() << missingData(personalityFile());
  Loaded loaded = loadPersonality();
  const LoadReport& report = loaded.result.report;
  ASSERT_TRUE(report.ok()) << firstError(report);
  EXPECT_EQ(report.rejectedCount, 0u);
  EXPECT_TRUE(report.problems.empty());
  ASSERT_EQ(report.sources.size(), 1u);
  EXPECT_EQ(report.sources[0].records, 2240u);
  ASSERT_NE(tableStats(report, "Customer"), nullptr);
  EXPECT_EQ(tableStats(report, "Customer")->rows, 2240u);
  EXPECT_EQ(nullCount(report, "Customer", "income"), 24u);
}

TEST(DatasetsCustomerPersonality, SpotValues) {
  if (!fs::exists(personalityFile()))
    GTEST_SKIP() << missingData(personalityFile());
  Loaded loaded = loadPersonality();
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& customers = *store.customers;
  auto column = [&](const char* name) -> const runtime::Column& { return *customers.column(name); };

  // The first data line.
  uint32_t row = customerRow(store, "5524");
  EXPECT_EQ(column("birth_year").ints[row], 1957);
  EXPECT_EQ(textAt(column("education"), row), "Graduation");
  EXPECT_EQ(textAt(column("marital_status"), row), "Single");
  EXPECT_FALSE(column("income").isNull(row));
  EXPECT_EQ(decimalAt(column("income"), row), "58138");
  EXPECT_EQ(column("kids_at_home").ints[row], 0);
  EXPECT_EQ(column("teens_at_home").ints[row], 0);
  // 04-09-2012 is the 4th of September.
  EXPECT_EQ(column("enrolled_on").ints[row], date("2012-09-04"));
  EXPECT_EQ(column("days_since_last_purchase").ints[row], 58);
  EXPECT_EQ(decimalAt(column("wine_spend"), row), "635");
  EXPECT_EQ(decimalAt(column("fruit_spend"), row), "88");
  EXPECT_EQ(decimalAt(column("meat_spend"), row), "546");
  EXPECT_EQ(decimalAt(column("fish_spend"), row), "172");
  EXPECT_EQ(decimalAt(column("sweet_spend"), row), "88");
  EXPECT_EQ(decimalAt(column("gold_spend"), row), "88");
  EXPECT_EQ(column("deal_purchases").ints[row], 3);
  EXPECT_EQ(column("web_purchases").ints[row], 8);
  EXPECT_EQ(column("catalog_purchases").ints[row], 10);
  EXPECT_EQ(column("store_purchases").ints[row], 4);
  EXPECT_EQ(column("web_visits_last_month").ints[row], 7);
  EXPECT_EQ(column("accepted_campaign_1").ints[row], 0);
  EXPECT_EQ(column("accepted_last_campaign").ints[row], 1);
  EXPECT_EQ(column("complained").ints[row], 0);

  // 08-03-2014 is the 8th of March, and 21-08-2013, with a day above 12,
  // cannot be read month first.
  EXPECT_EQ(column("enrolled_on").ints[customerRow(store, "2174")], date("2014-03-08"));
  EXPECT_EQ(column("enrolled_on").ints[customerRow(store, "4141")], date("2013-08-21"));
  // Customer 0 is a valid key.
  uint32_t zero = customerRow(store, "0");
  EXPECT_EQ(column("birth_year").ints[zero], 1985);
  EXPECT_EQ(decimalAt(column("income"), zero), "70951");
  // A missing income.
  EXPECT_TRUE(column("income").isNull(customerRow(store, "1994")));
}

TEST(DatasetsCustomerPersonality, Quirks) {
  if (!fs::exists(personalityFile()))
    GTEST_SKIP() << missingData(personalityFile());
  Loaded loaded = loadPersonality();
  ASSERT_TRUE(loaded.result.report.ok()) << firstError(loaded.result.report);
  const runtime::Store& store = *loaded.result.store;
  const runtime::Table& customers = *store.customers;
  auto column = [&](const char* name) -> const runtime::Column& { return *customers.column(name); };

  // Implausible birth years.
  std::set<std::string> ancient;
  std::map<std::string, size_t> statuses;
  std::map<std::string, size_t> educations;
  std::set<std::string> noPurchases;
  std::map<std::string, size_t> accepted;
  size_t constantCost = 0;
  size_t constantRevenue = 0;
  int64_t incomeSum = 0;
  int64_t wineSum = 0;
  int64_t firstEnrolment = INT64_MAX;
  int64_t lastEnrolment = INT64_MIN;
  for (uint32_t row = 0; row < customers.rowCount; ++row) {
    std::string id = customers.keyText(row);
    if (column("birth_year").ints[row] < 1920)
      ancient.insert(id);
    ++statuses[textAt(column("marital_status"), row)];
    ++educations[textAt(column("education"), row)];
    if (column("web_purchases").ints[row] == 0 && column("catalog_purchases").ints[row] == 0 &&
        column("store_purchases").ints[row] == 0) {
      noPurchases.insert(id);
    }
    for (const char* flag :
         {"accepted_campaign_1", "accepted_campaign_2", "accepted_campaign_3",
          "accepted_campaign_4", "accepted_campaign_5", "accepted_last_campaign", "complained"}) {
      accepted[flag] += column(flag).ints[row] == 1 ? 1 : 0;
    }
    constantCost += decimalAt(column("contact_cost"), row) == "3" ? 1 : 0;
    constantRevenue += decimalAt(column("revenue_per_acceptance"), row) == "11" ? 1 : 0;
    if (!column("income").isNull(row))
      incomeSum += column("income").decimals[row].coefficient;
    wineSum += column("wine_spend").decimals[row].coefficient;
    firstEnrolment = std::min(firstEnrolment, column("enrolled_on").ints[row]);
    lastEnrolment = std::max(lastEnrolment, column("enrolled_on").ints[row]);
  }
  EXPECT_EQ(ancient, (std::set<std::string>{"7829", "11004", "1150"}));
  EXPECT_EQ(column("birth_year").ints[customerRow(store, "11004")], 1893);

  // Categorical noise is kept as written.
  EXPECT_EQ(statuses.size(), 8u);
  EXPECT_EQ(statuses["Alone"], 3u);
  EXPECT_EQ(statuses["Absurd"], 2u);
  EXPECT_EQ(statuses["YOLO"], 2u);
  EXPECT_EQ(textAt(column("marital_status"), customerRow(store, "492")), "YOLO");
  EXPECT_EQ(educations["2n Cycle"], 203u);

  // The income outlier, and the exact sum of the 2,216 known incomes.
  EXPECT_EQ(decimalAt(column("income"), customerRow(store, "9432")), "666666");
  EXPECT_EQ(incomeSum, 115779909);
  EXPECT_EQ(wineSum, 680816);

  // The flag columns come as Cmp3, Cmp4, Cmp5, Cmp1, Cmp2 and are bound by
  // name: customer 1 accepted only campaign 2, customer 6565 only 1.
  EXPECT_EQ(accepted["accepted_campaign_1"], 144u);
  EXPECT_EQ(accepted["accepted_campaign_2"], 30u);
  EXPECT_EQ(accepted["accepted_campaign_3"], 163u);
  EXPECT_EQ(accepted["accepted_campaign_4"], 167u);
  EXPECT_EQ(accepted["accepted_campaign_5"], 163u);
  EXPECT_EQ(accepted["accepted_last_campaign"], 334u);
  EXPECT_EQ(accepted["complained"], 21u);
  for (const auto& [id, campaign] :
       std::vector<std::pair<std::string, int>>{{"1", 2}, {"6565", 1}}) {
    uint32_t row = customerRow(store, id);
    for (int number = 1; number <= 5; ++number) {
      std::string flag = "accepted_campaign_" + std::to_string(number);
      EXPECT_EQ(column(flag.c_str()).ints[row], number == campaign ? 1 : 0)
          << "customer " << id << ", " << flag;
    }
  }

  // Six customers bought nothing on the web, by catalogue or in store.
  EXPECT_EQ(noPurchases, (std::set<std::string>{"5555", "3955", "6862", "11110", "9931", "11181"}));

  // The constant columns.
  EXPECT_EQ(constantCost, 2240u);
  EXPECT_EQ(constantRevenue, 2240u);

  // Enrolment dates run from 30-07-2012 to 29-06-2014.
  EXPECT_EQ(firstEnrolment, date("2012-07-30"));
  EXPECT_EQ(lastEnrolment, date("2014-06-29"));
}

}  // namespace
}  // namespace crm::load
