// Loading sqlite(path, query) sources from databases that each test writes
// with the SQLite C API.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "loader/loader.h"
#include "runtime/time.h"
#include "tests/support/test_support.h"

namespace crm::load {
namespace {

namespace fs = std::filesystem;

const char* const kSchema = R"(
customer entity Customer key id {
  id: string
  age: int?
  city: string?
  big: int?
  vip: bool?
  orders: list<Order>
}
entity Order key order_id {
  order_id: string
  customer_id: string
  product: Product
  total: decimal
  ratio: double?
  at: timestamp
}
catalog entity Product key sku levels(department) {
  sku: string
  department: string
  price: decimal?
}
)";

// Column types chosen for their storage class: INTEGER keeps integers,
// TEXT keeps text (so total is the text '10.50'), REAL keeps doubles.
const char* const kShop = R"(
CREATE TABLE customers (id TEXT, age INTEGER, city TEXT, big INTEGER, vip INTEGER);
INSERT INTO customers VALUES
  ('c1', 34, 'Paris', 9007199254740993, 1),
  ('c2', NULL, 'Lyon', -9007199254740993, 0);
CREATE TABLE orders (order_id TEXT, customer_id TEXT, sku TEXT, total TEXT, ratio REAL, at TEXT);
INSERT INTO orders VALUES
  ('o1', 'c2', 'p1', '10.50', 0.1, '2026-01-02 10:00:00'),
  ('o2', 'c1', 'p2', '3.00', NULL, '2026-01-03 11:00:00'),
  ('o3', 'c2', 'p9', '1.25', 0.1 + 0.2, '2026-01-04 12:00:00'),
  ('o4', 'c3', 'p1', '7.00', 2.5, '2026-01-05 13:00:00');
CREATE TABLE products (sku TEXT, department TEXT, price REAL);
INSERT INTO products VALUES ('p1', 'FOOD', 2.5), ('p2', 'DRINKS', NULL), ('p3', 'FOOD', 10.5);
)";

const char* const kSources = R"(
source customers: Customer from sqlite("shop.db", "SELECT id, age, city, big, vip FROM customers") {
  columns { id  age  city  big  vip }
}
source orders: Order from sqlite("shop.db", "SELECT * FROM orders ORDER BY order_id") {
  timestamp_format: "%Y-%m-%d %H:%M:%S"
  time_zone: "Europe/Paris"
  parent: customer_id
  columns { order_id  customer_id  sku -> product  total  ratio  at }
}
source products: Product from sqlite("shop.db", "products") { columns { sku  department  price } }
)";

class SqliteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_sqlite_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    createDatabase("shop.db", kShop);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Creates the database `name` in the test's folder and runs `sql` on it.
  void createDatabase(const std::string& name, const std::string& sql) {
    sqlite3* database = nullptr;
    ASSERT_EQ(sqlite3_open(path(name).c_str(), &database), SQLITE_OK);
    char* error = nullptr;
    int status = sqlite3_exec(database, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(database);
    ASSERT_EQ(status, SQLITE_OK) << message;
  }

  LoadResult load(const std::string& script, LoadOptions options = {}) {
    std::ofstream(dir_ / "script.crm", std::ios::binary) << script;
    compilation_ = driver::checkScripts({{path("script.crm"), std::nullopt}});
    EXPECT_FALSE(compilation_->hasErrors()) << testing::summarize(*compilation_);
    std::vector<const ast::Script*> scripts;
    for (const auto& s : compilation_->scripts)
      scripts.push_back(s.get());
    return loadProgram(scripts, compilation_->sources, options);
  }

  // Loads `source` declared after the schema.
  LoadResult loadSource(const std::string& source, LoadOptions options = {}) {
    return load(std::string(kSchema) + source, std::move(options));
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::unique_ptr<driver::Compilation> compilation_;
};

TEST_F(SqliteSourceTest, LoadsJoinsAndResolves) {
  LoadResult result = load(std::string(kSchema) + kSources);
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  const runtime::Table& customers = *result.store->customers;
  // c3 exists only as the parent of order o4, so it is created from its key.
  ASSERT_EQ(customers.rowCount, 3u);
  EXPECT_EQ(customers.keyText(0), "c1");
  EXPECT_EQ(customers.keyText(2), "c3");
  EXPECT_EQ(customers.column("age")->ints[0], 34);
  EXPECT_TRUE(customers.column("age")->isNull(1));
  EXPECT_EQ(customers.column("vip")->ints[0], 1);
  EXPECT_EQ(customers.column("vip")->ints[1], 0);

  const runtime::Column& orders = *customers.column("orders");
  ASSERT_EQ(orders.offsets, (std::vector<uint32_t>{0, 1, 3, 4}));
  const runtime::Table& orderTable = *orders.target;
  EXPECT_EQ(orderTable.keyText(0), "o2");
  EXPECT_EQ(orderTable.keyText(1), "o1");
  const runtime::Column& product = *orderTable.column("product");
  EXPECT_EQ(product.ints[0], 1);                             // p2
  EXPECT_EQ(product.ints[1], 0);                             // p1
  EXPECT_EQ(product.ints[2], runtime::Column::kUnresolved);  // p9 is not in the catalog
  // TEXT '10.50' keeps its scale, as in a CSV file.
  EXPECT_EQ(runtime::formatDecimal(orderTable.column("total")->decimals[1]), "10.50");
  // 10:00 in Paris in January is 09:00 UTC.
  EXPECT_EQ(orderTable.column("at")->ints[1], *runtime::parseTimestamp("2026-01-02T09:00:00Z"));

  ASSERT_EQ(result.report.sources.size(), 3u);
  EXPECT_EQ(result.report.sources[1].name, "orders");
  EXPECT_EQ(result.report.sources[1].path, path("shop.db"));
  EXPECT_EQ(result.report.sources[1].records, 4u);
  EXPECT_EQ(result.report.sources[1].loaded, 4u);
}

TEST_F(SqliteSourceTest, BigIntegersStayExact) {
  LoadResult result = load(std::string(kSchema) + kSources);
  ASSERT_TRUE(result.report.ok());
  const runtime::Column& big = *result.store->customers->column("big");
  EXPECT_EQ(big.ints[0], int64_t{9007199254740993});
  EXPECT_EQ(big.ints[1], int64_t{-9007199254740993});
}

TEST_F(SqliteSourceTest, RealReadAsShortestText) {
  LoadResult result = load(std::string(kSchema) + kSources);
  ASSERT_TRUE(result.report.ok());
  const runtime::Table& products = *result.store->catalog;
  // REAL 2.5 and 10.5 reach a decimal field as the text "2.5" and "10.5".
  EXPECT_EQ(runtime::formatDecimal(products.column("price")->decimals[0]), "2.5");
  EXPECT_TRUE(products.column("price")->isNull(1));
  EXPECT_EQ(runtime::formatDecimal(products.column("price")->decimals[2]), "10.5");

  // 0.1 + 0.2 keeps all its digits (0.30000000000000004); SQLite's own
  // 15-digit text would have given 0.3.
  const runtime::Table& orderTable = *result.store->customers->column("orders")->target;
  const runtime::Column& ratio = *orderTable.column("ratio");
  EXPECT_TRUE(ratio.isNull(0));            // o2
  EXPECT_EQ(ratio.doubles[1], 0.1);        // o1
  EXPECT_EQ(ratio.doubles[2], 0.1 + 0.2);  // o3
  EXPECT_NE(ratio.doubles[2], 0.3);
}

TEST_F(SqliteSourceTest, RealWholeNumberFillsIntField) {
  LoadResult result = loadSource(
      "source customers: Customer from sqlite(\"shop.db\", \"SELECT 'c1' AS id, 3.0 AS age\") "
      "{ columns { id  age } }");
  ASSERT_TRUE(result.report.ok());
  EXPECT_EQ(result.store->customers->column("age")->ints[0], 3);
}

TEST_F(SqliteSourceTest, RealTextsOfOneRowStaySeparate) {
  LoadResult result = loadSource(
      "source customers: Customer from sqlite(\"shop.db\", \"SELECT 1.5 AS id, 2.5 AS city\") "
      "{ columns { id  city } }");
  ASSERT_TRUE(result.report.ok());
  const runtime::Table& customers = *result.store->customers;
  EXPECT_EQ(customers.keyText(0), "1.5");
  const runtime::Column& city = *customers.column("city");
  EXPECT_EQ(city.pool.text(city.strings[0]), "2.5");
}

TEST_F(SqliteSourceTest, DecimalSeparatorAppliesToTextOnly) {
  createDatabase("comma.db",
                 "CREATE TABLE products (sku TEXT, department TEXT, price);"
                 "INSERT INTO products VALUES ('p1', 'FOOD', '2,75'), ('p2', 'FOOD', 2.5);");
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"comma.db\", \"products\") {\n"
      "  decimal_separator: \",\"\n"
      "  columns { sku  department  price }\n}");
  ASSERT_TRUE(result.report.ok()) << result.report.rejectedCount;
  const runtime::Column& price = *result.store->catalog->column("price");
  EXPECT_EQ(runtime::formatDecimal(price.decimals[0]), "2.75");
  EXPECT_EQ(runtime::formatDecimal(price.decimals[1]), "2.5");
}

TEST_F(SqliteSourceTest, BadValueIsRejectedWithRow) {
  createDatabase("people.db",
                 "CREATE TABLE people (id TEXT, age INTEGER);"
                 "INSERT INTO people VALUES ('c1', 30), ('c2', 'abc'), ('c3', NULL);");
  LoadResult result = loadSource(
      "source people: Customer from sqlite(\"people.db\", \"SELECT id, age FROM people\") "
      "{ columns { id  age } }");
  EXPECT_FALSE(result.report.ok());
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.source, "people");
  EXPECT_EQ(problem.location, "SELECT id, age FROM people row 2");
  EXPECT_EQ(problem.field, "age");
  EXPECT_EQ(problem.message, "'abc' is not an integer");
  EXPECT_EQ(problem.record, "c2,abc");
  EXPECT_EQ(result.store->customers->rowCount, 2u);
}

TEST_F(SqliteSourceTest, IntegerTextBeyondInt64IsRejected) {
  LoadResult result = loadSource(
      "source customers: Customer from sqlite(\"shop.db\", "
      "\"SELECT 'c1' AS id, '9223372036854775808' AS big\") { columns { id  big } }");
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].message, "'9223372036854775808' is out of the int range");
}

TEST_F(SqliteSourceTest, NullInRequiredFieldIsRejected) {
  createDatabase("nulls.db",
                 "CREATE TABLE products (sku TEXT, department TEXT, price REAL);"
                 "INSERT INTO products VALUES ('p1', 'FOOD', NULL), ('p2', NULL, 1.0);");
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"nulls.db\", \"products\") "
      "{ columns { sku  department  price } }");
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.location, "products row 2");
  EXPECT_EQ(problem.field, "department");
  // A required string gets no value from NULL, unlike from an empty text.
  EXPECT_EQ(problem.message,
            "missing value for the required field; make the field optional "
            "(`department: string?`) if it may be NULL");
  EXPECT_EQ(problem.record, "p2,,1");
  ASSERT_EQ(result.store->catalog->rowCount, 1u);
  EXPECT_TRUE(result.store->catalog->column("price")->isNull(0));
}

TEST_F(SqliteSourceTest, MissingTableIsAnError) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", \"catalogue\") "
      "{ columns { sku  department } }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `products`: cannot run 'SELECT * FROM \"catalogue\"' "
            "on SQLite database '" +
                path("shop.db") + "': no such table: catalogue");
}

TEST_F(SqliteSourceTest, SyntaxErrorIsAnError) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", \"SELEC sku FROM products\") "
      "{ columns { sku  department } }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `products`: cannot run 'SELEC sku FROM products' on "
            "SQLite database '" +
                path("shop.db") + "': near \"SELEC\": syntax error");
}

TEST_F(SqliteSourceTest, SecondStatementIsAnError) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", "
      "\"SELECT * FROM products; DELETE FROM products\") { columns { sku  department } }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `products`: cannot run 'SELECT * FROM products; DELETE FROM products' on "
            "SQLite database '" +
                path("shop.db") + "': it has more than one statement; give a single SELECT");
}

TEST_F(SqliteSourceTest, TrailingCommentIsAccepted) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", "
      "\"SELECT * FROM products; -- the whole catalog\") { columns { sku  department } }");
  ASSERT_TRUE(result.report.ok());
  EXPECT_EQ(result.store->catalog->rowCount, 3u);
}

TEST_F(SqliteSourceTest, DatabaseIsOpenedReadOnly) {
  LoadResult result = loadSource(
      "source customers: Customer from sqlite(\"shop.db\", "
      "\"UPDATE customers SET age = 99 RETURNING id\") { columns { id } }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `customers`: reading the result of 'UPDATE customers SET age = 99 RETURNING "
            "id' from SQLite database '" +
                path("shop.db") + "' failed: attempt to write a readonly database");

  LoadResult unchanged = load(std::string(kSchema) + kSources);
  ASSERT_TRUE(unchanged.report.ok());
  EXPECT_EQ(unchanged.store->customers->column("age")->ints[0], 34);
}

TEST_F(SqliteSourceTest, MissingFileIsNotCreated) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"missing.db\", \"products\") "
      "{ columns { sku  department } }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0], "source `products`: cannot open SQLite database '" +
                                         path("missing.db") + "': no such file");
  EXPECT_FALSE(fs::exists(path("missing.db")));
}

TEST_F(SqliteSourceTest, MissingColumnSuggestsName) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", \"products\") "
      "{ columns { sku  departement -> department } }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `products`: column 'departement' is not in the result of "
            "'SELECT * FROM \"products\"'; did you mean 'department'?");
}

TEST_F(SqliteSourceTest, ColumnNamesAreCaseSensitive) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", "
      "\"SELECT sku, department AS Department FROM products\") { columns { sku  department } }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `products`: column 'department' is not in the result of "
            "'SELECT sku, department AS Department FROM products'; did you mean 'Department'?");
}

TEST_F(SqliteSourceTest, RepeatedResultColumnIsAnError) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", "
      "\"SELECT sku, department, sku FROM products\") { columns { sku  department } }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `products`: column 'sku' appears 2 times in the result of "
            "'SELECT sku, department, sku FROM products'; give each a name with AS");
}

TEST_F(SqliteSourceTest, EmptyResultLoadsNoRows) {
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", "
      "\"SELECT * FROM products WHERE sku = 'none'\") { columns { sku  department } }");
  ASSERT_TRUE(result.report.ok());
  EXPECT_EQ(result.store->catalog->rowCount, 0u);
}

TEST_F(SqliteSourceTest, SourcePathOverride) {
  createDatabase("other.db",
                 "CREATE TABLE products (sku TEXT, department TEXT);"
                 "INSERT INTO products VALUES ('z9', 'TOYS');");
  LoadOptions options;
  options.sourcePaths["products"] = path("other.db");
  LoadResult result = loadSource(
      "source products: Product from sqlite(\"shop.db\", \"products\") "
      "{ columns { sku  department } }",
      options);
  ASSERT_TRUE(result.report.ok());
  ASSERT_EQ(result.store->catalog->rowCount, 1u);
  EXPECT_EQ(result.store->catalog->keyText(0), "z9");
}

}  // namespace
}  // namespace crm::load
