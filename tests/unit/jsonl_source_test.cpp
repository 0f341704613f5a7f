// Loading JSON Lines sources end to end from small files written by each test.
#include <gtest/gtest.h>

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
  name: string
  age: int?
  visits: int?
  score: decimal?
  vip: bool?
  city: string?
  seen_at: timestamp?
  orders: list<Order>
}
entity Order key order_id {
  order_id: string
  customer_id: string?
  total: decimal
  items: list<Item>
}
entity Item key sku {
  sku: string
  quantity: int
}
)";

const char* const kCustomers = R"(
source customers: Customer from jsonl("customers.jsonl") {
  timestamp_format: "%Y-%m-%d %H:%M:%S"
  columns { id  name  age  visits  "score_v2" -> score  vip  city  seen_at }
}
)";


class JsonlSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_jsonl_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  LoadResult load(const std::string& script, LoadOptions options = {}) {
    write("script.crm", script);
    compilation_ = driver::checkScripts({{(dir_ / "script.crm").string(), std::nullopt}});
    EXPECT_FALSE(compilation_->hasErrors()) << testing::summarize(*compilation_);
    std::vector<const ast::Script*> scripts;
    for (const auto& s : compilation_->scripts)
      scripts.push_back(s.get());
    return loadProgram(scripts, compilation_->sources, options);
  }

  // Loads customers.jsonl with `text`, tolerating up to `maxBad` rejected records.
  LoadResult loadCustomers(const std::string& text, size_t maxBad = 0) {
    write("customers.jsonl", text);
    LoadOptions options;
    options.maxBadRecords = maxBad;
    return load(std::string(kSchema) + kCustomers, options);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::unique_ptr<driver::Compilation> compilation_;
};

std::string textAt(const runtime::Column& column, size_t row) {
  return std::string(column.pool.text(column.strings[row]));
}

std::string decimalAt(const runtime::Column& column, size_t row) {
  return runtime::formatDecimal(column.decimals[row]);
}

TEST_F(JsonlSourceTest, FlatValuesAreExact) {
  LoadResult result = loadCustomers(
      R"({"id": "c1", "name": "Ann", "age": 41, "visits": 9007199254740993, "score_v2": 0.1, )"
      R"("vip": true, "city": "", "seen_at": "2026-01-02 10:00:00"})"
      "\n"
      R"({"id": "c2", "name": "Bob", "age": "42", "visits": -7, "score_v2": "2.50", "vip": false, )"
      R"("city": "Lyon", "seen_at": null})"
      "\n"
      R"({"id": "c3", "name": "Caf\u00e9", "score_v2": 1.5e3, "unused": {"a": [1, null]}})"
      "\n");
  ASSERT_TRUE(result.report.ok()) << (result.report.problems.empty()
                                          ? ""
                                          : result.report.problems[0].message);
  const runtime::Table& customers = *result.store->customers;
  ASSERT_EQ(customers.rowCount, 3u);

  const runtime::Column& age = *customers.column("age");
  EXPECT_EQ(age.ints[0], 41);
  EXPECT_EQ(age.ints[1], 42);
  EXPECT_TRUE(age.isNull(2));

  const runtime::Column& visits = *customers.column("visits");
  EXPECT_EQ(visits.ints[0], int64_t{9007199254740993});
  EXPECT_EQ(visits.ints[1], -7);

  const runtime::Column& score = *customers.column("score");
  EXPECT_EQ(score.decimals[0].coefficient, 1);
  EXPECT_EQ(score.decimals[0].scale, 1);
  EXPECT_EQ(decimalAt(score, 0), "0.1");
  EXPECT_EQ(decimalAt(score, 1), "2.50");
  EXPECT_EQ(decimalAt(score, 2), "1500");

  const runtime::Column& vip = *customers.column("vip");
  EXPECT_EQ(vip.ints[0], 1);
  EXPECT_EQ(vip.ints[1], 0);
  EXPECT_TRUE(vip.isNull(2));

  // "" is a text in JSON, not a missing value.
  const runtime::Column& city = *customers.column("city");
  EXPECT_FALSE(city.isNull(0));
  EXPECT_EQ(textAt(city, 0), "");
  EXPECT_EQ(textAt(city, 1), "Lyon");
  EXPECT_TRUE(city.isNull(2));

  const runtime::Column& seenAt = *customers.column("seen_at");
  EXPECT_EQ(seenAt.ints[0], *runtime::parseTimestamp("2026-01-02T10:00:00Z"));
  EXPECT_TRUE(seenAt.isNull(1));  // null
  EXPECT_TRUE(seenAt.isNull(2));  // missing key

  EXPECT_EQ(textAt(*customers.column("name"), 2), "Caf\xC3\xA9");
  ASSERT_EQ(result.report.sources.size(), 1u);
  EXPECT_EQ(result.report.sources[0].records, 3u);
  EXPECT_EQ(result.report.sources[0].loaded, 3u);
}

TEST_F(JsonlSourceTest, EscapedKeyMatchesItsField) {
  LoadResult result =
      loadCustomers("{\"id\": \"c1\", \"n\\u0061me\": \"Ann\", \"\\u0061ge\": 7}\n");
  ASSERT_TRUE(result.report.ok()) << (result.report.problems.empty()
                                          ? ""
                                          : result.report.problems[0].message);
  const runtime::Table& customers = *result.store->customers;
  ASSERT_EQ(customers.rowCount, 1u);
  EXPECT_EQ(textAt(*customers.column("name"), 0), "Ann");
  EXPECT_EQ(customers.column("age")->ints[0], 7);
}

TEST_F(JsonlSourceTest, NullAndMissingKeyForRequiredField) {
  LoadResult result = loadCustomers(
      "{\"id\": \"c1\", \"name\": null}\n"
      "{\"id\": \"c2\"}\n"
      "{\"id\": \"c3\", \"name\": \"\"}\n",
      2);
  ASSERT_TRUE(result.report.ok());
  ASSERT_EQ(result.report.rejectedCount, 2u);
  const Problem& null = result.report.problems[0];
  EXPECT_EQ(null.location, path("customers.jsonl") + ":1:22");
  EXPECT_EQ(null.field, "name");
  EXPECT_EQ(null.message,
            "missing value (JSON null) for the required field; make the field optional "
            "(`name: string?`) if it may be null");
  EXPECT_EQ(null.record, "{\"id\": \"c1\", \"name\": null}");
  const Problem& missing = result.report.problems[1];
  EXPECT_EQ(missing.location, path("customers.jsonl") + ":2:1");
  EXPECT_EQ(missing.field, "name");
  EXPECT_EQ(missing.message,
            "missing key 'name' for the required field; make the field optional "
            "(`name: string?`) if the key may be absent");
  // A required string may still be empty.
  const runtime::Table& customers = *result.store->customers;
  ASSERT_EQ(customers.rowCount, 1u);
  EXPECT_EQ(customers.keyText(0), "c3");
}

TEST_F(JsonlSourceTest, WrongJsonTypesAreRejected) {
  LoadResult result = loadCustomers(
      "{\"id\": \"c1\", \"name\": \"A\", \"age\": {\"years\": 4}}\n"
      "{\"id\": \"c2\", \"name\": true}\n"
      "{\"id\": \"c3\", \"name\": \"C\", \"age\": \"abc\"}\n"
      "{\"id\": \"c4\", \"name\": \"D\", \"age\": 4.5}\n"
      "{\"id\": \"c5\", \"name\": \"E\", \"orders\": {\"order_id\": \"o1\"}}\n"
      "{\"id\": \"c6\", \"name\": \"F\", \"orders\": [7]}\n"
      "{\"id\": \"c7\", \"name\": \"G\", \"vip\": \"yes\"}\n",
      10);
  ASSERT_EQ(result.report.rejectedCount, 7u);
  const auto& problems = result.report.problems;
  std::string file = path("customers.jsonl");

  EXPECT_EQ(problems[0].location, file + ":1:34");
  EXPECT_EQ(problems[0].field, "age");
  EXPECT_EQ(problems[0].message, "expected a value of type `int`, found a JSON object");

  EXPECT_EQ(problems[1].location, file + ":2:22");
  EXPECT_EQ(problems[1].field, "name");
  EXPECT_EQ(problems[1].message, "expected a value of type `string`, found a JSON boolean");

  EXPECT_EQ(problems[2].field, "age");
  EXPECT_EQ(problems[2].message, "'abc' is not an integer");

  EXPECT_EQ(problems[3].field, "age");
  EXPECT_EQ(problems[3].message, "'4.5' is not an integer");

  EXPECT_EQ(problems[4].field, "orders");
  EXPECT_EQ(problems[4].message, "expected an array of `Order` objects, found a JSON object");

  EXPECT_EQ(problems[5].location, file + ":6:38");
  EXPECT_EQ(problems[5].field, "orders[0]");
  EXPECT_EQ(problems[5].message, "expected a JSON object, found a JSON number");

  EXPECT_EQ(problems[6].field, "vip");
  EXPECT_EQ(problems[6].message, "'yes' is not a bool (true, false, 1 or 0)");
}

TEST_F(JsonlSourceTest, NestedArraysFillChildLists) {
  LoadResult result = loadCustomers(
      R"({"id": "c1", "name": "A", "orders": [)"
      R"({"order_id": "o1", "total": 10.50, "items": [{"sku": "s1", "quantity": 2}]}, )"
      R"({"order_id": "o2", "total": "3.00"}]})"
      "\n"
      R"({"id": "c2", "name": "B"})"
      "\n"
      R"({"id": "c3", "name": "C", "orders": []})"
      "\n"
      R"({"id": "c4", "name": "D", "orders": [{"order_id": "o3", "total": 0.1, "items": [)"
      R"({"sku": "s2", "quantity": 1}, {"sku": "s3", "quantity": 9007199254740993}]}]})"
      "\n"
      R"({"id": "c5", "name": "E", "orders": null})"
      "\n");
  ASSERT_TRUE(result.report.ok()) << (result.report.problems.empty()
                                          ? ""
                                          : result.report.problems[0].message);
  const runtime::Table& customers = *result.store->customers;
  ASSERT_EQ(customers.rowCount, 5u);
  const runtime::Column& orders = *customers.column("orders");
  ASSERT_EQ(orders.offsets, (std::vector<uint32_t>{0, 2, 2, 2, 3, 3}));

  const runtime::Table& orderTable = *orders.target;
  ASSERT_EQ(orderTable.rowCount, 3u);
  EXPECT_EQ(orderTable.keyText(0), "o1");
  EXPECT_EQ(orderTable.keyText(1), "o2");
  EXPECT_EQ(orderTable.keyText(2), "o3");
  const runtime::Column& total = *orderTable.column("total");
  EXPECT_EQ(decimalAt(total, 0), "10.50");
  EXPECT_EQ(decimalAt(total, 1), "3.00");
  EXPECT_EQ(decimalAt(total, 2), "0.1");
  EXPECT_TRUE(orderTable.column("customer_id")->isNull(0));

  const runtime::Column& items = *orderTable.column("items");
  ASSERT_EQ(items.offsets, (std::vector<uint32_t>{0, 1, 1, 3}));
  const runtime::Table& itemTable = *items.target;
  ASSERT_EQ(itemTable.rowCount, 3u);
  EXPECT_EQ(itemTable.keyText(0), "s1");
  EXPECT_EQ(itemTable.keyText(1), "s2");
  EXPECT_EQ(itemTable.keyText(2), "s3");
  EXPECT_EQ(itemTable.column("quantity")->ints[2], int64_t{9007199254740993});
}

TEST_F(JsonlSourceTest, BadNestedValueRejectsWholeRecord) {
  std::string bad = R"({"id": "c2", "name": "B", "orders": [{"order_id": "o2", "total": 2}, )"
                    R"({"order_id": "o3", "total": "abc"}]})";
  LoadResult result = loadCustomers(
      R"({"id": "c1", "name": "A", "orders": [{"order_id": "o1", "total": 1}]})"
      "\n" +
          bad + "\n" + R"({"id": "c3", "name": "C", "orders": [{"order_id": "o4", "total": 4}]})" +
          "\n",
      1);
  ASSERT_TRUE(result.report.ok());
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.location, path("customers.jsonl") + ":2:98");
  EXPECT_EQ(problem.field, "orders[1].total");
  EXPECT_EQ(problem.message, "'abc' is not a decimal with separator '.'");
  EXPECT_EQ(problem.record, bad);

  // Neither c2 nor its valid first order o2 is loaded.
  const runtime::Table& customers = *result.store->customers;
  ASSERT_EQ(customers.rowCount, 2u);
  EXPECT_EQ(customers.keyText(0), "c1");
  EXPECT_EQ(customers.keyText(1), "c3");
  const runtime::Column& orders = *customers.column("orders");
  ASSERT_EQ(orders.offsets, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(orders.target->rowCount, 2u);
  EXPECT_EQ(orders.target->keyText(0), "o1");
  EXPECT_EQ(orders.target->keyText(1), "o4");
}

TEST_F(JsonlSourceTest, NestedAndKeyJoinedChildrenShareOneList) {
  write("customers.jsonl",
        R"({"id": "c1", "name": "A", "orders": [{"order_id": "o1", "total": 1}, )"
        R"({"order_id": "o2", "total": 2}]})"
        "\n"
        R"({"id": "c2", "name": "B"})"
        "\n");
  write("orders.csv", "order_id,customer_id,total\no8,c1,8\no9,c2,9\n");
  LoadResult result = load(std::string(kSchema) + kCustomers + R"(
source orders: Order from csv("orders.csv") {
  parent: customer_id
  columns { order_id  customer_id  total }
}
)");
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  const runtime::Column& orders = *result.store->customers->column("orders");
  ASSERT_EQ(orders.offsets, (std::vector<uint32_t>{0, 3, 4}));
  const runtime::Table& orderTable = *orders.target;
  ASSERT_EQ(orderTable.rowCount, 4u);
  EXPECT_EQ(orderTable.keyText(0), "o1");
  EXPECT_EQ(orderTable.keyText(1), "o2");
  EXPECT_EQ(orderTable.keyText(2), "o8");
  EXPECT_EQ(orderTable.keyText(3), "o9");
  EXPECT_TRUE(orderTable.column("customer_id")->isNull(0));
  EXPECT_EQ(textAt(*orderTable.column("customer_id"), 2), "c1");
}

TEST_F(JsonlSourceTest, BoundKeyIsNotReadAsChildList) {
  write("shoppers.jsonl", "{\"id\": \"s1\", \"orders\": 3}\n");
  LoadResult result = load(R"(
customer entity Shopper key id { id: string  order_count: int?  orders: list<Purchase> }
entity Purchase key purchase_id { purchase_id: string }
source shoppers: Shopper from jsonl("shoppers.jsonl") { columns { id  "orders" -> order_count } }
)");
  ASSERT_TRUE(result.report.ok()) << (result.report.problems.empty()
                                          ? ""
                                          : result.report.problems[0].message);
  const runtime::Table& shoppers = *result.store->customers;
  ASSERT_EQ(shoppers.rowCount, 1u);
  EXPECT_EQ(shoppers.column("order_count")->ints[0], 3);
  EXPECT_EQ(shoppers.column("orders")->offsets, (std::vector<uint32_t>{0, 0}));
}

TEST_F(JsonlSourceTest, InvalidJsonLinesAreRejectedByLine) {
  LoadResult result = loadCustomers(
      "{\"id\": \"c1\", \"name\": \"A\"}\n"
      "{\"id\": \"c2\", \"name\": }\n"
      "[1, 2]\n"
      "   \n"
      "{\"id\": \"c5\" \"name\": \"E\"}\n"
      "{\"id\": \"c6\", \"name\": \"F\", \"age\": 012}\n"
      "{\"id\": \"c7\", \"name\": \"G\", \"extra\": tru}\n"
      "{\"id\": \"c8\", \"name\": \"H\"} x\n"
      "{\"id\": \"c9\", \"name\": \"I\", \"name\": \"J\"}\n"
      "{\"id\": \"c10\", \"name\": \"K\\q\"}\n"
      "{\"id\": \"c11\", \"name\": \"L\"}\n",
      10);
  ASSERT_TRUE(result.report.ok());
  ASSERT_EQ(result.report.sources.size(), 1u);
  EXPECT_EQ(result.report.sources[0].records, 10u);  // the blank line is not a record
  EXPECT_EQ(result.report.sources[0].loaded, 2u);
  EXPECT_EQ(result.report.sources[0].rejected, 8u);
  ASSERT_EQ(result.report.rejectedCount, 8u);
  const auto& problems = result.report.problems;
  std::string file = path("customers.jsonl");

  EXPECT_EQ(problems[0].location, file + ":2:22");
  EXPECT_EQ(problems[0].message,
            "invalid JSON: a comma, colon, key, bracket or brace is missing or misplaced");

  EXPECT_EQ(problems[1].location, file + ":3:1");
  EXPECT_EQ(problems[1].field, "");
  EXPECT_EQ(problems[1].message, "expected a JSON object, found a JSON array");

  EXPECT_EQ(problems[2].location, file + ":5:13");
  EXPECT_EQ(problems[2].message,
            "invalid JSON: a comma, colon, key, bracket or brace is missing or misplaced");

  EXPECT_EQ(problems[3].location, file + ":6:34");
  EXPECT_EQ(problems[3].field, "age");
  EXPECT_EQ(problems[3].message, "invalid JSON: '012' is not a number");

  // A key that no field reads is still checked.
  EXPECT_EQ(problems[4].location, file + ":7:36");
  EXPECT_EQ(problems[4].field, "");
  EXPECT_EQ(problems[4].message, "invalid JSON: 'tru' is not true, false or null");

  EXPECT_EQ(problems[5].location, file + ":8:27");
  EXPECT_EQ(problems[5].message, "invalid JSON: text follows the end of the object");

  EXPECT_EQ(problems[6].location, file + ":9:27");
  EXPECT_EQ(problems[6].field, "name");
  EXPECT_EQ(problems[6].message, "the key 'name' occurs twice in the object");

  EXPECT_EQ(problems[7].location, file + ":10:23");
  EXPECT_EQ(problems[7].field, "name");
  EXPECT_EQ(problems[7].message, "invalid JSON: a string has an invalid escape sequence");

  const runtime::Table& customers = *result.store->customers;
  ASSERT_EQ(customers.rowCount, 2u);
  EXPECT_EQ(customers.keyText(0), "c1");
  EXPECT_EQ(customers.keyText(1), "c11");
}

TEST_F(JsonlSourceTest, TruncatedLastLineIsRejected) {
  LoadResult result = loadCustomers(
      "{\"id\": \"c1\", \"name\": \"A\"}\n"
      "{\"id\": \"c2\", \"name\": \"B\"",
      1);
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.location, path("customers.jsonl") + ":2:25");
  EXPECT_EQ(problem.field, "");
  EXPECT_EQ(problem.message,
            "invalid JSON: the file ends inside this object, so the last line is probably "
            "truncated");
  EXPECT_EQ(result.store->customers->rowCount, 1u);

  // Cut inside a string, the last line is reported the same way.
  LoadResult inString =
      loadCustomers("{\"id\": \"c1\", \"name\": \"A\"}\n{\"id\": \"c2\", \"na", 1);
  ASSERT_EQ(inString.report.rejectedCount, 1u);
  EXPECT_EQ(inString.report.problems[0].location, path("customers.jsonl") + ":2:17");
  EXPECT_EQ(inString.report.problems[0].message,
            "invalid JSON: the file ends inside this object, so the last line is probably "
            "truncated");

  // Cut inside a nested array, the last line is reported the same way.
  std::string cut = R"({"id": "c2", "name": "B", "orders": [{"order_id": "o1", "total": 1})";
  LoadResult inArray = loadCustomers("{\"id\": \"c1\", \"name\": \"A\"}\n" + cut, 1);
  ASSERT_EQ(inArray.report.rejectedCount, 1u);
  EXPECT_EQ(inArray.report.problems[0].location, path("customers.jsonl") + ":2:68");
  EXPECT_EQ(inArray.report.problems[0].message,
            "invalid JSON: the file ends inside this object, so the last line is probably "
            "truncated");
  EXPECT_EQ(inArray.report.problems[0].record, cut);
}

TEST_F(JsonlSourceTest, UnclosedObjectInsideTheFile) {
  LoadResult result = loadCustomers(
      "{\"id\": \"c1\", \"name\": \"A\"\n"
      "{\"id\": \"c2\", \"name\": \"B\n"
      "{\"id\": \"c3\", \"name\": \"C\"}\n"
      "{\"id\": \"c4\", \"name\": \"D\", \"orders\": [{\"order_id\": \"o1\", \"total\": 1}\n",
      3);
  ASSERT_EQ(result.report.rejectedCount, 3u);
  EXPECT_EQ(result.report.problems[0].location, path("customers.jsonl") + ":1:25");
  EXPECT_EQ(result.report.problems[0].message,
            "invalid JSON: the line ends before the object is closed");
  EXPECT_EQ(result.report.problems[1].location, path("customers.jsonl") + ":2:24");
  EXPECT_EQ(result.report.problems[1].message, "invalid JSON: the line ends inside a string");
  EXPECT_EQ(result.report.problems[2].location, path("customers.jsonl") + ":4:68");
  EXPECT_EQ(result.report.problems[2].message,
            "invalid JSON: the line ends before the object is closed");
  ASSERT_EQ(result.store->customers->rowCount, 1u);
  EXPECT_EQ(result.store->customers->keyText(0), "c3");
}

TEST_F(JsonlSourceTest, DecimalSeparatorAndNullValuesApplyToStrings) {
  write("customers.jsonl",
        "{\"id\": \"c1\", \"name\": \"A\", \"score_v2\": \"2,5\", \"city\": \"NA\"}\n"
        "{\"id\": \"c2\", \"name\": \"B\", \"score_v2\": 0.25, \"city\": \"\"}\n");
  LoadResult result = load(std::string(kSchema) + R"(
source customers: Customer from jsonl("customers.jsonl") {
  decimal_separator: ","
  null_values: ["NA"]
  columns { id  name  "score_v2" -> score  city }
}
)");
  ASSERT_TRUE(result.report.ok()) << (result.report.problems.empty()
                                          ? ""
                                          : result.report.problems[0].message);
  const runtime::Table& customers = *result.store->customers;
  // JSON numbers always use '.', whatever the source's separator.
  EXPECT_EQ(decimalAt(*customers.column("score"), 0), "2.5");
  EXPECT_EQ(decimalAt(*customers.column("score"), 1), "0.25");
  const runtime::Column& city = *customers.column("city");
  EXPECT_TRUE(city.isNull(0));
  EXPECT_FALSE(city.isNull(1));
  EXPECT_EQ(textAt(city, 1), "");
}

TEST_F(JsonlSourceTest, CrlfLinesAndByteOrderMark) {
  LoadResult result = loadCustomers(
      "\xEF\xBB\xBF{\"id\": \"c1\", \"name\": \"A\"}\r\n"
      "\r\n"
      "{\"id\": \"c2\", \"name\": \"B\", \"age\": x}\r\n",
      1);
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].location, path("customers.jsonl") + ":3:34");
  EXPECT_EQ(result.report.problems[0].record, "{\"id\": \"c2\", \"name\": \"B\", \"age\": x}");
  ASSERT_EQ(result.store->customers->rowCount, 1u);
  EXPECT_EQ(result.store->customers->keyText(0), "c1");
}

TEST_F(JsonlSourceTest, RowNumberCountsRecords) {
  write("visits.jsonl", "{\"page\": \"a\"}\n\n{\"page\": {}}\n{\"page\": \"c\"}\n");
  LoadOptions options;
  options.maxBadRecords = 1;
  LoadResult result = load(R"(
customer entity Visit key n { n: int  page: string }
source visits: Visit from jsonl("visits.jsonl") { row_number: n  columns { page } }
)",
                           options);
  ASSERT_TRUE(result.report.ok());
  const runtime::Table& visits = *result.store->customers;
  ASSERT_EQ(visits.rowCount, 2u);
  // The blank line is not a record; the rejected one keeps its number.
  EXPECT_EQ(visits.column("n")->ints[0], 1);
  EXPECT_EQ(visits.column("n")->ints[1], 3);
  EXPECT_EQ(textAt(*visits.column("page"), 1), "c");
}

TEST_F(JsonlSourceTest, BindingErrorsStopTheLoad) {
  write("customers.jsonl", "{\"id\": \"c1\", \"name\": \"A\"}\n");
  LoadResult unbound = load(std::string(kSchema) +
                            "source customers: Customer from jsonl(\"customers.jsonl\") "
                            "{ columns { id } }");
  ASSERT_EQ(unbound.report.errors.size(), 1u);
  EXPECT_EQ(unbound.report.errors[0],
            "source `customers` does not fill the required field `name` of `Customer`; bind a "
            "column to it in `columns { ... }` or make it optional");

  LoadOptions options;
  options.sourcePaths["customers"] = path("nope.jsonl");
  LoadResult missing = load(std::string(kSchema) + kCustomers, options);
  ASSERT_EQ(missing.report.errors.size(), 1u);
  EXPECT_EQ(missing.report.errors[0],
            "source `customers`: cannot read '" + path("nope.jsonl") + "': no such file");
}

TEST_F(JsonlSourceTest, SmallReadBlocksGiveTheSameLoad) {
  write("customers.jsonl",
        "\xEF\xBB\xBF{\"id\": \"c1\", \"name\": \"A\"}\r\n"
        "\r\n"
        "{\"id\": \"c2\", \"name\": \"B\", \"age\": x}\r\n"
        "{\"id\": \"c3\", \"name\": \"C\", \"orders\": [{\"order_id\": \"o1\", \"total\": 1}]}\n"
        "{\"id\": \"c4\", \"name\": \"D\n"
        "{\"id\": \"c5\", \"name\": \"\u00e9\"}\n"
        "{\"id\": \"c6\", \"name\": \"F\"");
  LoadOptions options;
  options.maxBadRecords = 10;
  LoadResult whole = load(std::string(kSchema) + kCustomers, options);
  std::string expected = testing::describeLoad(whole);
  EXPECT_NE(expected.find("customers.jsonl:7:25"), std::string::npos) << expected;
  EXPECT_NE(expected.find("probably truncated"), std::string::npos) << expected;
  for (size_t block : {1, 2, 3, 5, 8, 13, 64}) {
    options.readBlockBytes = block;
    LoadResult inBlocks = load(std::string(kSchema) + kCustomers, options);
    EXPECT_EQ(testing::describeLoad(inBlocks), expected) << "blocks of " << block << " bytes";
  }
}

}  // namespace
}  // namespace crm::load
