// Table-driven evaluation of expressions on every engine: values in the
// tagged JSON encoding, errors by category. These pin the run-time
// semantics that docs/language.md describes: overflow and division errors,
// error absorption by && and ||, exact decimals, empty aggregates, time.
#include <gtest/gtest.h>

#include "runtime/time.h"
#include "runtime/value_json.h"
#include "tests/support/engines.h"
#include "tests/support/evaluate.h"

namespace crm {
namespace {

using runtime::ErrorKind;

struct Case {
  const char* expression;
  // The tagged JSON of the value, or "error:" and the error's category name.
  const char* expected;
};

// 2018-03-01T15:00:00Z, the instant `now` reads in these cases.
constexpr int64_t kNow = 1519916400LL * 1000000;

const Case kCases[] = {
    // Integers: CEL's int64 rules.
    {"1 + 2 * 3", R"({"int":"7"})"},
    {"-7 / 2", R"({"int":"-3"})"},
    {"-7 % 3", R"({"int":"-1"})"},
    {"43 % -5", R"({"int":"3"})"},
    {"9223372036854775807 + 1", "error:overflow"},
    {"-9223372036854775808 - 1", "error:overflow"},
    {"-(-9223372036854775808)", "error:overflow"},
    {"4611686018427387904 * 2", "error:overflow"},
    {"-9223372036854775808 / -1", "error:overflow"},
    {"1 / 0", "error:division by zero"},
    {"1 % 0", "error:division by zero"},
    // String literals are in NFC, as loaded text is: a combining diaeresis
    // after "u" is the one code point "ü".
    {"\"Zu\\u0308rich\" == \"Z\u00fcrich\"", R"({"bool":true})"},
    {"size(\"Zu\\u0308rich\")", R"({"int":"6"})"},
    // Doubles: IEEE 754.
    {"1.0 / 0.0", R"({"double":"Infinity"})"},
    {"0.0 / 0.0 == 0.0 / 0.0", R"({"bool":false})"},
    {"-0.0 < 0.0", R"({"bool":false})"},
    {"0.1 + 0.2", R"({"double":0.30000000000000004})"},
    // Decimals are exact.
    {"decimal(\"0.1\") + 0.2", R"({"decimal":"0.3"})"},
    {"decimal(\"10.00\") == 10", R"({"bool":true})"},
    {"decimal(\"1.5\") * 3", R"({"decimal":"4.5"})"},
    {"decimal(\"1\") / 3", R"({"decimal":"0.333333333333333333"})"},
    {"decimal(\"2\") / 3", R"({"decimal":"0.666666666666666667"})"},
    {"decimal(\"1\") / 0", "error:division by zero"},
    {"decimal(\"100.00\") / 8", R"({"decimal":"12.5"})"},
    {"decimal(\"0.000000000000000001\") / 3",
     R"({"decimal":"0.000000000000000000333333333333333333"})"},
    {"decimal(\"-7\") / decimal(\"999999999999999999\")",
     R"({"decimal":"-0.00000000000000000700000000000000001"})"},
    {"decimal(\"123456789012345678\") / decimal(\"0.1\")", "error:overflow"},
    {"decimal(\"999999999999999999\") + 1", "error:overflow"},
    {"decimal(\"-12.50\") % 5", R"({"decimal":"-2.50"})"},
    // && and || absorb an error when the other side decides, in either order.
    {"false && 1 / 0 == 1", R"({"bool":false})"},
    {"1 / 0 == 1 && false", R"({"bool":false})"},
    {"true || 1 / 0 == 1", R"({"bool":true})"},
    {"1 / 0 == 1 || true", R"({"bool":true})"},
    {"true && 1 / 0 == 1", "error:division by zero"},
    {"1 / 0 == 1 || false", "error:division by zero"},
    {"1 / 0 == 1 ? 1 : 2", "error:division by zero"},
    {"true ? 1 : 1 / 0", R"({"int":"1"})"},
    // Equality across kinds is false, never an error.
    {"1 == 1.0", R"({"bool":true})"},
    {"[1, 2] == [1, 2]", R"({"bool":true})"},
    {"{'a': 1} == {'a': 1}", R"({"bool":true})"},
    {"'a' in ['b', 'a']", R"({"bool":true})"},
    {"3 not in [1, 2]", R"({"bool":true})"},
    {"[1, 2][2]", "error:index out of range"},
    {"{'a': 1}['b']", "error:no such key"},
    // Aggregates: empty sums are 0, empty avg/min/max are null.
    {"[1, 2, 3].sum(x, x)", R"({"int":"6"})"},
    {"[1, 2].filter(x, x > 5).sum(x, x)", R"({"int":"0"})"},
    {"[1, 2].filter(x, x > 5).count(x, true)", R"({"int":"0"})"},
    {"[1, 2].filter(x, x > 5).avg(x, x)", R"({"null":true})"},
    {"[1, 2].filter(x, x > 5).max(x, x)", R"({"null":true})"},
    {"[1, 2, 4].avg(x, x)", R"({"double":2.3333333333333335})"},
    // An int that a decimal body gives counts in the decimal average.
    {"[true, false].avg(b, b ? decimal(\"10\") : 4)", R"({"decimal":"7"})"},
    {"[decimal(\"1.10\"), decimal(\"2.20\")].sum(x, x)", R"({"decimal":"3.30"})"},
    {"[9223372036854775807, 1].sum(x, x)", "error:overflow"},
    {"[3, 1, 2].min(x, x)", R"({"int":"1"})"},
    {"['b', 'c', 'a'].max(x, x)", R"({"string":"c"})"},
    {"[1, 2, 3, 4].top(2, x, x % 3)", R"({"list":[{"int":"2"},{"int":"1"}]})"},
    {"[1, 2, 3].top(-1, x, x)", "error:invalid argument"},
    {"['a', 'bb', 'c'].latest(x, size(x))", R"({"string":"bb"})"},
    {"[1, 2, 3].map(x, x * 2)", R"({"list":[{"int":"2"},{"int":"4"},{"int":"6"}]})"},
    {"[1, 2, 3].map(x, x > 1, x * 10)", R"({"list":[{"int":"20"},{"int":"30"}]})"},
    {"[1, 2, 3].exists_one(x, x > 2)", R"({"bool":true})"},
    // all/exists: a deciding element wins over an error in another.
    {"[0, 1].all(x, 1 / x > 5)", R"({"bool":false})"},
    {"[0, 1].exists(x, 1 / x == 1)", R"({"bool":true})"},
    {"[0, 1].all(x, 1 / x == 1)", "error:division by zero"},
    {"[0, 1].map(x, 1 / x)", "error:division by zero"},
    // Strings.
    {"'Amélie'.size()", R"({"int":"6"})"},
    {"'a' + 'b' < 'b'", R"({"bool":true})"},
    // Time: `now` is 2018-03-01T15:00:00Z.
    {"timestamp('2018-02-28T15:00:00Z') within 1d", R"({"bool":true})"},
    {"timestamp('2018-02-28T14:59:59Z') within 1d", R"({"bool":false})"},
    {"timestamp('2018-03-01T15:00:01Z') within 1d", R"({"bool":false})"},
    {"date('2018-02-22') within 7d", R"({"bool":true})"},
    {"date('2018-02-21') within 7d", R"({"bool":false})"},
    {"now within -1d", "error:invalid argument"},
    {"days_since(timestamp('2018-02-27T16:00:00Z'))", R"({"int":"1"})"},
    {"now - timestamp('2018-03-01T14:00:00Z')", R"({"duration":"3600s"})"},
    {"date('2018-02-28') + 1d", R"({"date":"2018-03-01"})"},
    {"date('2018-02-28') + 1h", "error:invalid argument"},
    {"now + 1h", R"({"timestamp":"2018-03-01T16:00:00Z"})"},
    {"timestamp('9999-12-31T23:00:00Z') + 2h", "error:out of range"},
    {"now.getHours('America/New_York')", R"({"int":"10"})"},
    {"now.getHours('Mars/Olympus')", "error:invalid time zone"},
    // A zone name never opens a file: customer data could name a FIFO.
    {"now.getHours('/usr/share/zoneinfo/UTC')", "error:invalid time zone"},
    {"now.getHours('../zoneinfo/UTC')", "error:invalid time zone"},
    {"now.getHours('localtime')", "error:invalid time zone"},
    {"int('12a')", "error:invalid conversion"},
    // Optionals.
    {"[1].filter(x, x > 1).max(x, x) ?? 7", R"({"int":"7"})"},
};

class EvaluationTest : public ::testing::TestWithParam<std::tuple<Case, run::Engine>> {};

TEST_P(EvaluationTest, GivesTheDocumentedResult) {
  const auto& [c, engine] = GetParam();
  testing::Evaluation result = testing::evaluate(c.expression, engine, {}, {}, kNow);
  ASSERT_TRUE(result.checked) << c.expression << "\n" << result.diagnostics;
  std::string expected = c.expected;
  if (expected.rfind("error:", 0) == 0) {
    ASSERT_TRUE(result.value.isError())
        << c.expression << " gave " << runtime::encodeTagged(result.value);
    EXPECT_EQ(runtime::errorKindName(result.value.asError().kind), expected.substr(6))
        << c.expression << ": " << result.value.asError().message;
    return;
  }
  EXPECT_EQ(runtime::encodeTagged(result.value), expected) << c.expression;
}

INSTANTIATE_TEST_SUITE_P(Expressions, EvaluationTest,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::ValuesIn(testing::kEngines)));

TEST(Evaluation, BoundVariablesAreRead) {
  for (run::Engine engine : testing::kEngines) {
    testing::Evaluation result =
        testing::evaluate("x * 2 + size(ys)", engine, {{"x", "int"}, {"ys", "list(string)"}},
                          {{"x", runtime::Value::integer(20)},
                           {"ys", runtime::Value::list({runtime::Value::string("a"),
                                                        runtime::Value::string("b")})}});
    ASSERT_TRUE(result.checked) << result.diagnostics;
    EXPECT_EQ(runtime::encodeTagged(result.value), R"({"int":"42"})");
    EXPECT_EQ(result.type, "int");
  }
}

// Decimal arithmetic and comparison of run-time values, which the JIT does
// inline in 64 bits where it can and through the runtime otherwise. Both
// must keep the 18-digit limit exactly.
TEST(Evaluation, DecimalArithmeticKeepsTheDigitLimit) {
  using runtime::Decimal;
  struct DecimalCase {
    const char* expression;
    Decimal x;
    Decimal y;
    const char* expected;
  };
  const DecimalCase cases[] = {
      {"x + y", {125, 2}, {250, 2}, R"({"decimal":"3.75"})"},
      {"x - y", {100, 2}, {250, 2}, R"({"decimal":"-1.50"})"},
      {"x + y", {15, 1}, {225, 2}, R"({"decimal":"3.75"})"},
      {"x - y", {15, 1}, {225, 2}, R"({"decimal":"-0.75"})"},
      {"x + y", {999999999999999998, 0}, {1, 0}, R"({"decimal":"999999999999999999"})"},
      {"x + y", {999999999999999999, 0}, {1, 0}, "error:overflow"},
      {"x - y", {-999999999999999999, 0}, {1, 0}, "error:overflow"},
      {"x + y", {-999999999999999999, 2}, {999999999999999999, 2}, R"({"decimal":"0.00"})"},
      {"x + y", {1, 18}, {999999999999999999, 0}, "error:overflow"},
      {"(x + y) + (x - y)", {5, 1}, {25, 1}, R"({"decimal":"1.0"})"},
      // Products drop trailing zeros beyond the larger operand scale, also
      // when the product of the coefficients needs more than 64 bits.
      {"x * y", {15, 1}, {20, 1}, R"({"decimal":"3.0"})"},
      {"x * y", {-125, 2}, {8, 0}, R"({"decimal":"-10.00"})"},
      {"x * y", {0, 3}, {7, 1}, R"({"decimal":"0.000"})"},
      {"x * y", {10000000000, 9}, {10000000000, 9}, R"({"decimal":"100.000000000"})"},
      {"x * y", {999999999999999999, 0}, {2, 0}, "error:overflow"},
      {"x * y", {1, 20}, {1, 20}, "error:overflow"},
      // Comparisons scale the smaller scale up, in 64 bits when it fits.
      {"x < y", {150, 2}, {2, 0}, R"({"bool":true})"},
      {"x == y", {200, 2}, {2, 0}, R"({"bool":true})"},
      {"x == y", {-15, 1}, {-150, 2}, R"({"bool":true})"},
      {"x < y", {-15, 1}, {-150, 2}, R"({"bool":false})"},
      {"x >= y", {-16, 1}, {-150, 2}, R"({"bool":false})"},
      {"x > y", {1, 0}, {1, 30}, R"({"bool":true})"},
      {"x > y", {999999999999999999, 0}, {1, 18}, R"({"bool":true})"},
      {"x < y", {-999999999999999999, 0}, {-1, 18}, R"({"bool":true})"},
  };
  for (run::Engine engine : testing::kEngines) {
    for (const DecimalCase& c : cases) {
      SCOPED_TRACE(std::string(run::engineName(engine)) + ": " + c.expression);
      testing::Evaluation result = testing::evaluate(
          c.expression, engine, {{"x", "decimal"}, {"y", "decimal"}},
          {{"x", runtime::Value::decimal(c.x)}, {"y", runtime::Value::decimal(c.y)}});
      ASSERT_TRUE(result.checked) << result.diagnostics;
      std::string outcome = result.value.isError()
                                ? std::string("error:") +
                                      runtime::errorKindName(result.value.asError().kind)
                                : runtime::encodeTagged(result.value);
      EXPECT_EQ(outcome, c.expected);
    }
  }
}

}  // namespace
}  // namespace crm
