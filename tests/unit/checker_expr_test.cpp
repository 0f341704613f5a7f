// Types of expressions, and the errors of ill-typed ones, over a shared
// schema. Each case checks `let probe = EXPRESSION`.
#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

struct Probe {
  std::unique_ptr<driver::Compilation> compilation;
  std::string type;
};

Probe probe(const std::string& expression) {
  driver::CheckOptions options;
  options.allowed = {diag::Code::W0101};
  Probe result;
  result.compilation = checkText(std::string(kPrelude) + "let probe = " + expression + "\n", options);
  for (const auto& script : result.compilation->scripts) {
    for (const auto& decl : script->decls) {
      if (decl->kind == ast::DeclKind::Let && decl->name.text == "probe") {
        const auto* type = ast::as<ast::LetDecl>(*decl).value->type;
        result.type = ast::toString(type);
      }
    }
  }
  return result;
}

struct TypeCase {
  const char* expression;
  const char* type;
};

TEST(CheckerTypes, WellTypedExpressions) {
  const TypeCase cases[] = {
      {"1 + 2", "int"},
      {"1.5 + 2.0", "double"},
      {"0.0 / 0.0", "double"},
      {"\"a\" + \"b\"", "string"},
      {"[1, 2] + [3]", "list<int>"},
      {"{\"a\": 1}", "map<string, int>"},
      {"-9223372036854775808", "int"},
      {"customer.orders.sum(o, o.total)", "decimal"},
      {"customer.orders.sum(o, o.total) >= 500.00", "bool"},
      {"customer.orders.avg(o, o.total)", "decimal?"},
      {"[1, 2, 3].avg()", "double?"},
      {"[1, 2, 3].sum()", "int"},
      {"customer.orders.map(o, o.total).max()", "decimal?"},
      {"customer.orders.min(o, o.at)", "timestamp?"},
      {"customer.orders.latest(o, o.at)", "Order?"},
      {"customer.orders.top(3, o, o.total)", "list<Order>"},
      {"customer.orders.filter(o, o.at within 30d).count()", "int"},
      {"customer.orders.count(o, o.total > 10)", "int"},
      {"customer.orders.exists(o, o.lines.all(l, l.quantity > 0))", "bool"},
      {"customer.orders.map(o, o.at)", "list<timestamp>"},
      {"customer.orders.map(o, o.total > 1, o.at)", "list<timestamp>"},
      {"catalog.filter(p, p.on_promo)", "list<Product>"},
      {"customer.age ?? 0", "int"},
      {"customer.address?.city", "string?"},
      {"customer.address?.zip", "string?"},
      {"has(customer.age) && customer.age > 30", "bool"},
      {"!has(customer.age) || customer.age > 30", "bool"},
      {"customer.age != null ? customer.age + 1 : 0", "int"},
      {"has(customer.address) ? customer.address.city : \"\"", "string"},
      {"has(customer.address.zip)", "bool"},
      {"customer.tier == gold", "bool"},
      {"customer.tier == Tier.gold", "bool"},
      {"customer.tier in [Tier.gold, Tier.silver]", "bool"},
      {"\"email\" in customer.consent", "bool"},
      {"customer.tags[\"x\"]", "string"},
      {"customer.tags.x", "string"},
      {"\"x\" in customer.tags", "bool"},
      {"now - 30d", "timestamp"},
      {"now - customer.orders[0].at", "duration"},
      {"30d + now", "timestamp"},
      {"2026-01-01 + 1d", "date"},
      {"duration(\"1h\") + 2h", "duration"},
      {"size(customer.orders)", "int"},
      {"customer.orders.size()", "int"},
      {"int(\"42\")", "int"},
      {"decimal(\"1.50\") + 1", "decimal"},
      {"1 + decimal(\"2\")", "decimal"},
      {"customer.orders[0].total + 1.5", "decimal"},
      {"customer.orders[0].total * 2", "decimal"},
      {"customer.orders[0].total % 2", "decimal"},
      {"1 < 1.5", "bool"},
      {"1 == 1.0", "bool"},
      {"customer.age == null", "bool"},
      {"customer.age == 3", "bool"},
      {"days_since(customer.orders.max(o, o.at) ?? now) > 180", "bool"},
      {"date(\"2026-01-01\").year()", "int"},
      {"now.getDayOfWeek(\"Europe/Paris\")", "int"},
      {"now.date(\"Asia/Tokyo\")", "date"},
      {"customer.email?.size()", "int?"},
      {"\"ab\".startsWith(\"a\") && \"ab\".matches(\"^a\")", "bool"},
      {"customer.orders.map(o, o.lines).size()", "int"},
      {"[]", "list<null>"},
      {"customer.birth_date ?? 2000-01-01", "date"},
      {"customer.orders.filter(o, o.total >= 100).map(o, o.lines.size()).sum()", "int"},
      {"customer.score > 0.5 ? \"high\" : \"low\"", "string"},
      {"customer.age > 3 ? 1 : null", "<error>"},
  };
  for (const auto& c : cases) {
    Probe result = probe(c.expression);
    if (std::string(c.type) == "<error>") {
      EXPECT_TRUE(result.compilation->hasErrors()) << c.expression;
      continue;
    }
    EXPECT_FALSE(result.compilation->hasErrors()) << c.expression << "\n"
                                                   << summarize(*result.compilation);
    EXPECT_EQ(result.type, c.type) << c.expression;
  }
}

struct ErrorCase {
  const char* expression;
  const char* code;
  const char* messagePart;
};

TEST(CheckerTypes, IllTypedExpressionsReportTheRightCode) {
  const ErrorCase cases[] = {
      {"1 + 1.5", "E0202", "cannot apply `+` to `int` and `double`"},
      {"customer.score + customer.orders[0].total", "E0202", "`double` and `decimal`"},
      {"customer.score < customer.orders[0].total", "E0202", "cannot order `double` and `decimal`"},
      {"customer.age > 3", "E0203", "`customer.age` is optional (int?)"},
      {"customer.age + 1", "E0203", "in arithmetic"},
      {"customer.age in [1, 2]", "E0203", "with `in`"},
      {"customer.age not in [1, 2]", "E0203", "with `not in`"},
      {"customer.email.size()", "E0203", "receiver"},
      {"customer.address.city", "E0203", "field access"},
      {"days_since(customer.orders.max(o, o.at))", "E0203", "argument of `days_since`"},
      {"customer.nam", "E0104", "`Customer` has no field `nam`"},
      {"customer.ordrs", "E0104", "no field `ordrs`"},
      {"custmer", "E0102", "unknown name `custmer`"},
      {"ordrs", "E0102", "unknown name `ordrs`"},
      {"foo(1)", "E0107", "unknown function `foo`"},
      {"\"a\".lenght()", "E0107", "no method `lenght`"},
      {"days_since(\"x\")", "E0204", "days_since(string)"},
      {"[1, \"a\"]", "E0206", "list elements must share one type"},
      {"{\"a\": 1, \"b\": \"c\"}", "E0206", "map values"},
      {"customer.orders.filter(o, o.total)", "E0201", "condition of `filter` must be bool"},
      {"has(1)", "E0207", "`has` takes one field selection"},
      {"customer.orders.filter(1, true)", "E0207", "needs a variable"},
      {"1 < \"a\"", "E0202", "cannot order `int` and `string`"},
      {"\"a\" in \"abc\"", "E0202", "needs a list, set or map"},
      {"Tier.platinum", "E0112", "enum `Tier` has no value `platinum`"},
      {"9223372036854775808", "E0012", "out of the int range"},
      {"1 within 30d", "E0202", "timestamp or a date"},
      {"now within 3", "E0202", "duration"},
      {"customer.orders[\"a\"]", "E0205", "list index must be an int"},
      {"customer.score[0]", "E0205", "cannot be indexed"},
      {"!1", "E0202", "`!` needs a bool"},
      {"-\"a\"", "E0202", "`-` needs a number"},
      {"1 && true", "E0202", "`&&` needs bool operands"},
      {"true ? 1 : \"a\"", "E0201", "branches of `? :` have different types"},
      {"customer.score ?? 1.0", "E0202", "never empty"},
      {"\"a\" == 1", "E0202", "cannot compare `string` with `int`"},
      {"customer.score == null", "E0202", "cannot compare"},
      {"customer.orders.sum(o, o.at)", "E0201", "`sum` adds numbers"},
      {"customer.orders.top(\"3\", o, o.total)", "E0201", "count of `top` must be an int"},
      {"customer.orders.max(o, o.lines)", "E0201", "key of `max`"},
      {"1.0 % 2.0", "E0202", "cannot apply `%`"},
      {"winback", "E0102", "unknown name `winback`"},
  };
  for (const auto& c : cases) {
    Probe result = probe(c.expression);
    auto codes = codesOf(*result.compilation);
    ASSERT_FALSE(codes.empty()) << c.expression;
    EXPECT_EQ(codes[0], c.code) << c.expression << "\n" << summarize(*result.compilation);
    EXPECT_NE(summarize(*result.compilation).find(c.messagePart), std::string::npos)
        << c.expression << "\n" << summarize(*result.compilation);
  }
}

TEST(CheckerTypes, DecimalLiteralsBecomeExact) {
  Probe result = probe("customer.orders[0].total >= 500.00");
  ASSERT_FALSE(result.compilation->hasErrors());
  for (const auto& decl : result.compilation->scripts[0]->decls) {
    if (decl->name.text != "probe") continue;
    const auto& comparison = ast::as<ast::Binary>(*ast::as<ast::LetDecl>(*decl).value);
    const auto& literal = ast::as<ast::Literal>(*comparison.rhs);
    EXPECT_TRUE(literal.asDecimal);
    EXPECT_EQ(literal.text, "500.00");
    EXPECT_EQ(ast::toString(literal.type), "decimal");
  }
}

TEST(CheckerTypes, SuggestionsNameTheClosestCandidate) {
  struct Case {
    const char* expression;
    const char* help;
  };
  const Case cases[] = {
      {"ordrs.size()", "did you mean `customer.orders`?"},
      {"customer.ordrs", "did you mean `orders`?"},
      {"now.getDayOfWek()", "did you mean `getDayOfWeek`?"},
      {"Tier.gol", "did you mean `gold`?"},
      {"custome", "did you mean `customer`?"},
  };
  for (const auto& c : cases) {
    Probe result = probe(c.expression);
    auto diagnostics = result.compilation->diagnostics->sorted();
    ASSERT_FALSE(diagnostics.empty()) << c.expression;
    EXPECT_EQ(diagnostics[0].help, c.help) << c.expression;
  }
}

}  // namespace
}  // namespace crm::testing
