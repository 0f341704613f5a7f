// Loading postgres(conninfo, query) sources from a real PostgreSQL server
// that the suite creates, fills and removes. The suite is skipped only when
// the PostgreSQL binaries are not installed.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "loader/loader.h"
#include "runtime/time.h"
#include "tests/support/postgres_server.h"
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
  local_at: timestamp?
}
catalog entity Product key sku levels(department) {
  sku: string
  department: string
  price: decimal?
}
)";

const char* const kShop = R"(
CREATE TABLE customers (id text PRIMARY KEY, age integer, city text, big bigint, vip boolean);
INSERT INTO customers VALUES
  ('c1', 34, 'Paris', 9007199254740993, true),
  ('c2', NULL, 'Lyon', -9007199254740993, false);
CREATE TABLE orders (order_id text, customer_id text, sku text, total numeric(38,10),
                     ratio float8, at timestamptz, local_at timestamp);
INSERT INTO orders VALUES
  ('o1', 'c2', 'p1', 10.5, 0.1, '2017-01-28 14:06:53+00', '2017-01-28 15:06:53'),
  ('o2', 'c1', 'p2', 12345678.9012345678, NULL, '2017-01-28 16:06:53.25+02',
   '2017-07-01 12:00:00'),
  ('o3', 'c2', 'p9', 1.25, 0.1::float8 + 0.2::float8, '2017-01-29 00:00:00-05:30', NULL),
  ('o4', 'c3', 'p1', 7, 2.5, '2017-01-30 09:00:00+00', NULL);
CREATE TABLE products (sku text, department text, price numeric(10,2));
INSERT INTO products VALUES ('p1', 'FOOD', 2.50), ('p2', 'DRINKS', NULL);
CREATE TABLE people (id text, age text);
INSERT INTO people VALUES ('c1', '30'), ('c2', 'abc');
CREATE TABLE numbers (n integer);
INSERT INTO numbers SELECT generate_series(1, 50000);
CREATE ROLE reader LOGIN PASSWORD 'right-secret';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;
)";

class PostgresSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    binaries_ = testing::PostgresServer::findBinaries();
    if (binaries_.empty())
      return;
    server_ = new testing::PostgresServer(binaries_);
    if (server_->start(startError_) &&
        server_->runSql("postgres", "CREATE DATABASE crm_test", startError_)) {
      server_->runSql("crm_test", kShop, startError_);
    }
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    if (binaries_.empty()) {
      const char* configured = std::getenv("CRM_POSTGRES_BIN");
      GTEST_SKIP() << "no PostgreSQL binaries: "
                   << (configured != nullptr
                           ? "CRM_POSTGRES_BIN (" + std::string(configured) + ") has no initdb"
                           : "no /usr/lib/postgresql/VERSION/bin has initdb")
                   << "; install the postgresql package or set CRM_POSTGRES_BIN to the folder "
                      "with initdb";
    }
    ASSERT_TRUE(startError_.empty()) << startError_;
    dir_ = fs::temp_directory_path() /
           ("crm_postgres_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }

  void TearDown() override {
    if (!dir_.empty())
      fs::remove_all(dir_);
  }

  static std::string conninfo(const std::string& user = "postgres") {
    return server_->conninfo("crm_test", user);
  }

  LoadResult load(const std::string& script, LoadOptions options = {}) {
    std::ofstream(dir_ / "script.crm", std::ios::binary) << script;
    compilation_ = driver::checkScripts({{(dir_ / "script.crm").string(), std::nullopt}});
    EXPECT_FALSE(compilation_->hasErrors()) << testing::summarize(*compilation_);
    std::vector<const ast::Script*> scripts;
    for (const auto& s : compilation_->scripts)
      scripts.push_back(s.get());
    return loadProgram(scripts, compilation_->sources, options);
  }

  // Loads one source of `entity` that runs `query`, after the schema.
  LoadResult loadQuery(const std::string& entity, const std::string& query, const std::string& body,
                       const std::string& connection = conninfo()) {
    return load(std::string(kSchema) + "source data: " + entity + " from postgres(\"" + connection +
                "\", \"" + query + "\") {\n" + body + "\n}\n");
  }

  // The customers, their orders with parent keys and the catalog.
  std::string shopSources() const {
    return "source customers: Customer from postgres(\"" + conninfo() +
           "\", \"SELECT id, age, city, big, vip FROM customers ORDER BY id\") {\n"
           "  columns { id  age  city  big  vip }\n}\n"
           "source orders: Order from postgres(\"" +
           conninfo() +
           "\", \"SELECT * FROM orders ORDER BY order_id\") {\n"
           "  timestamp_format: \"%Y-%m-%d %H:%M:%S\"\n"
           "  time_zone: \"Europe/Paris\"\n"
           "  parent: customer_id\n"
           "  columns { order_id  customer_id  sku -> product  total  ratio  at  local_at }\n}\n"
           "source products: Product from postgres(\"" +
           conninfo() +
           "\", \"products\") {\n"
           "  columns { sku  department  price }\n}\n";
  }

  // The orders table, in customer order: o2 (c1), o1 and o3 (c2), o4 (c3).
  const runtime::Table& orderTable(const LoadResult& result) const {
    return *result.store->customers->column("orders")->target;
  }

  static std::string binaries_;
  static std::string startError_;
  static testing::PostgresServer* server_;
  fs::path dir_;
  std::unique_ptr<driver::Compilation> compilation_;
};

std::string PostgresSourceTest::binaries_;
std::string PostgresSourceTest::startError_;
testing::PostgresServer* PostgresSourceTest::server_ = nullptr;

TEST_F(PostgresSourceTest, LoadsJoinsAndResolves) {
  LoadResult result = load(std::string(kSchema) + shopSources());
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  const runtime::Table& customers = *result.store->customers;
  // c3 exists only as the parent of order o4, so it is created from its key.
  ASSERT_EQ(customers.rowCount, 3u);
  EXPECT_EQ(customers.keyText(2), "c3");
  EXPECT_EQ(customers.column("age")->ints[0], 34);
  EXPECT_TRUE(customers.column("age")->isNull(1));
  EXPECT_EQ(customers.column("big")->ints[0], int64_t{9007199254740993});
  EXPECT_EQ(customers.column("big")->ints[1], int64_t{-9007199254740993});
  // PostgreSQL writes booleans as t and f.
  EXPECT_EQ(customers.column("vip")->ints[0], 1);
  EXPECT_EQ(customers.column("vip")->ints[1], 0);

  ASSERT_EQ(customers.column("orders")->offsets, (std::vector<uint32_t>{0, 1, 3, 4}));
  const runtime::Table& orders = orderTable(result);
  EXPECT_EQ(orders.keyText(0), "o2");
  EXPECT_EQ(orders.keyText(1), "o1");
  EXPECT_EQ(orders.column("product")->ints[0], 1);                             // p2
  EXPECT_EQ(orders.column("product")->ints[2], runtime::Column::kUnresolved);  // p9

  const runtime::Table& products = *result.store->catalog;
  EXPECT_EQ(runtime::formatDecimal(products.column("price")->decimals[0]), "2.50");
  EXPECT_TRUE(products.column("price")->isNull(1));

  ASSERT_EQ(result.report.sources.size(), 3u);
  EXPECT_EQ(result.report.sources[0].path, conninfo());
  EXPECT_EQ(result.report.sources[1].records, 4u);
  EXPECT_EQ(result.report.sources[1].loaded, 4u);
}

TEST_F(PostgresSourceTest, NumericKeepsDigitsAndScale) {
  LoadResult result = load(std::string(kSchema) + shopSources());
  ASSERT_TRUE(result.report.ok());
  const runtime::Column& total = *orderTable(result).column("total");
  // numeric(38,10) text always has ten decimals.
  EXPECT_EQ(runtime::formatDecimal(total.decimals[0]), "12345678.9012345678");  // o2
  EXPECT_EQ(runtime::formatDecimal(total.decimals[1]), "10.5000000000");        // o1
  EXPECT_EQ(runtime::formatDecimal(total.decimals[3]), "7.0000000000");         // o4
}

TEST_F(PostgresSourceTest, NumericBeyondDecimalLimitIsRejected) {
  LoadResult result =
      loadQuery("Product",
                "SELECT 'p1' AS sku, 'FOOD' AS department, 123456789012.5::numeric(38,10) AS price",
                "columns { sku  department  price }");
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.location,
            "SELECT 'p1' AS sku, 'FOOD' AS department, 123456789012.5::numeric(38,10) AS price "
            "row 1");
  EXPECT_EQ(problem.field, "price");
  EXPECT_EQ(problem.message,
            "'123456789012.5000000000' has more than 18 significant digits, the decimal limit");
}

TEST_F(PostgresSourceTest, Float8KeepsEveryDigit) {
  LoadResult result = load(std::string(kSchema) + shopSources());
  ASSERT_TRUE(result.report.ok());
  const runtime::Column& ratio = *orderTable(result).column("ratio");
  EXPECT_TRUE(ratio.isNull(0));            // o2
  EXPECT_EQ(ratio.doubles[1], 0.1);        // o1
  EXPECT_EQ(ratio.doubles[2], 0.1 + 0.2);  // o3
  EXPECT_NE(ratio.doubles[2], 0.3);

  LoadResult decimal =
      loadQuery("Product", "SELECT 'p1' AS sku, 'FOOD' AS department, 10.5::float8 AS price",
                "decimal_separator: \",\"\ncolumns { sku  department  price }");
  ASSERT_TRUE(decimal.report.ok());
  EXPECT_EQ(runtime::formatDecimal(decimal.store->catalog->column("price")->decimals[0]), "10.5");
}

TEST_F(PostgresSourceTest, TimestamptzIgnoresTimestampFormat) {
  // The source's timestamp_format is for local_at, a timestamp without time
  // zone; timestamptz text such as "2017-01-28 14:06:53+00" needs none.
  LoadResult result = load(std::string(kSchema) + shopSources());
  ASSERT_TRUE(result.report.ok());
  const runtime::Table& orders = orderTable(result);
  const runtime::Column& at = *orders.column("at");
  EXPECT_EQ(at.ints[0], *runtime::parseTimestamp("2017-01-28T14:06:53.25Z"));  // o2
  EXPECT_EQ(at.ints[1], *runtime::parseTimestamp("2017-01-28T14:06:53Z"));     // o1
  EXPECT_EQ(at.ints[2], *runtime::parseTimestamp("2017-01-29T05:30:00Z"));     // o3
  const runtime::Column& local = *orders.column("local_at");
  // Paris is at +01:00 in January and +02:00 in July.
  EXPECT_EQ(local.ints[0], *runtime::parseTimestamp("2017-07-01T10:00:00Z"));  // o2
  EXPECT_EQ(local.ints[1], *runtime::parseTimestamp("2017-01-28T14:06:53Z"));  // o1
  EXPECT_TRUE(local.isNull(2));                                                // o3
}

TEST_F(PostgresSourceTest, TimestamptzNeedsNoFormat) {
  LoadResult result = loadQuery(
      "Order",
      "SELECT 'o1' AS order_id, 'c1' AS customer_id, 'p1' AS sku, 1 AS total, "
      "'2017-01-28 14:06:53+00'::timestamptz AS at",
      "parent: customer_id\ncolumns { order_id  customer_id  sku -> product  total  at }");
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  EXPECT_EQ(result.store->table("Order")->column("at")->ints[0],
            *runtime::parseTimestamp("2017-01-28T14:06:53Z"));
}

TEST_F(PostgresSourceTest, TimestamptzFillsStringAsRfc3339) {
  LoadResult result = loadQuery("Customer",
                                "SELECT '2017-01-28 14:06:53+00'::timestamptz AS id, "
                                "'2017-01-28 16:06:53.5+02'::timestamptz AS city",
                                "columns { id  city }");
  ASSERT_TRUE(result.report.ok());
  const runtime::Table& customers = *result.store->customers;
  EXPECT_EQ(customers.keyText(0), "2017-01-28T14:06:53+00:00");
  const runtime::Column& city = *customers.column("city");
  EXPECT_EQ(city.pool.text(city.strings[0]), "2017-01-28T14:06:53.5+00:00");
}

TEST_F(PostgresSourceTest, BadValueIsRejectedWithRow) {
  LoadResult result = loadQuery("Customer", "people", "columns { id  age }");
  EXPECT_FALSE(result.report.ok());
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.source, "data");
  EXPECT_EQ(problem.location, "people row 2");
  EXPECT_EQ(problem.field, "age");
  EXPECT_EQ(problem.message, "'abc' is not an integer");
  EXPECT_EQ(problem.record, "c2,abc");
  ASSERT_EQ(result.store->customers->rowCount, 1u);
  EXPECT_EQ(result.store->customers->column("age")->ints[0], 30);
}

TEST_F(PostgresSourceTest, QualifiedTableName) {
  LoadResult result = loadQuery("Customer", "public.people", "columns { id  age }");
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].location, "public.people row 2");
}

TEST_F(PostgresSourceTest, NullInRequiredFieldIsRejected) {
  LoadResult result = loadQuery("Product", "SELECT 'p1' AS sku, NULL::text AS department",
                                "columns { sku  department }");
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].field, "department");
  EXPECT_EQ(result.report.problems[0].message,
            "missing value for the required field; make the field optional "
            "(`department: string?`) if it may be NULL");
}

TEST_F(PostgresSourceTest, LargeResultStreamsEveryRow) {
  LoadResult result =
      loadQuery("Customer", "SELECT n AS id FROM numbers ORDER BY n", "columns { id }");
  ASSERT_TRUE(result.report.ok());
  ASSERT_EQ(result.store->customers->rowCount, 50000u);
  EXPECT_EQ(result.store->customers->keyText(0), "1");
  EXPECT_EQ(result.store->customers->keyText(49999), "50000");
}

TEST_F(PostgresSourceTest, EmptyResultStillChecksColumns) {
  LoadResult result =
      loadQuery("Customer", "SELECT id FROM people WHERE false", "columns { id  age }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: column 'age' is not in the result of "
            "'SELECT id FROM people WHERE false'; the result has: id");
}

TEST_F(PostgresSourceTest, MissingColumnSuggestsName) {
  LoadResult result = loadQuery("Customer", "people", "columns { id  agee -> age }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: column 'agee' is not in the result of "
            "'SELECT * FROM \"people\"'; did you mean 'age'?");
}

TEST_F(PostgresSourceTest, MissingTableIsAnError) {
  LoadResult result = loadQuery("Customer", "clients", "columns { id }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: cannot run 'SELECT * FROM \"clients\"' on "
            "PostgreSQL '" +
                conninfo() + "': relation \"clients\" does not exist");
}

TEST_F(PostgresSourceTest, SyntaxErrorIsAnError) {
  LoadResult result = loadQuery("Customer", "SELEC id FROM people", "columns { id }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: cannot run 'SELEC id FROM people' on "
            "PostgreSQL '" +
                conninfo() + "': syntax error at or near \"SELEC\"");
}

TEST_F(PostgresSourceTest, SecondStatementIsAnError) {
  LoadResult result =
      loadQuery("Customer", "SELECT id FROM people; SELECT id FROM people", "columns { id }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: cannot run 'SELECT id FROM people; SELECT id FROM people' on "
            "PostgreSQL '" +
                conninfo() + "': cannot insert multiple commands into a prepared statement");
}

TEST_F(PostgresSourceTest, SessionIsReadOnly) {
  LoadResult result = loadQuery("Customer", "DELETE FROM people RETURNING id", "columns { id }");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: cannot run 'DELETE FROM people RETURNING id' on PostgreSQL '" +
                conninfo() + "': cannot execute DELETE in a read-only transaction");
  LoadResult people = loadQuery("Customer", "SELECT id FROM people", "columns { id }");
  ASSERT_TRUE(people.report.ok());
  EXPECT_EQ(people.store->customers->rowCount, 2u);
}

TEST_F(PostgresSourceTest, RefusedConnectionIsAnError) {
  // A socket that is bound but not listening refuses every connection.
  std::string socketPath = (dir_ / ".s.PGSQL.5999").string();
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socketPath.size(), sizeof address.sun_path);
  std::strcpy(address.sun_path, socketPath.c_str());
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);

  std::string refused = "host=" + dir_.string() + " port=5999 dbname=crm_test";
  LoadResult result = loadQuery("Customer", "people", "columns { id }", refused);
  close(listener);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: cannot connect to PostgreSQL with '" + refused +
                "': connection to server on socket \"" + socketPath +
                "\" failed: Connection refused; Is the server running locally and accepting "
                "connections on that socket?");
}

TEST_F(PostgresSourceTest, WrongPasswordIsAnError) {
  std::string wrong = conninfo("reader") + " password=wrong-secret";
  LoadResult result = loadQuery("Customer", "people", "columns { id }", wrong);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: cannot connect to PostgreSQL with 'user=reader dbname=crm_test host=" +
                server_->socketDirectory() + " port=5432': connection to server on socket \"" +
                server_->socketDirectory() +
                "/.s.PGSQL.5432\" failed: FATAL:  password authentication failed for user "
                "\"reader\"");
  EXPECT_EQ(result.report.errors[0].find("wrong-secret"), std::string::npos);
}

TEST_F(PostgresSourceTest, RightPasswordIsNotReported) {
  std::string right = conninfo("reader") + " password=right-secret";
  LoadResult result = loadQuery("Customer", "people", "columns { id }", right);
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  EXPECT_EQ(result.store->customers->rowCount, 2u);
  ASSERT_EQ(result.report.sources.size(), 1u);
  EXPECT_EQ(result.report.sources[0].path,
            "user=reader dbname=crm_test host=" + server_->socketDirectory() + " port=5432");
}

TEST_F(PostgresSourceTest, DuplicateKeyHidesPassword) {
  std::string right = conninfo("reader") + " password=right-secret";
  LoadResult result =
      loadQuery("Customer", "SELECT id FROM people UNION ALL SELECT 'c1'", "columns { id }", right);
  ASSERT_EQ(result.report.errors.size(), 1u);
  // SQL rows are located by query and row number, never by the conninfo.
  EXPECT_EQ(result.report.errors[0],
            "duplicate key 'c1' in `Customer` at SELECT id FROM people UNION ALL SELECT 'c1' row "
            "3; first at SELECT id FROM people UNION ALL SELECT 'c1' row 1");
  EXPECT_EQ(result.report.errors[0].find("right-secret"), std::string::npos);
}

TEST_F(PostgresSourceTest, InvalidConnectionStringIsAnError) {
  LoadResult result = loadQuery("Customer", "people", "columns { id }", "host=/tmp dbname");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `data`: invalid PostgreSQL connection string: missing \"=\" after \"dbname\" "
            "in connection info string");
}

TEST_F(PostgresSourceTest, OverrideConninfoIsUsedAsIs) {
  LoadOptions options;
  options.sourcePaths["data"] = conninfo();
  LoadResult result = load(std::string(kSchema) +
                               "source data: Customer from postgres(\"host=/nonexistent "
                               "dbname=none\", \"people\") { columns { id } }",
                           options);
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  EXPECT_EQ(result.store->customers->rowCount, 2u);
  ASSERT_EQ(result.report.sources.size(), 1u);
  EXPECT_EQ(result.report.sources[0].path, conninfo());
}

}  // namespace
}  // namespace crm::load
