// `crm run` end to end through the library: a small script and CSV files
// written by the test, with decisions worked out by hand. Covers channel
// fallback, ranking by priority, offers, triggers with `after` and
// `unless`, run-time errors per customer, --max-errors, thread counts and
// both output formats, on every engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "run/arbitrate.h"
#include "run/prepare.h"
#include "run/run.h"
#include "runtime/time.h"
#include "tests/support/engines.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

namespace fs = std::filesystem;

const char* const kScript = R"(
customer entity Customer key id {
  id: string
  email: string?
  phone: string?
  orders: list<Order>
}
entity Order key order_id {
  order_id: string
  customer_id: string
  product: Product
  amount: decimal
  at: timestamp
}
catalog entity Product key sku levels(department) {
  sku: string
  department: string
}
source customers: Customer from csv("customers.csv") { null_values: [""]  columns { id  email  phone } }
source orders: Order from csv("orders.csv") {
  parent: customer_id
  columns { order_id  customer_id  sku -> product  amount  at }
}
source products: Product from csv("products.csv") { columns { sku  department } }

channel email { reachable: has(customer.email) }
channel sms { reachable: has(customer.phone) }
channel web { reachable: true }

let spend = customer.orders.sum(o, o.amount)
segment buyer = customer.orders.size() > 0
segment big = spend >= 100
// Reading the department of a product missing from the catalog is an error.
segment bought_toys = customer.orders.exists(o, o.product.department == "toys")
// Comparing references compares keys, even for a product the catalog lacks.
segment same_product = customer.orders.exists(o, o.product == o.product)

recommend recent(k: int = 2): list<Product> =
  customer.orders.top(k, o, o.at).map(o, o.product)

recommend nothing(): list<Product> = catalog.filter(p, p.department == "none")

trigger recent_order on orders(amount > 0) as o
  when o.at within 7d
  after 1d
  unless orders() within 2d

campaign big_spender { audience: big  channels: email, sms  priority: 10  offer: recent()  expected_value: spend * 0.1 }
campaign any_buyer { audience: buyer  channels: sms, web  priority: 20 }
campaign toys { audience: bought_toys  channels: web  priority: 5 }
campaign followup { audience: true  trigger: recent_order  channels: web  priority: 1 }
campaign empty_offer { audience: big  channels: web  offer: nothing()  priority: 3 }

// Without `after`, an order is due at its own time, so one dated after the
// run's instant does not fire.
trigger any_order on orders() as o
campaign ordered { audience: true  trigger: any_order  channels: web  priority: 0 }
)";

class RunTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_run_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
    write("customers.csv", "id,email,phone\nc1,c1@example.test,\nc2,,555\nc3,,\nc4,c4@example.test,\n");
    write("orders.csv",
          "order_id,customer_id,sku,amount,at\n"
          "o1,c1,p1,150.00,2024-06-01T10:00:00Z\n"
          "o2,c1,p2,20.00,2024-06-08T09:00:00Z\n"
          "o3,c2,p1,30.00,2024-06-09T20:00:00Z\n"
          "o4,c3,p9,40.00,2024-06-05T00:00:00Z\n"
          "o5,c3,p1,10.00,2024-06-06T00:00:00Z\n"
          "o6,c4,p1,5.00,2024-06-20T00:00:00Z\n");
    write("products.csv", "sku,department\np1,food\np2,toys\n");
    write("script.crm", kScript);
    prepared_ = run::prepareScript((dir_ / "script.crm").string(), load::LoadOptions{});
    ASSERT_TRUE(prepared_.ok()) << testing::summarize(*prepared_.compilation);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  run::RunResult runAt(unsigned threads, std::optional<size_t> maxErrors = std::nullopt) {
    run::RunOptions options;
    options.engine = GetParam();
    options.asOf = asOf_;
    options.threads = threads;
    options.maxErrors = maxErrors;
    return run::runProgram(*prepared_.program, *prepared_.store, options);
  }

  std::string jsonl(const run::RunResult& result) {
    return run::formatDecisions(run::OutputFormat::Jsonl, *prepared_.program, *prepared_.store,
                                result, asOf_);
  }

  fs::path dir_;
  run::Prepared prepared_;
  int64_t asOf_ = *runtime::parseTimestamp("2024-06-10T12:00:00Z");
};

TEST_P(RunTest, DecisionsFollowChannelsPrioritiesOffersAndTriggers) {
  run::RunResult result = runAt(1);
  const char* const expected =
      // c1: sms is unreachable, so any_buyer falls back to web; big_spender
      // goes by e-mail with the two latest products; o2 is a day and more
      // old with no later order, so the follow-up fires.
      R"({"customer":"c1","campaign":"any_buyer","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":20,"rank":1,"as_of":"2024-06-10T12:00:00Z"})" "\n"
      R"({"customer":"c1","campaign":"big_spender","status":"send","channel":"email","send_at":"2024-06-10T12:00:00Z","offer":["p2","p1"],"priority":10,"expected_value":"17.00","rank":2,"as_of":"2024-06-10T12:00:00Z"})" "\n"
      R"({"customer":"c1","campaign":"toys","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":5,"rank":3,"as_of":"2024-06-10T12:00:00Z"})" "\n"
      R"({"customer":"c1","campaign":"followup","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":1,"rank":4,"events":["o2"],"as_of":"2024-06-10T12:00:00Z"})" "\n"
      R"({"customer":"c1","campaign":"ordered","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":0,"rank":5,"events":["o1","o2"],"as_of":"2024-06-10T12:00:00Z"})" "\n"
      R"({"customer":"c1","campaign":"empty_offer","status":"dropped","offer":[],"priority":3,"reason":"no offer","as_of":"2024-06-10T12:00:00Z"})" "\n"
      // c2: o3 is 16 hours old, so the follow-up is not due yet.
      R"({"customer":"c2","campaign":"any_buyer","status":"send","channel":"sms","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":20,"rank":1,"as_of":"2024-06-10T12:00:00Z"})" "\n"
      R"({"customer":"c2","campaign":"ordered","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":0,"rank":2,"events":["o3"],"as_of":"2024-06-10T12:00:00Z"})" "\n"
      // c3: o4 names product p9, which the catalog lacks. The follow-up
      // fires for o5 only: o5 came a day after o4, inside o4's `unless`
      // window.
      R"({"customer":"c3","campaign":"any_buyer","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":20,"rank":1,"as_of":"2024-06-10T12:00:00Z"})" "\n"
      R"({"customer":"c3","campaign":"followup","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":1,"rank":2,"events":["o5"],"as_of":"2024-06-10T12:00:00Z"})" "\n"
      R"({"customer":"c3","campaign":"ordered","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":0,"rank":3,"events":["o4","o5"],"as_of":"2024-06-10T12:00:00Z"})" "\n"
      // c4: its only order is dated after the run, so it is a buyer but
      // neither trigger fires.
      R"({"customer":"c4","campaign":"any_buyer","status":"send","channel":"web","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":20,"rank":1,"as_of":"2024-06-10T12:00:00Z"})" "\n";
  std::string actual = jsonl(result);
  // c3's toys line carries the error message; compare it on its own.
  std::string errorLine;
  std::string rest;
  std::istringstream lines(actual);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(R"("customer":"c3","campaign":"toys")") != std::string::npos) {
      errorLine = line;
    } else {
      rest += line + "\n";
    }
  }
  EXPECT_EQ(rest, expected);
  EXPECT_NE(errorLine.find(R"("status":"dropped")"), std::string::npos) << errorLine;
  EXPECT_NE(errorLine.find(R"("reason":"error: Order o4: `product` names Product 'p9', which has no row")"),
            std::string::npos)
      << errorLine;

  EXPECT_EQ(result.customers, 4u);
  // Segments in declaration order: buyer, big, bought_toys, same_product.
  EXPECT_EQ(result.segmentMembers, (std::vector<size_t>{4, 1, 1, 4}));
  // The campaign reads the segment's error again: it is counted once,
  // against the segment.
  EXPECT_EQ(result.errorCount, 1u);
  EXPECT_EQ(result.errorsByRule, (std::map<std::string, size_t>{{"bought_toys", 1}}));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].rule, "bought_toys");
  EXPECT_FALSE(result.stopped);
}

TEST_P(RunTest, ResultsAreTheSameWhateverTheThreadCount) {
  std::string one = jsonl(runAt(1));
  EXPECT_EQ(jsonl(runAt(2)), one);
  EXPECT_EQ(jsonl(runAt(3)), one);
  EXPECT_EQ(jsonl(runAt(8)), one);
}

TEST_P(RunTest, MaxErrorsStopsTheRun) {
  EXPECT_TRUE(runAt(1, 0).stopped);
  EXPECT_FALSE(runAt(1, 1).stopped);
}

TEST_P(RunTest, CsvOutputHasAHeaderAndQuotesWhereNeeded) {
  run::RunResult result = runAt(2);
  std::string csv = run::formatDecisions(run::OutputFormat::Csv, *prepared_.program,
                                         *prepared_.store, result, asOf_);
  std::istringstream lines(csv);
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header,
            "customer,campaign,status,channel,send_at,offer,priority,expected_value,rank,reason,rule,"
            "winner,events,as_of");
  std::string first;
  std::getline(lines, first);
  EXPECT_EQ(first, "c1,any_buyer,send,web,2024-06-10T12:00:00Z,[],20,,1,,,,,2024-06-10T12:00:00Z");
  std::string second;
  std::getline(lines, second);
  EXPECT_EQ(second,
            "c1,big_spender,send,email,2024-06-10T12:00:00Z,\"[\"\"p2\"\",\"\"p1\"\"]\",10,17.00,2,,,,,"
            "2024-06-10T12:00:00Z");
  // The reason of c3's dropped candidate contains a comma, so it is quoted.
  EXPECT_NE(csv.find("c3,toys,dropped,,,[],5,,,\"error: Order o4: `product` names Product 'p9', "
                     "which has no row\",,,,2024-06-10T12:00:00Z\n"),
            std::string::npos)
      << csv;
}

TEST_P(RunTest, DecisionFileIsWrittenAtomically) {
  run::RunResult result = runAt(1);
  std::string path = (dir_ / "decisions.jsonl").string();
  ASSERT_EQ(run::writeDecisions(path, run::OutputFormat::Jsonl, *prepared_.program,
                                *prepared_.store, result, asOf_),
            "");
  EXPECT_EQ(testing::readFile(path), jsonl(result));
  // No temporary file is left beside it.
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    files += entry.path().filename().string().rfind("decisions", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(files, 1u);
  // A folder in the way is an error that names the path.
  fs::create_directories(dir_ / "taken");
  std::string error = run::writeDecisions((dir_ / "taken").string(), run::OutputFormat::Jsonl,
                                          *prepared_.program, *prepared_.store, result, asOf_);
  EXPECT_NE(error.find("cannot write the decisions file"), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(Engines, RunTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

}  // namespace
}  // namespace crm

namespace crm {
namespace {

// Each let reads the one before it, so evaluation recurses once per let:
// deeper than a default thread stack allows.
TEST(RunDepth, LongChainsOfLetsEvaluateOnEveryEngine) {
  fs::path dir = fs::temp_directory_path() / ("crm_run_depth_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string script =
      "customer entity C key id { id: string }\n"
      "source cs: C from csv(\"c.csv\") { columns { id } }\n"
      "let l0 = 1\n";
  const int kLets = 25000;
  for (int i = 1; i < kLets; ++i) {
    script += "let l" + std::to_string(i) + " = l" + std::to_string(i - 1) + " + 1\n";
  }
  script += "segment deep = l" + std::to_string(kLets - 1) + " == " + std::to_string(kLets) + "\n";
  std::ofstream(dir / "chain.crm") << script;
  std::ofstream(dir / "c.csv") << "id\nc1\nc2\n";
  run::Prepared prepared = run::prepareScript((dir / "chain.crm").string(), load::LoadOptions{});
  ASSERT_TRUE(prepared.ok()) << testing::summarize(*prepared.compilation);
  for (run::Engine engine : testing::kEngines) {
    run::RunOptions options;
    options.engine = engine;
    options.threads = 2;
    run::RunResult result = run::runProgram(*prepared.program, *prepared.store, options);
    EXPECT_EQ(result.errorCount, 0u) << run::engineName(engine);
    EXPECT_EQ(result.segmentMembers, std::vector<size_t>{2}) << run::engineName(engine);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace crm

namespace crm {
namespace {

// `event` streams read the customer's list of the event entity.
TEST(RunEvents, EventTriggersReadCustomerList) {
  fs::path dir = fs::temp_directory_path() / ("crm_run_events_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "customers.csv") << "id\nc1\nc2\n";
  std::ofstream(dir / "views.csv") << "view_id,customer_id,page,at\n"
                                      "v1,c1,cart,2026-01-01T10:00:00Z\n"
                                      "v2,c2,home,2026-01-01T10:00:00Z\n";
  const std::string common =
      "event entity PageView key view_id { view_id: string  customer_id: string  page: string  "
      "at: timestamp }\n"
      "source customers_csv: Customer from csv(\"customers.csv\") { columns { id } }\n"
      "channel web { reachable: true }\n"
      "trigger viewed on event(page == \"cart\") as v after 1h\n"
      "campaign cart { audience: true  trigger: viewed  channels: web }\n";
  std::ofstream(dir / "with_list.crm")
      << "customer entity Customer key id { id: string  views: list<PageView> }\n" << common
      << "source views_csv: PageView from csv(\"views.csv\") { parent: customer_id }\n";
  std::ofstream(dir / "without_list.crm") << "customer entity Customer key id { id: string }\n"
                                          << common;

  run::Prepared prepared =
      run::prepareScript((dir / "with_list.crm").string(), load::LoadOptions{});
  ASSERT_TRUE(prepared.ok()) << testing::summarize(*prepared.compilation);
  EXPECT_TRUE(prepared.program->problems.empty());
  for (run::Engine engine : testing::kEngines) {
    run::RunOptions options;
    options.engine = engine;
    options.asOf = *runtime::parseTimestamp("2026-01-02T00:00:00Z");
    run::RunResult result = run::runProgram(*prepared.program, *prepared.store, options);
    ASSERT_EQ(result.decisions.size(), 1u) << run::engineName(engine);
    EXPECT_EQ(result.decisions[0].customer, 0u);
    EXPECT_EQ(result.decisions[0].channel, 0);
  }

  // Without the list the checker rejects the trigger with the field to
  // declare.
  run::Prepared missing = run::checkScript((dir / "without_list.crm").string());
  EXPECT_EQ(missing.program, nullptr);
  EXPECT_EQ(testing::codesOf(*missing.compilation), std::vector<std::string>{"E0307"})
      << testing::summarize(*missing.compilation);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace crm

TEST(ChunkedList, ElementsStayInPlaceAcrossChunks) {
  crm::run::internal::ChunkedList<std::string> list;
  std::vector<const std::string*> addresses;
  // Three chunks and part of a fourth, with strings too long to be stored
  // inside std::string, so that a moved element would show.
  for (size_t i = 0; i < 3500; ++i) {
    list.push_back("element number " + std::to_string(i) + " of the list");
    addresses.push_back(&list[i]);
  }
  ASSERT_EQ(list.size(), 3500u);
  for (size_t i : {0u, 1023u, 1024u, 2047u, 2048u, 3499u}) {
    EXPECT_EQ(list[i], "element number " + std::to_string(i) + " of the list");
  }
  for (size_t i = 0; i < addresses.size(); ++i) {
    ASSERT_EQ(addresses[i], &list[i]) << i;
  }
  const auto& constant = list;
  EXPECT_EQ(constant[2500], "element number 2500 of the list");
}
