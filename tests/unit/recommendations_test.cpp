// The recommendation functions on a small hand-made catalog and history.
// The comments work out each result by hand. The cases cover ties, an empty
// history, a product missing from the catalog, a category under two
// departments, windows that leave old activity out, and the order of every
// list. Each value is computed on every engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/driver/expression.h"
#include "interp/interpreter.h"
#include "jit/jit.h"
#include "run/prepare.h"
#include "run/run.h"
#include "runtime/time.h"
#include "tests/support/engines.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

namespace fs = std::filesystem;
using runtime::Value;
using runtime::ValueKind;

const char* const kSchema = R"(
customer entity Customer key id {
  id: string
  lines: list<Line>
  events: list<Event>
}
entity Line key basket {
  basket: string
  customer_id: string
  product: Product
  at: timestamp
}
event entity Event key event_id {
  event_id: string
  customer_id: string
  product: Product
  type: string
  at: timestamp
}
catalog entity Product key sku levels(department > category) {
  sku: string
  department: string
  category: string
}
source customers: Customer from csv("customers.csv") {}
source lines: Line from csv("lines.csv") { parent: customer_id }
source events: Event from csv("events.csv") { parent: customer_id }
source products: Product from csv("products.csv") {}
)";

// Lets evaluated per customer, by name.
const char* const kLets = R"(
let fav_department = favourite("department", 30d)
let fav_category = favourite("category", 30d)
let fav_by_events = favourite("department", 30d, {"view": 10, "cart": 10})
let fav_fractional = favourite("department", 30d, {"purchase": 0.5, "view": 2.5})
let fav_year = favourite("department", 365d)
let bought_30d = purchased(30d)
let bought_365d = purchased(365d)
let seen = viewed(30d)
let in_cart = carted(30d)
let popular_30d = popular(30d)
let popular_toys = popular(30d, "department", "toys")
let popular_fruit = popular(30d, "category", "fruit")
let popular_unknown_node = popular(30d, "category", "nothing")
let popular_favourite = popular(30d, "department", fav_department)
let together_a1 = bought_together(catalog.filter(p, p.sku == "a1"), 3)
let together_b2 = bought_together(catalog.filter(p, p.sku == "b2")[0], 5)
let together_a1_b1 = bought_together(catalog.filter(p, p.sku in ["a1", "b1"]), 5)
let missing_product = customer.lines.filter(l, l.basket == "k7").map(l, l.product)
let together_missing = bought_together(missing_product, 3)
let similar_missing = missing_product.size() > 0 ? similar(missing_product[0], 3) : []
let similar_a1 = similar(catalog.filter(p, p.sku == "a1")[0], 10)
let similar_a1_two = similar(catalog.filter(p, p.sku == "a1")[0], 2)
let similar_d1 = similar(catalog.filter(p, p.sku == "d1")[0], 10)
let similar_e1 = similar(catalog.filter(p, p.sku == "e1")[0], 5)
let diverse_one = popular(30d).diverse(3, "department", 1)
let diverse_two = popular(30d).diverse(3, "department", 2)
let with_fallback = fallback(purchased(30d), popular(30d).take(2))
let with_method_fallback = purchased(30d).fallback(popular(30d).take(1))
let negative_window = purchased(-(1d))
let bad_weight = favourite("department", 30d, {"click": 1})
let negative_take = popular(30d).take(-1)
let zero_per = popular(30d).diverse(3, "department", 0)

channel web { reachable: true }
campaign offers {
  audience: true
  channels: web
  offer: fallback(bought_together(purchased(365d), 3), popular(30d).take(3))
}
)";

// now is 2024-06-30T00:00:00Z; 30d reaches back to 2024-05-31.
// c1: baskets k1 {a1, b1} a day old, k2 {a1, b1, c1} ten days old, k3 {a2}
//     in January, and k7 with zz, which the catalog lacks.
// c2: basket k4 {a1, b2} five days old; views of c1 and c2 a day old, c2
//     added to the cart two days ago.
// c3: no history.
// c4: k5 {b1} and k6 {c1} at the same instant.
const char* const kLines =
    "basket,customer_id,product,at\n"
    "k1,c1,a1,2024-06-29T00:00:00Z\n"
    "k1,c1,b1,2024-06-29T00:00:00Z\n"
    "k2,c1,a1,2024-06-20T00:00:00Z\n"
    "k2,c1,b1,2024-06-20T00:00:00Z\n"
    "k2,c1,c1,2024-06-20T00:00:00Z\n"
    "k3,c1,a2,2024-01-01T00:00:00Z\n"
    "k7,c1,zz,2024-06-28T00:00:00Z\n"
    "k4,c2,a1,2024-06-25T00:00:00Z\n"
    "k4,c2,b2,2024-06-25T00:00:00Z\n"
    "k5,c4,b1,2024-06-29T00:00:00Z\n"
    "k6,c4,c1,2024-06-29T00:00:00Z\n";

const char* const kEvents =
    "event_id,customer_id,product,type,at\n"
    "e1,c2,c1,view,2024-06-29T09:00:00Z\n"
    "e2,c2,c2,view,2024-06-29T10:00:00Z\n"
    "e3,c2,c2,cart,2024-06-28T00:00:00Z\n"
    "e4,c2,a1,remove_from_cart,2024-06-29T00:00:00Z\n";

// The category `fruit` has three products under `food` and one under
// `toys`, so its parent is `food`. e1 has no department or category.
const char* const kProducts =
    "sku,department,category\n"
    "a1,food,fruit\n"
    "a2,food,fruit\n"
    "a3,food,fruit\n"
    "b1,food,dairy\n"
    "b2,food,dairy\n"
    "c1,toys,games\n"
    "c2,toys,games\n"
    "d1,toys,fruit\n"
    "e1,,\n";

class RecommendationsTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_recommendations_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
    write("customers.csv", "id\nc1\nc2\nc3\nc4\n");
    write("lines.csv", kLines);
    write("events.csv", kEvents);
    write("products.csv", kProducts);
    write("script.crm", std::string(kSchema) + kLets);
    load::LoadOptions options;
    options.maxBadRecords = 0;
    prepared_ = run::prepareScript((dir_ / "script.crm").string(), options);
    ASSERT_NE(prepared_.program, nullptr) << testing::summarize(*prepared_.compilation);
    ASSERT_TRUE(prepared_.ok());
    if (GetParam() == run::Engine::Jit) {
      jit::Options jitOptions;
      jitOptions.optLevel = 0;
      std::string error;
      compiled_ = jit::compile(*prepared_.program, prepared_.store.get(), jitOptions, error);
      ASSERT_NE(compiled_, nullptr) << error;
    }
    runtime::Table* customers = prepared_.store->table("Customer");
    if (!customers->hasKeyIndex()) customers->buildKeyIndex();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  Value let(const std::string& name, const std::string& customer) {
    const ir::Program& program = *prepared_.program;
    interp::Interpreter interpreter(program, prepared_.store.get(), now_);
    interpreter.setNativeCode(compiled_.get());
    auto row = prepared_.store->table("Customer")->findRow(customer);
    EXPECT_TRUE(row.has_value()) << customer;
    interpreter.setCustomer(row.value_or(0));
    for (uint32_t i = 0; i < program.declarations.size(); ++i) {
      if (program.declarations[i].name == name) return interpreter.declaration(i);
    }
    ADD_FAILURE() << "no let " << name;
    return Value();
  }

  // The keys of a list of products, or the error message.
  std::vector<std::string> keys(const std::string& name, const std::string& customer) {
    Value value = let(name, customer);
    if (value.isError()) return {"error: " + value.asError().message};
    std::vector<std::string> result;
    for (size_t i = 0; i < value.listSize(); ++i) {
      result.push_back(runtime::displayText(value.listAt(i)));
    }
    return result;
  }

  // A string, "null", or the error message.
  std::string text(const std::string& name, const std::string& customer) {
    Value value = let(name, customer);
    if (value.isError()) return "error: " + value.asError().message;
    if (value.isNull()) return "null";
    return runtime::displayText(value);
  }

  fs::path dir_;
  run::Prepared prepared_;
  std::unique_ptr<jit::CompiledProgram> compiled_;
  int64_t now_ = *runtime::parseTimestamp("2024-06-30T00:00:00Z");
};

using Keys = std::vector<std::string>;

TEST_P(RecommendationsTest, FavouriteWeighsAndDecays) {
  // c1: food has a1 and b1 twice and toys has c1 once.
  EXPECT_EQ(text("fav_department", "c1"), "food");
  // c2: food has two purchases five days old (2 × 10 × 0.79); toys two
  // views and a cart addition (about 4.6).
  EXPECT_EQ(text("fav_department", "c2"), "food");
  // Weighing only views and carts, toys wins; purchases weigh 0.
  EXPECT_EQ(text("fav_by_events", "c2"), "toys");
  // 2 × 0.5 × 0.79 = 0.79 for food against 2 × 2.5 × 0.95 for toys.
  EXPECT_EQ(text("fav_fractional", "c2"), "toys");
  EXPECT_EQ(text("fav_by_events", "c1"), "null");
}

TEST_P(RecommendationsTest, FavouriteBreaksTiesByName) {
  // c1: fruit (a1) and dairy (b1) have the same lines at the same times.
  EXPECT_EQ(text("fav_category", "c1"), "dairy");
  // c4: one food and one toys line at the same instant.
  EXPECT_EQ(text("fav_department", "c4"), "food");
}

TEST_P(RecommendationsTest, FavouriteIsNullWithoutHistory) {
  EXPECT_EQ(text("fav_department", "c3"), "null");
  EXPECT_EQ(text("fav_year", "c3"), "null");
}

TEST_P(RecommendationsTest, HistoryListsAreRecentFirstAndDistinct) {
  // k1's a1 and b1 share an instant, so the smaller key comes first; k2
  // adds c1; zz is not in the catalog.
  EXPECT_EQ(keys("bought_30d", "c1"), (Keys{"a1", "b1", "c1"}));
  // January's a2 is only inside the longer window.
  EXPECT_EQ(keys("bought_365d", "c1"), (Keys{"a1", "b1", "c1", "a2"}));
  EXPECT_EQ(keys("bought_30d", "c3"), Keys{});
  EXPECT_EQ(keys("seen", "c2"), (Keys{"c2", "c1"}));
  EXPECT_EQ(keys("in_cart", "c2"), Keys{"c2"});
  EXPECT_EQ(keys("seen", "c1"), Keys{});
}

TEST_P(RecommendationsTest, PopularCountsBuyersInTheWindow) {
  // Buyers in 30 days: a1 (c1, c2), b1 (c1, c4), c1 (c1, c4), b2 (c2);
  // equal counts go by key. a2 was bought in January only.
  EXPECT_EQ(keys("popular_30d", "c3"), (Keys{"a1", "b1", "c1", "b2"}));
  EXPECT_EQ(keys("popular_toys", "c3"), Keys{"c1"});
  // d1 is in fruit too, but no customer bought it.
  EXPECT_EQ(keys("popular_fruit", "c3"), Keys{"a1"});
  EXPECT_EQ(keys("popular_unknown_node", "c3"), Keys{});
  // c1's favourite department is food; c3 has none, so all products count.
  EXPECT_EQ(keys("popular_favourite", "c1"), (Keys{"a1", "b1", "b2"}));
  EXPECT_EQ(keys("popular_favourite", "c3"), (Keys{"a1", "b1", "c1", "b2"}));
}

TEST_P(RecommendationsTest, BoughtTogetherRanksByCosine) {
  // Baskets: a1 in 3, b1 in 3, c1 in 2, b2 in 1. a1 with b1 twice:
  // 2 / 3; a1 with b2 once: 1 / sqrt(3); a1 with c1 once: 1 / sqrt(6).
  EXPECT_EQ(keys("together_a1", "c3"), (Keys{"b1", "b2", "c1"}));
  EXPECT_EQ(keys("together_b2", "c3"), Keys{"a1"});
  // c1 scores 1 / sqrt(6) twice, more than b2's 1 / sqrt(3).
  EXPECT_EQ(keys("together_a1_b1", "c3"), (Keys{"c1", "b2"}));
}

TEST_P(RecommendationsTest, ProductMissingFromCatalogGivesNothing) {
  EXPECT_EQ(keys("missing_product", "c1"), Keys{"zz"});
  EXPECT_EQ(keys("together_missing", "c1"), Keys{});
  EXPECT_EQ(keys("similar_missing", "c1"), Keys{});
}

TEST_P(RecommendationsTest, SimilarClimbsTheHierarchy) {
  // fruit by popularity (a2 has a buyer, a3 and d1 none), then the rest
  // of food.
  EXPECT_EQ(keys("similar_a1", "c3"), (Keys{"a2", "a3", "d1", "b1", "b2"}));
  EXPECT_EQ(keys("similar_a1_two", "c3"), (Keys{"a2", "a3"}));
  // d1 is filed under toys, but its category's parent is food.
  EXPECT_EQ(keys("similar_d1", "c3"), (Keys{"a1", "a2", "a3", "b1", "b2"}));
  EXPECT_EQ(keys("similar_e1", "c3"), Keys{});
}

TEST_P(RecommendationsTest, DiverseFallbackAndTakeShapeOffers) {
  EXPECT_EQ(keys("diverse_one", "c3"), (Keys{"a1", "c1"}));
  EXPECT_EQ(keys("diverse_two", "c3"), (Keys{"a1", "b1", "c1"}));
  EXPECT_EQ(keys("with_fallback", "c3"), (Keys{"a1", "b1"}));
  EXPECT_EQ(keys("with_fallback", "c1"), (Keys{"a1", "b1", "c1"}));
  EXPECT_EQ(keys("with_method_fallback", "c3"), Keys{"a1"});
}

TEST_P(RecommendationsTest, InvalidArgumentsAreErrors) {
  EXPECT_EQ(keys("negative_window", "c1"),
            Keys{"error: the window of `purchased` must not be negative, not -86400s"});
  EXPECT_EQ(text("bad_weight", "c1"),
            "error: `favourite` weighs 'purchase', 'cart' and 'view', not 'click'");
  EXPECT_EQ(keys("negative_take", "c1"),
            Keys{"error: the count of `take` must be 0 or more, not -1"});
  EXPECT_EQ(keys("zero_per", "c1"),
            Keys{"error: the `per` count of `diverse` must be 1 or more, not 0"});
}

TEST_P(RecommendationsTest, LoadReportsTheCategoryUnderTwoDepartments) {
  ASSERT_TRUE(prepared_.loadReport.hierarchy.has_value());
  const load::HierarchyStats& stats = *prepared_.loadReport.hierarchy;
  ASSERT_EQ(stats.levels.size(), 2u);
  EXPECT_EQ(stats.levels[0], (std::pair<std::string, size_t>{"department", 2}));
  EXPECT_EQ(stats.levels[1], (std::pair<std::string, size_t>{"category", 3}));
  EXPECT_EQ(stats.conflictsPerLevel, (std::vector<size_t>{0, 1}));
  ASSERT_EQ(stats.examples.size(), 1u);
  EXPECT_EQ(stats.examples[0].node, "fruit");
  using Parents = std::vector<std::pair<std::string, size_t>>;
  EXPECT_EQ(stats.examples[0].parents, (Parents{{"food", 3}, {"toys", 1}}));
  std::ostringstream printed;
  load::printReport(printed, prepared_.loadReport);
  EXPECT_NE(printed.str().find("category 'fruit': 'food' 3 products (kept), 'toys' 1 product"),
            std::string::npos)
      << printed.str();
}

TEST_P(RecommendationsTest, DecisionsDoNotDependOnThreads) {
  auto decisions = [&](unsigned threads) {
    run::RunOptions options;
    options.engine = GetParam();
    options.asOf = now_;
    options.threads = threads;
    run::RunResult result = run::runProgram(*prepared_.program, *prepared_.store, options);
    return run::formatDecisions(run::OutputFormat::Jsonl, *prepared_.program,
                                *prepared_.store, result, now_);
  };
  std::string single = decisions(1);
  EXPECT_EQ(decisions(2), single);
  EXPECT_EQ(decisions(4), single);
  // c1 bought a1, b1, c1 and a2; of their partners only b2 is new. c3 has
  // no purchases, so it gets the best sellers.
  EXPECT_NE(single.find(R"("customer":"c1","campaign":"offers","status":"send","channel":"web","send_at":"2024-06-30T00:00:00Z","offer":["b2"])"),
            std::string::npos)
      << single;
  EXPECT_NE(single.find(R"("customer":"c3","campaign":"offers","status":"send","channel":"web","send_at":"2024-06-30T00:00:00Z","offer":["a1","b1","c1"])"),
            std::string::npos)
      << single;
}

INSTANTIATE_TEST_SUITE_P(Engines, RecommendationsTest, ::testing::ValuesIn(testing::kEngines));

// Orders with lines, whose time is `ordered_at`, and events whose kind is
// an enum with other names for views and cart additions.
const char* const kOrderSchema = R"(
enum Kind { page_view, product_view, add_to_cart, search }
customer entity Customer key id {
  id: string
  orders: list<Order>
  events: list<Event>
}
entity Order key order_id {
  order_id: string
  customer_id: string
  ordered_at: timestamp
  lines: list<OrderLine>
}
entity OrderLine key order_id {
  order_id: string
  product: Product
}
event entity Event key event_id {
  event_id: string
  customer_id: string
  kind: Kind
  product: Product?
  at: timestamp
}
catalog entity Product key sku levels(department) {
  sku: string
  department: string
}
source customers: Customer from csv("customers.csv") {}
source orders: Order from csv("orders.csv") { parent: customer_id }
source lines: OrderLine from csv("lines.csv") { parent: order_id }
source events: Event from csv("events.csv") { parent: customer_id }
source products: Product from csv("products.csv") {}

let bought = purchased(30d)
let together = bought_together(catalog.filter(p, p.sku == "a1"), 5)
let seen = viewed(30d)
let in_cart = carted(30d)
let fav = favourite("department", 30d)
)";

class OrderLinesTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_order_lines_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
    write("customers.csv", "id\nc1\nc2\n");
    // c1: o1 {a1, b1} two days old, o2 {a1, c1} a day old; c2: o3 {b1} in
    // the future, which no function reads.
    write("orders.csv",
          "order_id,customer_id,ordered_at\n"
          "o1,c1,2024-06-28T00:00:00Z\n"
          "o2,c1,2024-06-29T00:00:00Z\n"
          "o3,c2,2024-07-05T00:00:00Z\n");
    write("lines.csv", "order_id,product\no1,a1\no1,b1\no2,a1\no2,c1\no3,b1\no3,a1\n");
    write("events.csv",
          "event_id,customer_id,kind,product,at\n"
          "e1,c2,product_view,c1,2024-06-29T00:00:00Z\n"
          "e2,c2,page_view,,2024-06-29T01:00:00Z\n"
          "e3,c2,add_to_cart,b1,2024-06-29T02:00:00Z\n"
          "e4,c2,search,a1,2024-06-29T03:00:00Z\n");
    write("products.csv", "sku,department\na1,food\nb1,food\nc1,toys\n");
    write("script.crm", kOrderSchema);
    prepared_ = run::prepareScript((dir_ / "script.crm").string(), load::LoadOptions{});
    ASSERT_NE(prepared_.program, nullptr) << testing::summarize(*prepared_.compilation);
    ASSERT_TRUE(prepared_.ok());
    if (GetParam() == run::Engine::Jit) {
      jit::Options jitOptions;
      jitOptions.optLevel = 0;
      std::string error;
      compiled_ = jit::compile(*prepared_.program, prepared_.store.get(), jitOptions, error);
      ASSERT_NE(compiled_, nullptr) << error;
    }
    runtime::Table* customers = prepared_.store->table("Customer");
    if (!customers->hasKeyIndex()) customers->buildKeyIndex();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  // The let's value as text: a list of keys joined by spaces, a string,
  // "null" or the error message.
  std::string let(const std::string& name, const std::string& customer) {
    const ir::Program& program = *prepared_.program;
    interp::Interpreter interpreter(program, prepared_.store.get(), now_);
    interpreter.setNativeCode(compiled_.get());
    interpreter.setCustomer(prepared_.store->table("Customer")->findRow(customer).value_or(0));
    for (uint32_t i = 0; i < program.declarations.size(); ++i) {
      if (program.declarations[i].name != name) continue;
      Value value = interpreter.declaration(i);
      if (value.isError()) return "error: " + value.asError().message;
      if (value.isNull()) return "null";
      if (!value.is(ValueKind::List)) return runtime::displayText(value);
      std::string keys;
      for (size_t j = 0; j < value.listSize(); ++j) {
        keys += (j > 0 ? " " : "") + runtime::displayText(value.listAt(j));
      }
      return keys;
    }
    return "no let " + name;
  }

  fs::path dir_;
  run::Prepared prepared_;
  std::unique_ptr<jit::CompiledProgram> compiled_;
  int64_t now_ = *runtime::parseTimestamp("2024-06-30T00:00:00Z");
};

TEST_P(OrderLinesTest, OrdersAreBasketsOfTheirLines) {
  EXPECT_EQ(let("bought", "c1"), "a1 c1 b1");
  EXPECT_EQ(let("fav", "c1"), "food");
  // o1 and o2 each pair a1 with one product; o3 is after now.
  EXPECT_EQ(let("together", "c1"), "b1 c1");
  EXPECT_EQ(let("bought", "c2"), "");
}

TEST_P(OrderLinesTest, EventKindsHaveOtherNames) {
  // product_view is a view and add_to_cart a cart addition; page_view has
  // no product, and search is no kind that counts.
  EXPECT_EQ(let("seen", "c2"), "c1");
  EXPECT_EQ(let("in_cart", "c2"), "b1");
  // One cart addition (3) beats one view (1).
  EXPECT_EQ(let("fav", "c2"), "food");
}

INSTANTIATE_TEST_SUITE_P(Engines, OrderLinesTest, ::testing::ValuesIn(testing::kEngines));

// The checker's side: level names, the catalog and the event list.
struct CheckCase {
  const char* name;
  const char* expression;
  const char* code;
};

// The error codes reported, without the warnings for unused lets.
std::vector<std::string> errorsOf(const driver::Compilation& compilation) {
  std::vector<std::string> errors;
  for (const auto& code : testing::codesOf(compilation)) {
    if (code[0] == 'E') errors.push_back(code);
  }
  return errors;
}

class RecommendationCheckTest : public ::testing::TestWithParam<CheckCase> {};

TEST_P(RecommendationCheckTest, ReportsTheCode) {
  const CheckCase& c = GetParam();
  std::string script = std::string(kSchema) + "let x = " + c.expression + "\n";
  auto compilation = testing::checkText(script);
  std::vector<std::string> errors = errorsOf(*compilation);
  if (c.code[0] == '\0') {
    EXPECT_TRUE(errors.empty()) << testing::summarize(*compilation);
  } else {
    EXPECT_EQ(errors, std::vector<std::string>{c.code}) << testing::summarize(*compilation);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RecommendationCheckTest,
    ::testing::Values(
        CheckCase{"UnknownLevel", R"(favourite("dept", 30d))", "E0115"},
        CheckCase{"LevelNotLiteral", R"(favourite(customer.id, 30d))", "E0115"},
        CheckCase{"PopularUnknownLevel", R"(popular(30d, "aisle", "x"))", "E0115"},
        CheckCase{"DiverseUnknownLevel", R"(popular(30d).diverse(2, "aisle", 1))", "E0115"},
        CheckCase{"WindowNotDuration", R"(purchased(30))", "E0204"},
        CheckCase{"OtherEntityList", R"(bought_together(customer.lines, 3))", "E0204"},
        CheckCase{"FavouriteIsOptional", R"(favourite("department", 30d).size())", "E0203"},
        CheckCase{"KnownLevel", R"(favourite("category", 30d))", ""},
        CheckCase{"FallbackOfProducts", R"(fallback(viewed(7d), popular(7d)))", ""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RecommendationCheck, ViewedNeedsAnEventList) {
  const char* script = R"(
customer entity C key id { id: string  lines: list<L> }
entity L key id { id: string  product: P  at: timestamp }
catalog entity P key sku levels(department) { sku: string  department: string }
let seen = viewed(7d)
let bought = purchased(7d)
)";
  auto compilation = testing::checkText(script);
  EXPECT_EQ(errorsOf(*compilation), (std::vector<std::string>{"E0108"}))
      << testing::summarize(*compilation);
}

TEST(RecommendationCheck, PurchasedNeedsACatalog) {
  const char* script = R"(
customer entity C key id { id: string }
let bought = purchased(7d)
)";
  auto compilation = testing::checkText(script);
  EXPECT_EQ(errorsOf(*compilation), (std::vector<std::string>{"E0108"}))
      << testing::summarize(*compilation);
}

TEST(RecommendationCheck, ExpressionWithoutScriptNeedsOne) {
  driver::ExpressionInput input;
  input.text = "popular(30d).take(3)";
  driver::ExpressionCompilation result = driver::checkExpression(input);
  EXPECT_EQ(errorsOf(*result.compilation), (std::vector<std::string>{"E0108"}));
  auto diagnostics = result.compilation->diagnostics->sorted();
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].help,
            "check the expression in a script's scope, as `crm eval --script FILE` does");
}

}  // namespace
}  // namespace crm
