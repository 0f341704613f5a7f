// Compares the members of segments, as the run computes them over the
// bundled Complete Journey data, with SQL queries that SQLite runs over the
// same CSV files. The queries restate each segment's definition from its
// comment and the language reference, without the product's code: the test
// reads the CSV files itself, keeps every value as text, and does the
// conversions in SQL.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "run/prepare.h"
#include "run/run.h"
#include "runtime/time.h"
#include "tests/support/engines.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

// Two weeks after the last purchase in the data, so that 30-, 90-, 180- and
// 365-day windows all contain some of it.
const char* const kAsOf = "2018-01-15T00:00:00Z";

const char* const kCsvFiles[] = {
    "campaign_descriptions", "campaigns", "coupon_redemptions", "coupons",
    "demographics",          "products",  "transactions_sample",
};

// Tables and views derived from the imported text tables. `clock` stores the
// run's instant in seconds since the epoch. `lines` and `spend` are tables
// rather than views because most queries read them.
//
// transactions_sample.csv writes local New York time without an offset.
// `lines.at_utc` applies the US daylight saving rule in force since 2007:
// UTC-4 from the second Sunday of March at 02:00 to the first Sunday of
// November at 02:00, UTC-5 otherwise. The repeated hour before 02:00 on the
// November day would count as UTC-4, but no line of the data falls in it or
// in the skipped hour of March.
//
// Money becomes integer cents, which is exact because the data writes at
// most two decimals, as CrossCheckData.AmountsHaveAtMostTwoDecimals checks.
const char* const kDerived = R"sql(
CREATE VIEW households AS
  SELECT household_id FROM demographics
  UNION SELECT household_id FROM transactions_sample
  UNION SELECT household_id FROM campaigns
  UNION SELECT household_id FROM coupon_redemptions;

CREATE VIEW customers AS
  SELECT h.household_id,
         NULLIF(d.age, '') AS age,
         NULLIF(d.income, '') AS income,
         NULLIF(d.home_ownership, '') AS home_ownership,
         NULLIF(d.household_size, '') AS household_size
  FROM households h LEFT JOIN demographics d USING (household_id);

CREATE TABLE lines AS
  SELECT household_id, store_id, basket_id, product_id,
         CAST(ROUND(CAST(sales_value AS REAL) * 100) AS INTEGER) AS sales_cents,
         CAST(ROUND(CAST(retail_disc AS REAL) * 100) AS INTEGER) AS retail_cents,
         CAST(ROUND(CAST(coupon_disc AS REAL) * 100) AS INTEGER) AS coupon_cents,
         transaction_timestamp AS local_time,
         substr(transaction_timestamp, 1, 10) AS local_date,
         CAST(strftime('%s', transaction_timestamp) AS INTEGER) +
           CASE WHEN transaction_timestamp >=
                       date(substr(transaction_timestamp, 1, 4) || '-03-01', 'weekday 0', '+7 days')
                       || ' 02:00:00'
                 AND transaction_timestamp <
                       date(substr(transaction_timestamp, 1, 4) || '-11-01', 'weekday 0')
                       || ' 02:00:00'
                THEN 4 * 3600 ELSE 5 * 3600 END AS at_utc
  FROM transactions_sample;
CREATE INDEX lines_household ON lines (household_id);

-- age_s is how long before the run's instant the line was bought, so
-- `t within Nd` is age_s BETWEEN 0 AND N * 86400.
CREATE VIEW aged_lines AS
  SELECT lines.*, clock.now_s - lines.at_utc AS age_s FROM lines, clock;

-- Spend per household in cents over windows that end at the run's instant.
-- prior_90d is the 90 days before the last 90.
CREATE TABLE spend AS
  SELECT h.household_id,
         COALESCE(SUM(CASE WHEN age_s BETWEEN 0 AND 30 * 86400 THEN sales_cents END), 0)
           AS cents_30d,
         COALESCE(SUM(CASE WHEN age_s BETWEEN 0 AND 90 * 86400 THEN sales_cents END), 0)
           AS cents_90d,
         COALESCE(SUM(CASE WHEN age_s > 90 * 86400 AND age_s <= 180 * 86400
                           THEN sales_cents END), 0) AS cents_prior_90d,
         COALESCE(SUM(CASE WHEN age_s BETWEEN 0 AND 365 * 86400 THEN sales_cents END), 0)
           AS cents_365d
  FROM households h LEFT JOIN aged_lines l USING (household_id)
  GROUP BY h.household_id;

-- Households with a line whose product is missing from products.csv: an
-- expression that reads that line's product fails for them.
CREATE VIEW households_with_unknown_product AS
  SELECT DISTINCT household_id FROM lines
  WHERE product_id NOT IN (SELECT product_id FROM products);
)sql";

struct SegmentCase {
  const char* name;
  const char* script;  // relative to the source directory
  // A query that selects the household_id of each member.
  const char* sql;
};

const char* const kWinback = "examples/winback/winback.crm";
const char* const kHighValue = "examples/high_value/high_value.crm";
const char* const kPostPurchase = "examples/post_purchase/post_purchase.crm";
const char* const kCrossCheck = "tests/crosscheck/segments.crm";

const SegmentCase kCases[] = {
    // At least four baskets, the last more than 60 whole days ago.
    {"lapsed", kWinback, R"sql(
      SELECT household_id FROM aged_lines GROUP BY household_id
      HAVING COUNT(DISTINCT basket_id) >= 4 AND MIN(age_s) / 86400 > 60)sql"},
    {"lapsed_high_spender", kWinback, R"sql(
      SELECT household_id FROM aged_lines JOIN spend USING (household_id)
      WHERE cents_365d >= 15000
      GROUP BY household_id
      HAVING COUNT(DISTINCT basket_id) >= 4 AND MIN(age_s) / 86400 > 60)sql"},
    {"coupon_redeemer", kWinback, R"sql(
      SELECT DISTINCT household_id FROM coupon_redemptions)sql"},

    // Gold from $230 of yearly spend, silver from $135.
    {"gold_household", kHighValue, R"sql(
      SELECT household_id FROM spend WHERE cents_365d >= 23000)sql"},
    {"cooling_gold", kHighValue, R"sql(
      SELECT household_id FROM spend
      WHERE cents_365d >= 23000 AND 2 * cents_90d < cents_prior_90d)sql"},
    {"near_gold", kHighValue, R"sql(
      SELECT household_id FROM spend WHERE cents_365d >= 19000 AND cents_365d < 23000)sql"},

    // Two or more baskets in the last 90 days.
    {"regular_shopper", kPostPurchase, R"sql(
      SELECT household_id FROM aged_lines WHERE age_s BETWEEN 0 AND 90 * 86400
      GROUP BY household_id HAVING COUNT(DISTINCT basket_id) >= 2)sql"},

    {"spent_40_in_30d", kCrossCheck, R"sql(
      SELECT household_id FROM spend WHERE cents_30d >= 4000)sql"},
    {"many_stores", kCrossCheck, R"sql(
      SELECT household_id FROM lines GROUP BY household_id
      HAVING COUNT(DISTINCT store_id) >= 3)sql"},
    {"last_trip_two_weeks_ago", kCrossCheck, R"sql(
      SELECT household_id FROM aged_lines GROUP BY household_id
      HAVING MIN(age_s) / 86400 BETWEEN 14 AND 20)sql"},
    {"discount_hunter", kCrossCheck, R"sql(
      SELECT household_id FROM aged_lines WHERE age_s BETWEEN 0 AND 365 * 86400
      GROUP BY household_id
      HAVING 4 * SUM(retail_cents + coupon_cents) >= SUM(sales_cents))sql"},
    // Reading the product of a line whose product is missing from the
    // catalog fails, and a household whose segment fails is not a member.
    {"produce_regular", kCrossCheck, R"sql(
      SELECT household_id FROM lines JOIN products USING (product_id)
      WHERE department = 'PRODUCE'
        AND household_id NOT IN (SELECT household_id FROM households_with_unknown_product)
      GROUP BY household_id HAVING COUNT(*) >= 10)sql"},
    // A line without a catalog product would make the brand test fail, so
    // every line of the window must have one.
    {"private_label_fan", kCrossCheck, R"sql(
      SELECT l.household_id FROM aged_lines l LEFT JOIN products p USING (product_id)
      WHERE l.age_s BETWEEN 0 AND 90 * 86400
      GROUP BY l.household_id
      HAVING COUNT(*) >= 10 AND COUNT(p.product_id) = COUNT(*)
        AND 2 * SUM(p.brand = 'Private') >= COUNT(*))sql"},
    {"recent_type_a_redeemer", kCrossCheck, R"sql(
      SELECT DISTINCT r.household_id
      FROM coupon_redemptions r JOIN campaign_descriptions d USING (campaign_id), clock
      WHERE d.campaign_type = 'Type A'
        AND r.redemption_date BETWEEN date(clock.now_s - 120 * 86400, 'unixepoch')
                                  AND date(clock.now_s, 'unixepoch'))sql"},
    {"multi_campaign_redeemer", kCrossCheck, R"sql(
      SELECT household_id FROM coupon_redemptions GROUP BY household_id
      HAVING COUNT(DISTINCT campaign_id) >= 3)sql"},
    {"contacted_never_redeemed", kCrossCheck, R"sql(
      SELECT DISTINCT c.household_id
      FROM campaigns c JOIN campaign_descriptions d USING (campaign_id)
      WHERE d.campaign_type = 'Type C'
        AND c.household_id NOT IN (SELECT household_id FROM coupon_redemptions))sql"},
    {"bought_on_promotion", kCrossCheck, R"sql(
      SELECT DISTINCT l.household_id
      FROM aged_lines l
        JOIN products p USING (product_id)
        JOIN coupons c ON c.product_id = p.product_id
        JOIN campaign_descriptions d ON d.campaign_id = c.campaign_id
      WHERE l.age_s BETWEEN 0 AND 30 * 86400
        AND l.local_date BETWEEN d.start_date AND d.end_date)sql"},
    {"weekend_shopper", kCrossCheck, R"sql(
      SELECT household_id FROM lines WHERE strftime('%w', local_time) IN ('0', '6')
      GROUP BY household_id HAVING COUNT(DISTINCT local_date) >= 8)sql"},
    {"affluent_homeowner", kCrossCheck, R"sql(
      SELECT household_id FROM customers JOIN spend USING (household_id)
      WHERE income IN ('100-124K', '125-149K', '150-174K', '175-199K', '200-249K', '250K+')
        AND home_ownership = 'Homeowner'
        AND cents_365d >= 5000)sql"},
    {"small_older_household", kCrossCheck, R"sql(
      SELECT household_id FROM customers
      WHERE (age IS NULL OR age IN ('55-64', '65+'))
        AND household_size IN ('1', '2'))sql"},
};

// Splits RFC 4180 text into records of fields: commas separate fields,
// double quotes enclose fields that contain commas, quotes or line breaks,
// and a doubled quote inside them is one quote. Records end with LF or CRLF.
std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

struct DatabaseCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Database = std::unique_ptr<sqlite3, DatabaseCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

void execute(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  std::string error = message != nullptr ? message : "";
  sqlite3_free(message);
  ASSERT_EQ(rc, SQLITE_OK) << error << "\nin: " << sql;
}

Statement prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db) << "\nin: " << sql;
  return Statement(statement);
}

std::string quoteIdentifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Creates table `name` with one TEXT column per header field of the CSV file
// and inserts its records.
void importCsv(sqlite3* db, const std::string& name, const std::string& path) {
  std::vector<std::vector<std::string>> records = parseCsv(testing::readFile(path));
  ASSERT_FALSE(records.empty()) << path << " has no header";
  const std::vector<std::string>& header = records[0];

  std::string columns;
  std::string placeholders;
  for (const std::string& column : header) {
    columns += (columns.empty() ? "" : ", ") + quoteIdentifier(column) + " TEXT";
    placeholders += placeholders.empty() ? "?" : ", ?";
  }
  execute(db, "CREATE TABLE " + quoteIdentifier(name) + " (" + columns + ")");

  Statement insert =
      prepare(db, "INSERT INTO " + quoteIdentifier(name) + " VALUES (" + placeholders + ")");
  ASSERT_NE(insert, nullptr);
  for (size_t r = 1; r < records.size(); ++r) {
    ASSERT_EQ(records[r].size(), header.size()) << path << ": record " << r;
    for (size_t c = 0; c < header.size(); ++c) {
      sqlite3_bind_text(insert.get(), static_cast<int>(c + 1), records[r][c].c_str(), -1,
                        SQLITE_TRANSIENT);
    }
    ASSERT_EQ(sqlite3_step(insert.get()), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_reset(insert.get());
  }
}

// The text of the first column of every row the query returns, sorted.
std::vector<std::string> queryColumn(sqlite3* db, const std::string& sql) {
  std::vector<std::string> values;
  Statement statement = prepare(db, sql);
  if (statement == nullptr) return values;
  int rc;
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(statement.get(), 0);
    values.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
  }
  EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db) << "\nin: " << sql;
  std::sort(values.begin(), values.end());
  return values;
}

int64_t queryInteger(sqlite3* db, const std::string& sql) {
  std::vector<std::string> values = queryColumn(db, sql);
  return values.size() == 1 ? std::stoll(values[0]) : -1;
}

// One script, prepared once, with its segments' members from runs with one
// and with two threads on each engine (in the order of testing::kEngines).
struct EngineRuns {
  run::Engine engine;
  run::RunResult single;
  run::RunResult parallel;
};

struct ScriptRun {
  run::Prepared prepared;
  std::vector<EngineRuns> engines;
};

run::RunResult runAt(const run::Prepared& prepared, unsigned threads, run::Engine engine) {
  run::RunOptions options;
  options.engine = engine;
  options.asOf = *runtime::parseTimestamp(kAsOf);
  options.threads = threads;
  options.collectMembers = true;
  return run::runProgram(*prepared.program, *prepared.store, options);
}

// The keys of `rows` of the customer table, sorted.
std::vector<std::string> customerKeys(const run::Prepared& prepared,
                                      const std::vector<uint32_t>& rows) {
  const runtime::Table* customers = prepared.store->table(prepared.program->customerEntity);
  std::vector<std::string> keys;
  for (uint32_t row : rows) keys.push_back(customers->keyText(row));
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Index of segment `name` in Program::segments(), or -1.
int segmentIndex(const ir::Program& program, const std::string& name) {
  std::vector<uint32_t> segments = program.segments();
  for (size_t i = 0; i < segments.size(); ++i) {
    if (program.declarations[segments[i]].name == name) return static_cast<int>(i);
  }
  return -1;
}

// The members on one side and not on the other, for failure messages.
std::string describeDifference(const std::vector<std::string>& product,
                               const std::vector<std::string>& sql) {
  std::vector<std::string> onlyProduct;
  std::vector<std::string> onlySql;
  std::set_difference(product.begin(), product.end(), sql.begin(), sql.end(),
                      std::back_inserter(onlyProduct));
  std::set_difference(sql.begin(), sql.end(), product.begin(), product.end(),
                      std::back_inserter(onlySql));
  std::ostringstream out;
  out << "members only in the run:";
  for (const std::string& key : onlyProduct) out << ' ' << key;
  out << "\nmembers only in SQL:";
  for (const std::string& key : onlySql) out << ' ' << key;
  return out.str();
}

// Imports the CSV files into an in-memory database and creates the tables of
// kDerived.
Database buildDatabase() {
  sqlite3* opened = nullptr;
  EXPECT_EQ(sqlite3_open(":memory:", &opened), SQLITE_OK);
  Database db(opened);

  std::string dataDir = std::string(CRM_SOURCE_DIR) + "/examples/data/completejourney/";
  execute(db.get(), "BEGIN");
  for (const char* file : kCsvFiles) importCsv(db.get(), file, dataDir + file + ".csv");
  execute(db.get(), "COMMIT");

  int64_t now = *runtime::parseTimestamp(kAsOf) / runtime::kMicrosPerSecond;
  execute(db.get(), "CREATE TABLE clock (now_s INTEGER); INSERT INTO clock VALUES (" +
                        std::to_string(now) + ")");
  execute(db.get(), kDerived);
  return db;
}

// The database of buildDatabase, built on first use and shared by the tests.
sqlite3* crossCheckDatabase() {
  static Database db = buildDatabase();
  return db.get();
}

// Prepares and runs `script` on first use.
const ScriptRun& scriptRun(const std::string& script) {
  static std::map<std::string, std::unique_ptr<ScriptRun>> runs;
  auto found = runs.find(script);
  if (found != runs.end()) return *found->second;
  auto scriptRun = std::make_unique<ScriptRun>();
  scriptRun->prepared =
      run::prepareScript(std::string(CRM_SOURCE_DIR) + "/" + script, load::LoadOptions{});
  if (scriptRun->prepared.ok()) {
    for (run::Engine engine : testing::kEngines) {
      scriptRun->engines.push_back(
          {engine, runAt(scriptRun->prepared, 1, engine), runAt(scriptRun->prepared, 2, engine)});
    }
  }
  return *runs.emplace(script, std::move(scriptRun)).first->second;
}

void PrintTo(const SegmentCase& c, std::ostream* out) { *out << c.name; }

class SegmentCrossCheck : public ::testing::TestWithParam<SegmentCase> {};

TEST_P(SegmentCrossCheck, MembersMatchSql) {
  const SegmentCase& c = GetParam();
  const ScriptRun& script = scriptRun(c.script);
  ASSERT_TRUE(script.prepared.ok()) << testing::summarize(*script.prepared.compilation);
  int index = segmentIndex(*script.prepared.program, c.name);
  ASSERT_GE(index, 0) << c.script << " declares no segment " << c.name;

  std::vector<std::string> expected = queryColumn(crossCheckDatabase(), c.sql);
  // A segment that contains every household, or none, would compare nothing.
  EXPECT_GT(expected.size(), 0u);
  for (const EngineRuns& runs : script.engines) {
    std::vector<std::string> single = customerKeys(script.prepared, runs.single.members[index]);
    std::vector<std::string> parallel =
        customerKeys(script.prepared, runs.parallel.members[index]);
    EXPECT_LT(expected.size(), runs.single.customers);
    EXPECT_EQ(single, expected) << run::engineName(runs.engine) << "\n"
                                << describeDifference(single, expected);
    EXPECT_EQ(parallel, single) << "the members depend on the thread count";
  }
}

INSTANTIATE_TEST_SUITE_P(CrossCheck, SegmentCrossCheck, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// The cents in `lines` are exact for plain decimal text with at most two
// decimals. The files have no empty amounts, signs or exponents.
TEST(CrossCheckData, AmountsHaveAtMostTwoDecimals) {
  for (std::string column : {"sales_value", "retail_disc", "coupon_disc"}) {
    std::string sql = "SELECT COUNT(*) FROM transactions_sample WHERE " + column + " = '' OR " +
                      column + " GLOB '*[^0-9.]*' OR " + column + " GLOB '*.[0-9][0-9][0-9]*'";
    EXPECT_EQ(queryInteger(crossCheckDatabase(), sql), 0) << column;
  }
}

TEST(CrossCheckData, CustomersAreTheHouseholds) {
  const ScriptRun& script = scriptRun(kCrossCheck);
  ASSERT_TRUE(script.prepared.ok()) << testing::summarize(*script.prepared.compilation);
  for (const EngineRuns& runs : script.engines) {
    EXPECT_EQ(static_cast<int64_t>(runs.single.customers),
              queryInteger(crossCheckDatabase(), "SELECT COUNT(*) FROM households"));
  }
}

// The line of household 243 whose product is missing from the catalog is an
// error in produce_regular, and in no other segment of the script.
TEST(CrossCheckData, UnknownProductIsOneError) {
  const ScriptRun& script = scriptRun(kCrossCheck);
  ASSERT_TRUE(script.prepared.ok()) << testing::summarize(*script.prepared.compilation);
  std::string sql = "SELECT household_id FROM households_with_unknown_product";
  EXPECT_EQ(queryColumn(crossCheckDatabase(), sql), std::vector<std::string>{"243"});
  for (const EngineRuns& runs : script.engines) {
    for (const run::RunResult* result : {&runs.single, &runs.parallel}) {
      EXPECT_EQ(result->errorCount, 1u);
      EXPECT_EQ(result->errorsByRule, (std::map<std::string, size_t>{{"produce_regular", 1}}));
      ASSERT_EQ(result->errors.size(), 1u);
      EXPECT_EQ(customerKeys(script.prepared, {result->errors[0].customer}),
                std::vector<std::string>{"243"});
    }
  }
}

}  // namespace
}  // namespace crm
