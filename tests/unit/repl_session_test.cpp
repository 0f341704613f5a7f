// The session of `crm repl` through its library: values, summaries over
// customers, declarations, errors, commands and completion, on both
// engines, over a five-customer fixture.
#include "repl/session.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "repl/input.h"
#include "tests/support/engines.h"

namespace crm::repl {
namespace {

constexpr const char* kScript = R"(customer entity Customer key id {
  id: string
  age: int?
  city: string
  vip: bool
  orders: list<Order>
}

entity Order key order_id {
  order_id: string
  customer_id: string
  at: timestamp
  total: decimal
}

source customers: Customer from csv("customers.csv") {}
source orders: Order from csv("orders.csv") { parent: customer_id }

channel email { reachable: true }

let spend = customer.orders.sum(o, o.total)
segment adult = (customer.age ?? 0) >= 18

campaign hello {
  audience: adult
  channels: email
}
)";

constexpr const char* kCustomers =
    "id,age,city,vip\n"
    "c1,34,Paris,true\n"
    "c2,,Lyon,false\n"
    "c3,17,Paris,false\n"
    "c4,52,Nice,true\n"
    "c5,0,Lyon,false\n";

constexpr const char* kOrders =
    "order_id,customer_id,at,total\n"
    "o1,c1,2026-01-10T10:00:00Z,10.50\n"
    "o2,c1,2026-02-10T10:00:00Z,20.00\n"
    "o3,c3,2026-03-01T09:00:00Z,5.25\n"
    "o4,c4,2026-01-05T12:00:00Z,100.00\n"
    "o5,c4,2026-02-05T12:00:00Z,1.00\n"
    "o6,c4,2026-03-05T12:00:00Z,2.00\n";

struct Output {
  std::string out;
  std::string err;
};

class ReplSessionTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("crm_repl_session_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    write("shop.crm", kScript);
    write("customers.csv", kCustomers);
    write("orders.csv", kOrders);
    SessionOptions options;
    options.scriptPath = (dir_ / "shop.crm").string();
    options.asOf = 1780272000000000;  // 2026-06-01T00:00:00Z
    options.engine = GetParam();
    session_ = std::make_unique<Session>(std::move(options));
    std::ostringstream err;
    ASSERT_TRUE(session_->start(err)) << err.str();
    ASSERT_EQ(err.str(), "");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  Output input(const std::string& text) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_TRUE(session_->handle(text, out, err));
    return {out.str(), err.str()};
  }

  std::filesystem::path dir_;
  std::unique_ptr<Session> session_;
};

TEST_P(ReplSessionTest, ValueForSelectedCustomer) {
  EXPECT_EQ(input(":customer c1").out, "customer c1\n");
  EXPECT_EQ(input("spend").out, "30.50  : decimal\n");
  EXPECT_EQ(input("customer.age").out, "34  : int?\n");
  EXPECT_EQ(input(":customer c2").out, "customer c2\n");
  EXPECT_EQ(input("customer.age").out, "null  : int?\n");
  EXPECT_EQ(input("10 / (customer.age ?? 0)").out, "error: division by zero\n");
}

TEST_P(ReplSessionTest, UnknownCustomerKeyKeepsSelection) {
  input(":customer c4");
  Output result = input(":customer c9");
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "error: no Customer has the key 'c9'\n");
  ASSERT_TRUE(session_->customer().has_value());
  EXPECT_EQ(input("spend").out, "103.00  : decimal\n");
}

TEST_P(ReplSessionTest, ClearingSelectionSummarises) {
  input(":customer c1");
  EXPECT_NE(input(":customer").out.find("no customer selected"), std::string::npos);
  EXPECT_FALSE(session_->customer().has_value());
  EXPECT_EQ(input("adult").out, "5 customers  : bool\n  true    2\n  false   3\n  error   0\n");
}

TEST_P(ReplSessionTest, ExpressionWithoutCustomerIsOneValue) {
  EXPECT_EQ(input("1 + 2").out, "3  : int\n");
  EXPECT_EQ(input("[\"a, b\", \"c\"]").out, "[\"a, b\", \"c\"]  : list<string>\n");
  EXPECT_EQ(input("now").out, "timestamp(\"2026-06-01T00:00:00Z\")  : timestamp\n");
}

TEST_P(ReplSessionTest, BoolSummaryCountsTrueFalseAndErrors) {
  EXPECT_EQ(input("adult").out, "5 customers  : bool\n  true    2\n  false   3\n  error   0\n");
  EXPECT_EQ(input("100 / (customer.age ?? 0) > 3").out,
            "5 customers  : bool\n  true    1\n  false   2\n"
            "  error   2  (first: customer c2: division by zero)\n");
}

TEST_P(ReplSessionTest, NumberSummaryGivesCountSumMinMax) {
  EXPECT_EQ(input("customer.age").out,
            "5 customers  : int?\n  count   4\n  sum     103\n  min     0\n  max     52\n"
            "  null    1\n  error   0\n");
  EXPECT_EQ(input("spend").out,
            "5 customers  : decimal\n  count   5\n  sum     138.75\n  min     0\n"
            "  max     103.00\n  error   0\n");
  EXPECT_EQ(input("100 / (customer.age ?? 0)").out,
            "5 customers  : int\n  count   3\n  sum     8\n  min     1\n  max     5\n"
            "  error   2  (first: customer c2: division by zero)\n");
}

TEST_P(ReplSessionTest, OverflowingSumIsAnError) {
  Output result = input("customer.vip ? 9223372036854775807 : 1");
  EXPECT_NE(result.out.find("  sum     error: "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  max     9223372036854775807\n"), std::string::npos);
}

TEST_P(ReplSessionTest, OtherTypesListDistinctValues) {
  EXPECT_EQ(input("customer.city").out,
            "5 customers  : string\n  \"Paris\"  2\n  \"Lyon\"   2\n  \"Nice\"   1\n"
            "  error   0\n");
  Output many = input("customer.id + customer.city");
  EXPECT_NE(many.out.find("  \"c5Lyon\"   1\n"), std::string::npos) << many.out;
}

TEST_P(ReplSessionTest, DeclarationsAccumulate) {
  EXPECT_EQ(input("segment parisian = customer.city == \"Paris\"").out,
            "defined segment parisian\n");
  EXPECT_EQ(input("let paris_spend = parisian ? spend : 0.00").out,
            "defined let paris_spend  : decimal\n");
  EXPECT_EQ(input(":count parisian").out, "2 of 5 customers\n");
  EXPECT_EQ(input("// spend in Paris only\nlet paris_only = parisian").out,
            "defined let paris_only  : bool\n");
  EXPECT_EQ(input(":customer c1").out, "customer c1\n");
  EXPECT_EQ(input("paris_spend").out, "30.50  : decimal\n");
  ASSERT_EQ(session_->declarations().size(), 3u);
  EXPECT_EQ(session_->declarations()[0].name, "parisian");
  EXPECT_EQ(session_->declarations()[1].kind, "let");
}

TEST_P(ReplSessionTest, DeclarationReplacesEarlierOne) {
  input("segment parisian = customer.city == \"Paris\"");
  EXPECT_EQ(input("segment parisian = customer.city == \"Lyon\"").out,
            "replaced segment parisian\n");
  EXPECT_EQ(input(":count parisian").out, "2 of 5 customers\n");
  EXPECT_EQ(input(":count parisian && customer.age == null").out, "1 of 5 customers\n");
  EXPECT_EQ(session_->declarations().size(), 1u);
}

TEST_P(ReplSessionTest, ReplacementThatBreaksDependentIsRejected) {
  input("let limit = 18");
  input("segment grown = (customer.age ?? 0) >= limit");
  Output result = input("let limit = \"eighteen\"");
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("<session>:1:"), std::string::npos) << result.err;
  EXPECT_EQ(input(":count grown").out, "2 of 5 customers\n");
}

TEST_P(ReplSessionTest, RedeclaringScriptNameIsAnError) {
  Output result = input("segment adult = true");
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("error[E0101]: `adult` is declared twice"), std::string::npos)
      << result.err;
  EXPECT_TRUE(session_->declarations().empty());
}

TEST_P(ReplSessionTest, OtherDeclarationKindsAreRejected) {
  Output result = input("channel sms { reachable: true }");
  EXPECT_EQ(result.err,
            "error: a session takes `segment`, `let` and `recommend` declarations, not "
            "`channel`\nhelp: add it to the script, then run :reload\n");
  EXPECT_TRUE(session_->declarations().empty());
}

TEST_P(ReplSessionTest, ErrorWithCaretThenCorrectInput) {
  Output bad = input("customer.agee > 3");
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("<input>:1:10: error[E0104]: `Customer` has no field `agee`"),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("1 | customer.agee > 3\n  |          ^~~~"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("help: did you mean `age`?"), std::string::npos);
  EXPECT_EQ(input(":count adult").out, "2 of 5 customers\n");
}

TEST_P(ReplSessionTest, SyntaxErrorInDeclaration) {
  Output bad = input("segment s = customer.age >");
  EXPECT_NE(bad.err.find("<input>:1:"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("error[E0010]"), std::string::npos) << bad.err;
  EXPECT_TRUE(session_->declarations().empty());
  EXPECT_EQ(input("segment s = (customer.age ?? 0) > 50").out, "defined segment s\n");
}

TEST_P(ReplSessionTest, CountCountsMatchesAndErrors) {
  EXPECT_EQ(input(":count adult").out, "2 of 5 customers\n");
  EXPECT_EQ(input(":count customer.vip").out, "2 of 5 customers\n");
  EXPECT_EQ(input(":count spend > 5.00").out, "3 of 5 customers\n");
  EXPECT_EQ(input(":count 100 / (customer.age ?? 0) > 3").out,
            "1 of 5 customers\n2 errors (first: customer c2: division by zero)\n");
}

TEST_P(ReplSessionTest, CountRejectsNonBool) {
  Output result = input(":count spend");
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: :count takes a bool expression, and `spend` is decimal\n"
            "help: compare it, as in `spend > 0`\n");
}

TEST_P(ReplSessionTest, SampleListsCustomersWithFields) {
  EXPECT_EQ(input(":sample 5 adult").out,
            "id  age\nc1  34\nc4  52\n2 shown of 2 matching customers\n");
  EXPECT_EQ(input(":sample 1 customer.city == \"Lyon\" && !customer.vip").out,
            "id  city    vip\nc2  \"Lyon\"  false\n1 shown of 2 matching customers\n");
  EXPECT_EQ(input(":sample 2 spend > 5.00").out,
            "id  orders\nc1  2 rows\nc3  1 rows\n2 shown of 3 matching customers\n");
}

TEST_P(ReplSessionTest, SampleRejectsBadCount) {
  for (const char* bad : {":sample adult", ":sample 0 adult", ":sample 5", ":sample 5x adult",
                          ":sample 100000 adult"}) {
    Output result = input(bad);
    EXPECT_EQ(result.out, "") << bad;
    EXPECT_EQ(result.err,
              "error: :sample takes a count from 1 to 1000 and an expression, as in "
              "`:sample 5 EXPR`\n")
        << bad;
  }
}

TEST_P(ReplSessionTest, TypeDoesNotEvaluate) {
  EXPECT_EQ(input(":type spend").out, "decimal\n");
  EXPECT_EQ(input(":type customer.age").out, "int?\n");
  EXPECT_EQ(input(":type customer.orders").out, "list<Order>\n");
  EXPECT_EQ(input(":type 1 / 0").out, "int\n");
  EXPECT_NE(input(":type nope").err.find("error[E0102]"), std::string::npos);
}

TEST_P(ReplSessionTest, IrShowsLoweredProgram) {
  Output result = input(":ir customer.orders.size()");
  EXPECT_NE(result.out.find("builtin list_size : int\n  field index=4 : list<Order>\n"),
            std::string::npos)
      << result.out;
  bool jit = GetParam() == run::Engine::Jit;
  EXPECT_EQ(result.out.find("LLVM IR (-O0):\ndefine void @root") != std::string::npos, jit)
      << result.out;
}

TEST_P(ReplSessionTest, ExplainTracesOneCustomer) {
  Output adult = input(":explain c1 hello");
  EXPECT_EQ(adult.err, "");
  EXPECT_NE(adult.out.find("segments\n  adult: true\n"), std::string::npos) << adult.out;
  EXPECT_NE(adult.out.find("  decision hello: send via email"), std::string::npos) << adult.out;
  Output minor = input(":explain c3");
  EXPECT_NE(minor.out.find("  adult: false\n"), std::string::npos) << minor.out;
  EXPECT_NE(minor.out.find("campaign hello\n  audience hello: false\n"), std::string::npos)
      << minor.out;
}

TEST_P(ReplSessionTest, CommandErrorsKeepTheSessionGoing) {
  EXPECT_EQ(input(":nope").err, "error: unknown command `:nope`\nhelp: :help lists the commands\n");
  EXPECT_EQ(input(":count").err, "error: :count needs an argument: :count EXPR\n");
  EXPECT_EQ(input(":time maybe").err, "error: :time takes `on` or `off`, not `maybe`\n");
  EXPECT_EQ(input(":explain nobody").err, "error: no Customer has the key 'nobody'\n");
  EXPECT_EQ(input(":explain c1 goodbye").err, "error: no campaign is named `goodbye`\n");
  EXPECT_NE(input(":help").out.find(":sample N EXPR"), std::string::npos);
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_FALSE(session_->handle(":quit", out, err));
}

TEST_P(ReplSessionTest, TimePrintsElapsed) {
  input(":time on");
  Output timed = input(":count adult");
  EXPECT_EQ(timed.out.rfind("2 of 5 customers\ntime: ", 0), 0u) << timed.out;
  EXPECT_NE(timed.out.find("(check "), std::string::npos);
  input(":time off");
  EXPECT_EQ(input(":count adult").out, "2 of 5 customers\n");
}

TEST_P(ReplSessionTest, ReloadKeepsDeclarationsThatStillCheck) {
  input("segment parisian = customer.city == \"Paris\"");
  input("segment teen = (customer.age ?? 0) < 18 && customer.vip");
  input(":customer c3");
  write("shop.crm",
        std::string(kScript).replace(std::string(kScript).find("  vip: bool\n"), 12, ""));
  write("customers.csv", "id,age,city\nc3,17,Paris\nc6,40,Paris\n");
  write("orders.csv", "order_id,customer_id,at,total\no3,c3,2026-03-01T09:00:00Z,5.25\n");
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_TRUE(session_->handle(":reload", out, err));
  EXPECT_NE(out.str().find("reloaded "), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("dropped segment teen from the session"), std::string::npos)
      << err.str();
  ASSERT_EQ(session_->declarations().size(), 1u);
  EXPECT_EQ(input("customer.id").out, "\"c3\"  : string\n");
  input(":customer");
  EXPECT_EQ(input(":count parisian").out, "2 of 2 customers\n");
}

TEST_P(ReplSessionTest, FailedLoadKeepsTheSession) {
  input("segment parisian = customer.city == \"Paris\"");
  Output missing = input(":load " + (dir_ / "missing.crm").string());
  EXPECT_NE(missing.err.find("error[E0001]: cannot read"), std::string::npos) << missing.err;
  write("broken.crm", "segment s = nope\n");
  Output broken = input(":load " + (dir_ / "broken.crm").string());
  EXPECT_NE(broken.err.find("error[E0102]"), std::string::npos) << broken.err;
  EXPECT_EQ(input(":count parisian").out, "2 of 5 customers\n");
}

TEST_P(ReplSessionTest, ScriptChangedOnDiskIsIgnoredUntilReload) {
  write("shop.crm", "customer entity Other key k { k: string }\n");
  EXPECT_EQ(input(":count adult").out, "2 of 5 customers\n");
}

TEST_P(ReplSessionTest, InterruptStopsLoopOverCustomers) {
  std::atomic<bool> interrupt{true};
  session_->setInterruptFlag(&interrupt);
  Output result = input(":count adult");
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "interrupted after 0 customers\n");
  interrupt = false;
  EXPECT_EQ(input(":count adult").out, "2 of 5 customers\n");
}

TEST_P(ReplSessionTest, CompletesNamesFieldsAndBuiltins) {
  input("segment parisian = customer.city == \"Paris\"");
  size_t start = 99;
  EXPECT_EQ(session_->completions("customer.ag", 11, start),
            std::vector<std::string>{"customer.age"});
  EXPECT_EQ(start, 0u);
  EXPECT_EQ(session_->completions("1 + customer.", 13, start),
            (std::vector<std::string>{"customer.age", "customer.city", "customer.id",
                                      "customer.orders", "customer.vip"}));
  EXPECT_EQ(start, 4u);
  EXPECT_EQ(session_->completions("ad", 2, start), std::vector<std::string>{"adult"});
  EXPECT_EQ(session_->completions("pa", 2, start), std::vector<std::string>{"parisian"});
  EXPECT_EQ(session_->completions("he", 2, start), std::vector<std::string>{"hello"});
  EXPECT_EQ(session_->completions("em", 2, start), std::vector<std::string>{"email"});
  EXPECT_EQ(session_->completions("customer.city.startsW", 21, start),
            std::vector<std::string>{"customer.city.startsWith"});
  EXPECT_EQ(session_->completions(":co", 3, start), std::vector<std::string>{":count"});
  EXPECT_EQ(session_->completions(":count sp", 9, start), std::vector<std::string>{"spend"});
  EXPECT_EQ(start, 7u);
  EXPECT_TRUE(session_->completions("zz", 2, start).empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, ReplSessionTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

TEST(ReplSessionWithoutScriptTest, EvaluatesPlainExpressions) {
  for (run::Engine engine : testing::kEngines) {
    SessionOptions options;
    options.engine = engine;
    Session session(std::move(options));
    std::ostringstream err;
    ASSERT_TRUE(session.start(err)) << err.str();
    std::ostringstream out;
    session.handle("[1, 2, 3].map(x, x * x)", out, err);
    session.handle(":count true", out, err);
    EXPECT_EQ(out.str(), "[1, 4, 9]  : list<int>\n") << run::engineName(engine);
    EXPECT_EQ(err.str(),
              "error: :count needs customer data: start crm repl with a script that declares "
              "a customer entity and its source\n");
  }
}

struct InputCase {
  const char* name;
  const char* text;
  bool more;
};

class ReplInputTest : public ::testing::TestWithParam<InputCase> {};

TEST_P(ReplInputTest, NeedsMoreInput) {
  EXPECT_EQ(needsMoreInput(GetParam().text), GetParam().more) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReplInputTest,
    ::testing::Values(
        InputCase{"Complete", "1 + 2", false}, InputCase{"OpenParenthesis", "segment s = (a", true},
        InputCase{"OpenBracket", "[1,\n2", true}, InputCase{"OpenBrace", "{'a': 1", true},
        InputCase{"ClosedBrackets", "[1, (2)]", false}, InputCase{"TrailingOperator", "a &&", true},
        InputCase{"TrailingAssign", "let x =", true}, InputCase{"TrailingDot", "customer.", true},
        InputCase{"TrailingIn", "x in", true}, InputCase{"NameEndingInIn", "spend_in", false},
        InputCase{"BracketInString", "'(' + \"[\"", false},
        InputCase{"OperatorInComment", "1 // and +", false},
        InputCase{"OpenTripleQuote", "'''abc", true},
        InputCase{"OpenBlockComment", "1 /* note", true}, InputCase{"Command", ":count (a", false},
        InputCase{"Blank", "   ", false}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace crm::repl

namespace crm::cli {
namespace {

int runRepl(std::vector<std::string> arguments, std::string& err) {
  arguments.insert(arguments.begin(), {"crm", "repl"});
  std::vector<const char*> argv;
  for (const auto& argument : arguments)
    argv.push_back(argument.c_str());
  std::ostringstream out;
  std::ostringstream errors;
  int code = runCli(static_cast<int>(argv.size()), argv.data(), out, errors);
  err = errors.str();
  return code;
}

TEST(ReplCliTest, UsageErrorsExitTwo) {
  std::string err;
  EXPECT_EQ(runRepl({"--as-of", ""}, err), kUsageError);
  EXPECT_EQ(err, "crm: --as-of: '' is not an RFC 3339 timestamp such as 2026-12-01T09:00:00Z\n");
  EXPECT_EQ(runRepl({"--as-of", "yesterday"}, err), kUsageError);
  EXPECT_EQ(runRepl({"--engine", "fast"}, err), kUsageError);
  EXPECT_EQ(runRepl({"--source", "nopath"}, err), kUsageError);
  EXPECT_EQ(err, "crm: --source takes NAME=PATH, not 'nopath'\n");
}

TEST(ReplCliTest, InvalidScriptExitsOne) {
  std::string err;
  EXPECT_EQ(runRepl({"/nonexistent/shop.crm"}, err), kInvalidInput);
  EXPECT_NE(err.find("error[E0001]: cannot read `/nonexistent/shop.crm`"), std::string::npos)
      << err;
  std::string script = std::string(CRM_SOURCE_DIR) + "/examples/high_value/high_value.crm";
  EXPECT_EQ(runRepl({script, "--source", "nothing=x.csv"}, err), kInvalidInput);
  EXPECT_EQ(err, "crm: --source names `nothing`, which " + script + " does not declare\n");
}

}  // namespace
}  // namespace crm::cli
