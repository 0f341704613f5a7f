// The loader's limits on hostile data: the text of one field and the rows
// of one child list, at the limit and one past it, in each file format.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "loader/loader.h"
#include "tests/support/test_support.h"

namespace crm::load {
namespace {

namespace fs = std::filesystem;

const char* const kSchema = R"(
customer entity Customer key id {
  id: string
  note: string?
  orders: list<Order>
}
entity Order key order_id {
  order_id: string
  customer_id: string
}
)";

class LoadLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_load_limits_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  LoadResult load(const std::string& sources, LoadOptions options = {}) {
    write("script.crm", std::string(kSchema) + sources);
    compilation_ = driver::checkScripts({{path("script.crm"), std::nullopt}});
    EXPECT_FALSE(compilation_->hasErrors()) << testing::summarize(*compilation_);
    std::vector<const ast::Script*> scripts;
    for (const auto& script : compilation_->scripts) scripts.push_back(script.get());
    return loadProgram(scripts, compilation_->sources, options);
  }

  LoadResult loadCsv(LoadOptions options = {}) {
    return load(R"(
source customers: Customer from csv("customers.csv") { columns { id  note } }
source orders: Order from csv("orders.csv") { parent: customer_id  columns { order_id  customer_id } }
)",
                options);
  }

  // The customers c1 with `note` and c2 with "short", and no orders.
  void writeCustomers(const std::string& note) {
    write("customers.csv", "id,note\nc1," + note + "\nc2,short\n");
    write("orders.csv", "order_id,customer_id\n");
  }

  // `count` orders of customer c1 and one of c2.
  void writeOrders(size_t count) {
    write("customers.csv", "id,note\nc1,\nc2,\n");
    std::string orders = "order_id,customer_id\n";
    orders.reserve(count * 16);
    for (size_t i = 0; i < count; ++i) orders += "o" + std::to_string(i) + ",c1\n";
    orders += "x1,c2\n";
    write("orders.csv", orders);
  }

  fs::path dir_;
  std::unique_ptr<driver::Compilation> compilation_;
};

const std::string kTooLong = "the value has 1048577 bytes, more than the 1048576 that one field "
                             "may hold; shorten it, or leave the column out of the source";

TEST_F(LoadLimitsTest, CsvTextOfTheMaximumLengthLoads) {
  writeCustomers(std::string(kMaxTextBytes, 'a'));
  LoadResult result = loadCsv();
  ASSERT_TRUE(result.report.ok()) << result.report.problems.size();
  const runtime::Column& note = *result.store->customers->column("note");
  EXPECT_EQ(note.pool.text(note.strings[0]).size(), kMaxTextBytes);
}

TEST_F(LoadLimitsTest, CsvTextOverTheMaximumRejectsItsRecord) {
  writeCustomers(std::string(kMaxTextBytes + 1, 'a'));
  LoadResult result = loadCsv();
  EXPECT_FALSE(result.report.ok());
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.source, "customers");
  EXPECT_EQ(problem.location, path("customers.csv") + ":2:4");
  EXPECT_EQ(problem.field, "note");
  EXPECT_EQ(problem.message, kTooLong);
}

TEST_F(LoadLimitsTest, SkippedLongTextLeavesTheOtherCustomers) {
  writeCustomers(std::string(kMaxTextBytes + 1, 'a'));
  LoadOptions options;
  options.maxBadRecords = 1;
  LoadResult result = loadCsv(options);
  ASSERT_TRUE(result.report.ok());
  ASSERT_EQ(result.store->customers->rowCount, 1u);
  EXPECT_EQ(result.store->customers->keyText(0), "c2");
}

TEST_F(LoadLimitsTest, JsonlTextOverTheMaximumRejectsItsRecord) {
  write("customers.jsonl", "{\"id\": \"c2\", \"note\": \"short\"}\n{\"id\": \"c1\", \"note\": \"" +
                               std::string(kMaxTextBytes + 1, 'b') + "\"}\n");
  LoadResult result = load(R"(
source customers: Customer from jsonl("customers.jsonl") { columns { id  note } }
)");
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.location.rfind(path("customers.jsonl") + ":2", 0), 0u) << problem.location;
  EXPECT_EQ(problem.field, "note");
  EXPECT_EQ(problem.message, kTooLong);
}

TEST_F(LoadLimitsTest, SqliteTextOverTheMaximumRejectsItsRecord) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path("data.db").c_str(), &db), SQLITE_OK);
  std::string sql = "CREATE TABLE customers (id TEXT, note TEXT);"
                    "INSERT INTO customers VALUES ('c2', 'short');"
                    "INSERT INTO customers VALUES ('c1', '" +
                    std::string(kMaxTextBytes + 1, 'c') + "');";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  LoadResult result = load(R"(
source customers: Customer from sqlite("data.db", "customers") { columns { id  note } }
)");
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].field, "note");
  EXPECT_EQ(result.report.problems[0].message, kTooLong);
}

TEST_F(LoadLimitsTest, ListOfTheMaximumLengthLoads) {
  writeOrders(5);
  LoadOptions options;
  options.maxListRows = 5;
  LoadResult result = loadCsv(options);
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  const runtime::Column& orders = *result.store->customers->column("orders");
  EXPECT_EQ(orders.offsets, (std::vector<uint32_t>{0, 5, 6}));
}

TEST_F(LoadLimitsTest, ListOverTheMaximumFailsTheLoad) {
  writeOrders(6);
  LoadOptions options;
  options.maxListRows = 5;
  // A skipped row would change the customer's sums and counts, so bad
  // records allowed do not let it through.
  options.maxBadRecords = 100;
  LoadResult result = loadCsv(options);
  EXPECT_FALSE(result.report.ok());
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "`Customer` 'c1' has 6 rows in `orders`, more than the 5 that one list may hold; "
            "leave out or aggregate some of its rows in the data");
  EXPECT_EQ(result.report.rejectedCount, 0u);
}

TEST_F(LoadLimitsTest, ManyLongListsAreCountedAfterFive) {
  write("customers.csv", "id,note\n");
  std::string orders = "order_id,customer_id\n";
  for (int customer = 0; customer < 8; ++customer) {
    for (int i = 0; i < 3; ++i) {
      orders += "o" + std::to_string(customer) + "_" + std::to_string(i) + ",c" +
                std::to_string(customer) + "\n";
    }
  }
  write("orders.csv", orders);
  LoadOptions options;
  options.maxListRows = 2;
  LoadResult result = loadCsv(options);
  ASSERT_EQ(result.report.errors.size(), 6u);
  EXPECT_EQ(result.report.errors[4],
            "`Customer` 'c4' has 3 rows in `orders`, more than the 2 that one list may hold; "
            "leave out or aggregate some of its rows in the data");
  EXPECT_EQ(result.report.errors[5], "`Customer`: 3 more rows have more than 2 rows in `orders`");
}

// The default limit, with a customer one row past it.
TEST_F(LoadLimitsTest, MillionAndOneOrdersFailTheLoad) {
  writeOrders(kMaxListRows + 1);
  LoadResult result = loadCsv();
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "`Customer` 'c1' has 1000001 rows in `orders`, more than the 1000000 that one list "
            "may hold; leave out or aggregate some of its rows in the data");
}

}  // namespace
}  // namespace crm::load
