// Loading sources end to end from small files written by each test.
#include "loader/loader.h"
#include "loader/value_parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

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
  orders: list<Order>
}
entity Order key order_id {
  order_id: string
  customer_id: string
  product: Product
  total: decimal
  at: timestamp
}
catalog entity Product key sku levels(department) {
  sku: string
  department: string
  price: decimal?
}
)";


class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("crm_loader_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    write("customers.csv", "id,age,city\nc1,34,Paris\nc2,,Lyon\n");
    write("orders.csv",
          "order_id,customer_id,sku,total,at\n"
          "o1,c2,p1,10.50,2026-01-02 10:00:00\n"
          "o2,c1,p2,3.00,2026-01-03 11:00:00\n"
          "o3,c2,p9,1.25,2026-01-04 12:00:00\n"
          "o4,c3,p1,7.00,2026-01-05 13:00:00\n");
    write("products.csv", "sku,department,price\np1,FOOD,2.50\np2,DRINKS,\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  std::string sources(const std::string& orderOptions = "") const {
    return std::string(R"(
source customers: Customer from csv("customers.csv") { columns { id  age  city } }
source orders: Order from csv("orders.csv") {
  timestamp_format: "%Y-%m-%d %H:%M:%S"
  time_zone: "Europe/Paris"
  parent: customer_id
  )") + orderOptions + R"(
  columns { order_id  customer_id  sku -> product  total  at }
}
source products: Product from csv("products.csv") { columns { sku  department  price } }
)";
  }

  LoadResult load(const std::string& script, LoadOptions options = {}) {
    write("script.crm", script);
    compilation_ = driver::checkScripts({{(dir_ / "script.crm").string(), std::nullopt}});
    EXPECT_FALSE(compilation_->hasErrors()) << testing::summarize(*compilation_);
    std::vector<const ast::Script*> scripts;
    for (const auto& s : compilation_->scripts) scripts.push_back(s.get());
    return loadProgram(scripts, compilation_->sources, options);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::unique_ptr<driver::Compilation> compilation_;
};

TEST_F(LoaderTest, LoadsJoinsAndResolves) {
  LoadResult result = load(std::string(kSchema) + sources());
  ASSERT_TRUE(result.report.ok()) << result.report.errors.size();
  const runtime::Table& customers = *result.store->customers;
  // c3 exists only as the parent of order o4, so it is created from its key.
  ASSERT_EQ(customers.rowCount, 3u);
  EXPECT_EQ(customers.keyText(2), "c3");
  EXPECT_EQ(result.report.tables[0].implicitRows, 1u);

  const runtime::Column& age = *customers.column("age");
  EXPECT_EQ(age.ints[0], 34);
  EXPECT_FALSE(age.isNull(0));
  EXPECT_TRUE(age.isNull(1));
  EXPECT_TRUE(age.isNull(2));

  // Orders are sorted by customer: c1 owns o2; c2 owns o1 and o3, in file order.
  const runtime::Column& orders = *customers.column("orders");
  ASSERT_EQ(orders.offsets, (std::vector<uint32_t>{0, 1, 3, 4}));
  const runtime::Table& orderTable = *orders.target;
  EXPECT_EQ(orderTable.keyText(0), "o2");
  EXPECT_EQ(orderTable.keyText(1), "o1");
  EXPECT_EQ(orderTable.keyText(2), "o3");
  EXPECT_EQ(orderTable.keyText(3), "o4");

  const runtime::Column& product = *orderTable.column("product");
  EXPECT_EQ(product.ints[0], 1);  // p2
  EXPECT_EQ(product.ints[1], 0);  // p1
  EXPECT_EQ(product.ints[2], runtime::Column::kUnresolved);  // p9 is not in the catalog
  ASSERT_EQ(product.unresolvedKeys.size(), 1u);
  EXPECT_EQ(product.unresolvedKeys[0].first, 2u);
  EXPECT_EQ(product.unresolvedKeys[0].second, "p9");
  const runtime::Column& total = *orderTable.column("total");
  EXPECT_EQ(runtime::formatDecimal(total.decimals[1]), "10.50");
  // 10:00 in Paris in January is 09:00 UTC.
  EXPECT_EQ(orderTable.column("at")->ints[1], *runtime::parseTimestamp("2026-01-02T09:00:00Z"));

  bool unresolvedReported = false;
  for (const auto& table : result.report.tables) {
    for (const auto& field : table.fields) {
      if (table.entity == "Order" && field.name == "product") {
        EXPECT_EQ(field.unresolved, 1u);
        unresolvedReported = true;
      }
    }
  }
  EXPECT_TRUE(unresolvedReported);
}

TEST_F(LoaderTest, BadValueNamesItsPlace) {
  write("orders.csv", "order_id,customer_id,sku,total,at\no1,c1,p1,\"1.234,56\",2026-01-02 10:00:00\n");
  LoadResult result = load(std::string(kSchema) + sources());
  EXPECT_FALSE(result.report.ok());
  ASSERT_EQ(result.report.rejectedCount, 1u);
  const Problem& problem = result.report.problems[0];
  EXPECT_EQ(problem.location, path("orders.csv") + ":2:10");
  EXPECT_EQ(problem.field, "total");
  EXPECT_EQ(problem.message, "'1.234,56' is not a decimal with separator '.'");
}

TEST_F(LoaderTest, BadRecordsSkippedUpToLimit) {
  write("orders.csv",
        "order_id,customer_id,sku,total,at\n"
        "o1,c1,p1,abc,2026-01-02 10:00:00\n"
        "o2,c1,p1,1.00,2026-01-02 10:00:00\n"
        "o3,c1,p1,2.00\n");
  LoadOptions options;
  options.maxBadRecords = 2;
  options.rejectsPath = path("rejects.csv");
  LoadResult result = load(std::string(kSchema) + sources(), options);
  EXPECT_TRUE(result.report.ok());
  EXPECT_EQ(result.report.rejectedCount, 2u);
  EXPECT_EQ(result.store->table("Order")->rowCount, 1u);
  EXPECT_EQ(result.report.problems[1].message, "the record has 4 fields but the header has 5");
  std::string rejects = testing::readFile(path("rejects.csv"));
  EXPECT_NE(rejects.find("\"'abc' is not a decimal with separator '.'\""), std::string::npos)
      << rejects;
  EXPECT_EQ(rejects.rfind("source,location,field,reason,record\n", 0), 0u);

  options.maxBadRecords = 1;
  LoadResult tooMany = load(std::string(kSchema) + sources(), options);
  EXPECT_FALSE(tooMany.report.ok());
}

TEST_F(LoaderTest, MissingColumnIsAnErrorWithSuggestion) {
  write("customers.csv", "id,agee,city\nc1,34,Paris\n");
  LoadResult result = load(std::string(kSchema) + sources());
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0], "source `customers`: column 'age' is not in the header of '" +
                                         path("customers.csv") + "'; did you mean 'agee'?");
}

// Without `columns`, an optional field whose column is absent stays null,
// unless a column no field reads is close to its name: a misspelt header
// would otherwise make the field null for every customer without a word.
TEST_F(LoaderTest, MisspeltHeaderOfImplicitBindingIsAnError) {
  write("customers.csv", "id,agee,city\nc1,34,Paris\n");
  std::string script = std::string(kSchema) +
                       "source customers: Customer from csv(\"customers.csv\") {}";
  LoadResult result = load(script);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `customers`: the optional field `age` has no column in the header of '" +
                path("customers.csv") +
                "', so it would be null in every record, and the column 'agee' is read by no "
                "field; rename the column, or bind it with `columns { \"agee\" -> age ... }`");
}

TEST_F(LoaderTest, AbsentOptionalColumnOfImplicitBindingIsNull) {
  write("customers.csv", "id,city,loyalty_points\nc1,Paris,12\n");
  std::string script = std::string(kSchema) +
                       "source customers: Customer from csv(\"customers.csv\") {}";
  LoadResult result = load(script);
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  const runtime::Column& age = *result.store->customers->column("age");
  EXPECT_TRUE(age.isNull(0));
}

TEST_F(LoaderTest, RequiredFieldWithoutColumnIsAnError) {
  std::string script = std::string(kSchema) +
                       "source products: Product from csv(\"products.csv\") { columns { sku } }";
  LoadResult result = load(script);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `products` does not fill the required field `department` of `Product`; "
            "bind a column to it in `columns { ... }` or make it optional");
}

TEST_F(LoaderTest, EmptyKeyIsAnError) {
  write("customers.csv", "id,age,city\nc1,34,Paris\n,35,Lyon\n");
  LoadResult result = load(std::string(kSchema) + sources());
  ASSERT_FALSE(result.report.errors.empty());
  EXPECT_EQ(result.report.errors[0], "empty key in `Customer` at " + path("customers.csv") +
                                         ":3; every row needs a key: fill it in, or remove the "
                                         "record");
}

TEST_F(LoaderTest, DuplicateKeyIsAnError) {
  write("customers.csv", "id,age,city\nc1,34,Paris\nc1,35,Lyon\n");
  LoadResult result = load(std::string(kSchema) + sources());
  ASSERT_FALSE(result.report.errors.empty());
  EXPECT_EQ(result.report.errors[0], "duplicate key 'c1' in `Customer` at " +
                                         path("customers.csv") + ":3; first at " +
                                         path("customers.csv") + ":2");
}

TEST_F(LoaderTest, MissingRequiredValueIsABadRecord) {
  write("products.csv", "sku,department,price\np1,,2.50\n");
  std::string script = std::string(kSchema) +
                       "source products: Product from csv(\"products.csv\") "
                       "{ columns { sku  department  price } }";
  // An empty text is a valid required string; only other types need a value.
  LoadResult result = load(script);
  EXPECT_TRUE(result.report.ok());
  write("customers.csv", "id,age,city\nc1,34,Paris\n");
  write("orders.csv", "order_id,customer_id,sku,total,at\no1,c1,p1,,2026-01-02 10:00:00\n");
  LoadResult orders = load(std::string(kSchema) + sources());
  ASSERT_EQ(orders.report.rejectedCount, 1u);
  EXPECT_EQ(orders.report.problems[0].message,
            "missing value for the required field; make the field optional (`total: decimal?`) "
            "if it may be empty");
}

TEST_F(LoaderTest, SemicolonsCommaDecimalsAndNoHeader) {
  write("products.csv", "p1;FOOD;2,50\np2;DRINKS;NA\n");
  std::string script = std::string(kSchema) +
                       "source products: Product from csv(\"products.csv\") {\n"
                       "  header: false  separator: \";\"  decimal_separator: \",\"\n"
                       "  null_values: [\"NA\"]\n"
                       "  columns { sku  department  price }\n}";
  LoadResult result = load(script);
  ASSERT_TRUE(result.report.ok());
  const runtime::Table& products = *result.store->catalog;
  ASSERT_EQ(products.rowCount, 2u);
  EXPECT_EQ(runtime::formatDecimal(products.column("price")->decimals[0]), "2.50");
  EXPECT_TRUE(products.column("price")->isNull(1));
}

TEST_F(LoaderTest, QuotedFieldsKeepSeparatorsAndNewlines) {
  write("customers.csv", "id,age,city\r\n\"c1\",34,\"Paris, \"\"15e\"\"\nFrance\"\r\nc2,,Lyon");
  LoadResult result = load(std::string(kSchema) +
                           "source customers: Customer from csv(\"customers.csv\") "
                           "{ columns { id  age  city } }");
  ASSERT_TRUE(result.report.ok());
  const runtime::Column& city = *result.store->customers->column("city");
  EXPECT_EQ(city.pool.text(city.strings[0]), "Paris, \"15e\"\nFrance");
  EXPECT_EQ(city.pool.text(city.strings[1]), "Lyon");
}

TEST_F(LoaderTest, MissingFileIsAnError) {
  LoadOptions options;
  options.sourcePaths["customers"] = path("nope.csv");
  LoadResult result = load(std::string(kSchema) + sources(), options);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "source `customers`: cannot read '" + path("nope.csv") + "': no such file");
}

TEST_F(LoaderTest, SourcePathOverride) {
  write("other.csv", "id,age,city\nz9,1,Nice\n");
  LoadOptions options;
  options.sourcePaths["customers"] = path("other.csv");
  LoadResult result = load(std::string(kSchema) + sources(), options);
  ASSERT_TRUE(result.report.ok());
  EXPECT_EQ(result.store->customers->keyText(0), "z9");
}

TEST_F(LoaderTest, BadTimeZoneIsAnError) {
  write("script.crm", std::string(kSchema) +
                          "source customers: Customer from csv(\"customers.csv\") "
                          "{ time_zone: \"Europe/Atlantis\"  columns { id } }");
  compilation_ = driver::checkScripts({{(dir_ / "script.crm").string(), std::nullopt}});
  // The checker reports the zone before any data is read.
  std::string diagnostics = testing::summarize(*compilation_);
  EXPECT_NE(diagnostics.find("E0306"), std::string::npos) << diagnostics;
  EXPECT_NE(diagnostics.find("unknown time zone \"Europe/Atlantis\""), std::string::npos)
      << diagnostics;
  // The loader, given the script anyway, rejects it too.
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation_->scripts) scripts.push_back(script.get());
  LoadResult result = loadProgram(scripts, compilation_->sources, {});
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0], "source `customers`: unknown time zone 'Europe/Atlantis'; "
                                     "use an IANA name such as America/New_York");
}

TEST_F(LoaderTest, OrphanChildOfNonCustomerParentIsRejected) {
  std::string script = R"(
customer entity Customer key id { id: string }
catalog entity Product key sku { sku: string  coupons: list<Coupon> }
entity Coupon key upc { upc: string  sku: string }
source products: Product from csv("products.csv") { columns { sku } }
source coupons: Coupon from csv("coupons.csv") { parent: sku  columns { upc  sku } }
)";
  write("coupons.csv", "upc,sku\nu1,p1\nu2,p7\n");
  LoadResult result = load(script);
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].message, "parent key 'p7' matches no `Product`");
  EXPECT_EQ(result.report.problems[0].location, path("coupons.csv") + ":3");
}

}  // namespace
}  // namespace crm::load

namespace crm::load {
namespace {

TEST_F(LoaderTest, RowNumberFillsAKey) {
  write("visits.csv", "page\nhome\ncart\n");
  std::string script = R"(
customer entity Visit key n { n: int  page: string }
source visits: Visit from csv("visits.csv") { row_number: n  columns { page } }
)";
  LoadResult result = load(script);
  ASSERT_TRUE(result.report.ok());
  const runtime::Table& visits = *result.store->customers;
  ASSERT_EQ(visits.rowCount, 2u);
  EXPECT_EQ(visits.column("n")->ints[0], 1);
  EXPECT_EQ(visits.column("n")->ints[1], 2);
  EXPECT_EQ(*visits.findRow("2"), 1u);
}

TEST_F(LoaderTest, NullMarkerInRequiredField) {
  write("customers.csv", "id,age,city\nc1,-1,NA\nc2,NA,Lyon\n");
  std::string script = R"(
customer entity Customer key id { id: string  age: int  city: string? }
source customers: Customer from csv("customers.csv") {
  null_values: ["NA", "-1"]
  columns { id  age  city }
}
)";
  LoadResult result = load(script);
  // c1 keeps its age of -1 and gets a null city; c2's age is missing.
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].location, path("customers.csv") + ":3:4");
  EXPECT_EQ(result.report.problems[0].message,
            "missing value for the required field; make the field optional (`age: int?`) if it "
            "may be empty");
}

}  // namespace
}  // namespace crm::load

namespace crm::load {
namespace {

TEST_F(LoaderTest, WithoutColumnsFieldsReadColumnsOfTheirName) {
  write("customers.csv", "city,id,unused\nParis,c1,x\n");
  std::string script = R"(
customer entity Customer key id { id: string  age: int?  city: string? }
source customers: Customer from csv("customers.csv") { }
)";
  LoadResult result = load(script);
  ASSERT_TRUE(result.report.ok()) << (result.report.errors.empty() ? "" : result.report.errors[0]);
  const runtime::Table& customers = *result.store->customers;
  EXPECT_EQ(customers.keyText(0), "c1");
  EXPECT_TRUE(customers.column("age")->isNull(0));
  EXPECT_EQ(customers.column("city")->pool.text(customers.column("city")->strings[0]), "Paris");

  write("customers.csv", "city\nParis\n");
  LoadResult missingKey = load(script);
  ASSERT_EQ(missingKey.report.errors.size(), 1u);
  EXPECT_EQ(missingKey.report.errors[0], "source `customers`: column 'id' is not in the header of '" +
                                             path("customers.csv") + "'; the header has: city");
}

}  // namespace
}  // namespace crm::load

// Hostile data: each case once crashed, hung, joined wrongly or coerced.
namespace crm::load {
namespace {

TEST_F(LoaderTest, HeaderlessShortFirstRecordIsRejected) {
  write("products.csv", "p1\np2;FOOD;2.50\n");
  std::string script = std::string(kSchema) +
                       "source products: Product from csv(\"products.csv\") {\n"
                       "  header: false  separator: \";\"  columns { sku  department  price }\n}";
  LoadResult result = load(script);
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].location, path("products.csv") + ":1:1");
  EXPECT_EQ(result.store->catalog->rowCount, 1u);
}

TEST_F(LoaderTest, DeeplyNestedJsonIsRejected) {
  write("people.jsonl", "{\"id\": \"a\", \"x\": " + std::string(100000, '[') +
                            std::string(100000, ']') + "}\n{\"id\": \"b\"}\n");
  LoadResult result = load("customer entity C key id { id: string }\n"
                           "source people: C from jsonl(\"people.jsonl\") { columns { id } }\n");
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].message, "JSON nested deeper than 1000 levels");
  EXPECT_EQ(result.store->customers->rowCount, 1u);
}

TEST_F(LoaderTest, SqliteFifoIsNotOpened) {
  ASSERT_EQ(::mkfifo(path("pipe.db").c_str(), 0600), 0);
  LoadResult result = load("customer entity C key id { id: string }\n"
                           "source people: C from sqlite(\"pipe.db\", \"people\") { columns { id } }\n");
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0], "source `people`: cannot open SQLite database '" +
                                         path("pipe.db") + "': not a regular file");
}

TEST_F(LoaderTest, IntParentKeysInTextFormAreNormalized) {
  write("customers.csv", "id\n1\n");
  write("orders.csv", "order_id,customer_id\no1,007\no2,7\no3,abc\n");
  std::string script = R"(
customer entity C key id { id: int  orders: list<O> }
entity O key order_id { order_id: string  customer_id: string }
source customers: C from csv("customers.csv") { columns { id } }
source orders: O from csv("orders.csv") { parent: customer_id  columns { order_id  customer_id } }
)";
  LoadResult result = load(script);
  // "007" and "7" both name customer 7, created once. "abc" names no customer.
  EXPECT_TRUE(result.report.errors.empty());
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].message, "parent key 'abc' matches no `C`");
  EXPECT_EQ(result.store->customers->rowCount, 2u);
}

TEST_F(LoaderTest, EntityListingItsOwnKindIsAnError) {
  write("nodes.csv", "id,up\nr,r\na,r\n");
  std::string script = R"(
customer entity N key id { id: string  up: string  kids: list<N> }
source nodes: N from csv("nodes.csv") { parent: up  columns { id  up } }
)";
  LoadResult result = load(script);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_NE(result.report.errors[0].find("is listed by its own rows"), std::string::npos);
}

TEST_F(LoaderTest, EmptyParentKeyIsRejected) {
  write("orders.csv",
        "order_id,customer_id,sku,total,at\no1,,p1,1.00,2026-01-02 10:00:00\n");
  std::string script = std::string(kSchema) + sources();
  script.replace(script.find("customer_id: string"), 19, "customer_id: string?");
  LoadResult result = load(script);
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].message,
            "the parent key is empty, so the row belongs to no `Customer`");
  EXPECT_EQ(result.report.sources[1].rejected, 1u);
  EXPECT_EQ(result.report.sources[1].loaded, 0u);
}

TEST_F(LoaderTest, ChildrenOfARejectedRowAreRejected) {
  std::string script = R"(
customer entity C key id { id: string  orders: list<O> }
entity O key oid { oid: string  cid: string  lines: list<L> }
entity L key lid { lid: string  oid: string }
source customers: C from csv("c.csv") { columns { id } }
source orders: O from csv("o.csv") { parent: cid  columns { oid  cid } }
source lines: L from csv("l.csv") { parent: oid  columns { lid  oid } }
)";
  write("c.csv", "id\nc1\n");
  write("o.csv", "oid,cid\no1,c1\no2,\n");
  write("l.csv", "lid,oid\nl1,o1\nl2,o2\n");
  LoadOptions options;
  options.maxBadRecords = 5;
  LoadResult result = load(script, options);
  ASSERT_EQ(result.report.rejectedCount, 2u);
  EXPECT_EQ(result.report.problems[1].message, "its parent `O` row was rejected");
  EXPECT_EQ(result.store->table("L")->rowCount, 1u);
}

TEST_F(LoaderTest, ParentKeysBeyondDeduplicationLimitStillJoin) {
  std::string parents = "code\n";
  std::string children = "n,code\n";
  for (int i = 0; i < 20000; ++i) {
    parents += "k" + std::to_string(i) + "\n";
    children += std::to_string(i) + ",k" + std::to_string(i) + "\n";
  }
  write("campaigns.csv", parents);
  write("contacts.csv", children);
  std::string script = R"(
customer entity C key id { id: string }
entity Campaign key code { code: string  contacts: list<Contact> }
entity Contact key n { n: int  code: string }
source campaigns: Campaign from csv("campaigns.csv") { columns { code } }
source contacts: Contact from csv("contacts.csv") { parent: code  columns { n  code } }
)";
  LoadResult result = load(script);
  EXPECT_TRUE(result.report.ok());
  EXPECT_EQ(result.report.rejectedCount, 0u);
  EXPECT_EQ(result.store->table("Contact")->rowCount, 20000u);
}

TEST_F(LoaderTest, SignedGarbageIsNoNumber) {
  std::string error;
  EXPECT_FALSE(parseInt("+-5", error));
  EXPECT_FALSE(parseDouble("+-2.5", error));
  EXPECT_FALSE(parseDouble("nan(0x123)", error));
  EXPECT_TRUE(parseDouble("nan", error));
}

TEST_F(LoaderTest, DateLayoutsMustNameADate) {
  std::string script = std::string(kSchema) +
                       "source products: Product from csv(\"products.csv\") {\n"
                       "  date_format: \"%H:%M\"  columns { sku  department  price }\n}";
  LoadResult result = load(script);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0], "source `products`: date_format '%H:%M' must name the year, "
                                     "month and day and no time of day");
}

TEST_F(LoaderTest, RejectsFileReplacesOnlyRegularFiles) {
  write("customers.csv", "id,age,city\nc1,x,Paris\n");
  ASSERT_EQ(::mkfifo(path("rejects.fifo").c_str(), 0600), 0);
  LoadOptions options;
  options.maxBadRecords = 5;
  options.rejectsPath = path("rejects.fifo");
  LoadResult result = load(std::string(kSchema) + sources(), options);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "cannot write the rejects file '" + path("rejects.fifo") +
                "': it exists and is not a regular file (a link, a device or a FIFO); give the "
                "path of a regular file or of none");
  EXPECT_TRUE(std::filesystem::is_fifo(path("rejects.fifo")));

  // A clean load still writes the file, so an old one never passes for new.
  write("customers.csv", "id,age,city\nc1,3,Paris\n");
  write("old.csv", "stale");
  options.rejectsPath = path("old.csv");
  LoadResult clean = load(std::string(kSchema) + sources(), options);
  EXPECT_TRUE(clean.report.ok());
  EXPECT_EQ(testing::readFile(path("old.csv")), "source,location,field,reason,record\n");
}

}  // namespace
}  // namespace crm::load

namespace crm::load {
namespace {

TEST_F(LoaderTest, DecimalSeparatorAppliesToDoubles) {
  write("scores.csv", "id;score\na;2,5\nb;3.5\n");
  std::string script = R"(
customer entity C key id { id: string  score: double }
source scores: C from csv("scores.csv") { separator: ";"  decimal_separator: ","  columns { id  score } }
)";
  LoadOptions options;
  options.maxBadRecords = 1;
  LoadResult result = load(script, options);
  ASSERT_TRUE(result.report.ok());
  EXPECT_DOUBLE_EQ(result.store->customers->column("score")->doubles[0], 2.5);
  ASSERT_EQ(result.report.rejectedCount, 1u);
  EXPECT_EQ(result.report.problems[0].message, "'3.5' is not a number with separator ','");
}

}  // namespace
}  // namespace crm::load

namespace crm::load {
namespace {

TEST_F(LoaderTest, JsonNumbersFillOnlyNumericFields) {
  write("people.jsonl", "{\"id\": 42}\n{\"id\": \"b\", \"vip\": 1}\n{\"id\": \"c\", \"vip\": true}\n");
  LoadOptions options;
  options.maxBadRecords = 2;
  LoadResult result = load("customer entity C key id { id: string  vip: bool? }\n"
                           "source people: C from jsonl(\"people.jsonl\") { columns { id  vip } }\n",
                           options);
  ASSERT_EQ(result.report.rejectedCount, 2u);
  EXPECT_EQ(result.report.problems[0].message, "expected a value of type `string`, found a JSON number");
  EXPECT_EQ(result.report.problems[1].message, "expected a value of type `bool`, found a JSON number");
  EXPECT_EQ(result.store->customers->rowCount, 1u);
}

}  // namespace
}  // namespace crm::load

namespace crm::load {
namespace {

TEST_F(LoaderTest, RejectedCustomerIsNotRecreatedByItsOrders) {
  write("customers.csv", "id,age,city\nc1,old,Paris\nc2,40,Lyon\n");
  write("orders.csv", "order_id,customer_id,sku,total,at\no1,c1,p1,1.00,2026-01-02 10:00:00\n");
  LoadOptions options;
  options.maxBadRecords = 2;
  LoadResult result = load(std::string(kSchema) + sources(), options);
  ASSERT_EQ(result.report.rejectedCount, 2u);
  EXPECT_EQ(result.report.problems[1].message, "its parent `Customer` record 'c1' was rejected");
  EXPECT_EQ(result.store->customers->rowCount, 1u);
}

}  // namespace
}  // namespace crm::load

namespace crm::load {
namespace {

TEST_F(LoaderTest, PathForUndeclaredSourceFails) {
  LoadOptions options;
  options.sourcePaths["nobody"] = path("customers.csv");
  LoadResult result = load(std::string(kSchema) + sources(), options);
  ASSERT_EQ(result.report.errors.size(), 1u);
  EXPECT_EQ(result.report.errors[0],
            "a path is given for the source `nobody`, which the script does not declare");
}

TEST_F(LoaderTest, SmallReadBlocksGiveTheSameLoad) {
  // Quoted fields across lines and blocks, a doubled quote, CRLF and LF
  // endings, a byte order mark, bad records, a quote that is never closed
  // and blank lines at the end.
  write("customers.csv",
        "\xEF\xBB\xBFid,age,city\r\nc1,34,\"Paris\r\nNord\"\r\nc2,x,Lyon\r\n"
        "c3,7,\"say \"\"hi\"\"\"\nc5,6,Nice\n\"c6\"z,1,A\nc7,8,\"open\n\nc8,9,B\n\r\n\n");
  write("orders.csv",
        "order_id,customer_id,sku,total,at\n"
        "o1,c1,p1,10.50,2026-01-02 10:00:00\n"
        "o2,c5,p2,3.00\n"
        "o3,c1,p2,\"1,5\",2026-01-02 10:00:00\n"
        "o4,c1,p1,7.00,2026-01-05 13:00:00");
  LoadOptions options;
  options.maxBadRecords = 10;
  LoadResult whole = load(std::string(kSchema) + sources(), options);
  std::string expected = testing::describeLoad(whole);
  EXPECT_NE(expected.find("customers.csv:4:4 | age"), std::string::npos) << expected;
  EXPECT_NE(expected.find("quoted field is not closed"), std::string::npos) << expected;
  for (size_t block : {1, 2, 3, 5, 8, 13, 64}) {
    options.readBlockBytes = block;
    LoadResult inBlocks = load(std::string(kSchema) + sources(), options);
    EXPECT_EQ(testing::describeLoad(inBlocks), expected) << "blocks of " << block << " bytes";
  }
}

}  // namespace
}  // namespace crm::load
