// Hostile input: each case must end in a clear diagnostic or succeed, never
// crash, hang or overflow the stack.
#include <gtest/gtest.h>

#include <random>

#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

std::string repeat(const std::string& text, size_t count) {
  std::string result;
  result.reserve(text.size() * count);
  for (size_t i = 0; i < count; ++i) result += text;
  return result;
}

TEST(Limits, EmptyFileIsValid) {
  auto compilation = checkText("");
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{});
}

TEST(Limits, OnlyCommentsIsValid) {
  auto compilation = checkText("// nothing here\n/* nor here */\n");
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{});
}

TEST(Limits, BinaryGarbageIsRejectedAsEncoding) {
  std::mt19937 random(42);
  std::string garbage(4096, '\0');
  for (auto& byte : garbage) byte = static_cast<char>(random() & 0xFF);
  auto compilation = checkText(garbage);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0002"});
}

TEST(Limits, PrintableGarbageGivesBoundedSyntaxErrors) {
  std::mt19937 random(7);
  std::string garbage;
  const std::string alphabet = "{}[]()<>=!?:;,.+-*/%&|\"'#@$ abc123\n";
  for (int i = 0; i < 20000; ++i) garbage += alphabet[random() % alphabet.size()];
  auto compilation = checkText(garbage);
  EXPECT_TRUE(compilation->hasErrors());
  EXPECT_LE(compilation->diagnostics->sorted().size(),
            diag::DiagnosticEngine::kDefaultErrorLimit + 1);
}

TEST(Limits, InvalidUtf8PointsAtTheByte) {
  auto compilation = checkText("segment s = true\n// caf\xC3\x28\n");
  auto diagnostics = compilation->diagnostics->sorted();
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].code, diag::Code::E0002);
  auto position = compilation->sources.file(0).lineColumn(diagnostics[0].range.begin);
  EXPECT_EQ(position.line, 2u);
  EXPECT_EQ(position.column, 7u);
  EXPECT_NE(diagnostics[0].message.find("0xC3"), std::string::npos);
}

TEST(Limits, OverlongAndSurrogateEncodingsAreInvalid) {
  for (const char* text : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    auto compilation = checkText(std::string("// ") + text);
    EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0002"}) << text;
  }
}

TEST(Limits, TenMegabyteScriptIsRejectedBySize) {
  std::string script = repeat("// padding line for the size limit test ..............\n",
                              10u * 1024 * 1024 / 56 + 1);
  ASSERT_GT(script.size(), 10u * 1000 * 1000);
  auto compilation = checkText(script);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0003"});
}

TEST(Limits, TenThousandNestedParenthesesAreRejected) {
  auto compilation = checkText("segment s = " + repeat("(", 10000) + "true" + repeat(")", 10000));
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0004"});
}

TEST(Limits, TenThousandNestedListsAreRejected) {
  auto compilation = checkText("let s = " + repeat("[", 10000) + repeat("]", 10000));
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0004"});
}

TEST(Limits, TenThousandPrefixOperatorsAreRejected) {
  auto compilation = checkText("segment s = " + repeat("!", 10000) + "true");
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0004"});
}

TEST(Limits, DeepNestingUnderTheLimitSucceeds) {
  driver::CheckOptions options;
  options.allowed = {diag::Code::W0101};
  auto compilation =
      checkText("segment s = " + repeat("(", 250) + "true" + repeat(")", 250), options);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{});
}

TEST(Limits, LongConditionalChainSucceeds) {
  driver::CheckOptions options;
  options.allowed = {diag::Code::W0101};
  auto compilation =
      checkText("let x = " + repeat("now > now - 1d ? 1 : ", 3000) + "0", options);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{}) << summarize(*compilation);
}

TEST(Limits, LongOperatorChainUnderTheLimitSucceeds) {
  driver::CheckOptions options;
  options.allowed = {diag::Code::W0101};
  auto compilation = checkText("let x = 1" + repeat(" + 1", 9000), options);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{});
}

TEST(Limits, TooManyOperatorsInOneDeclarationAreRejected) {
  auto compilation = checkText("let x = 1" + repeat(" + 1", 20000));
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0006"});
}

TEST(Limits, HundredThousandDeclarationsSucceed) {
  std::string script;
  for (int i = 0; i < 100000; ++i) {
    script += "segment s" + std::to_string(i) + " = true\n";
  }
  driver::CheckOptions options;
  options.allowed = {diag::Code::W0101};
  auto compilation = checkText(script, options);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{});
}

TEST(Limits, MoreDeclarationsThanTheLimitAreRejected) {
  driver::CheckOptions options;
  options.limits.maxDeclarations = 10;
  auto compilation = checkText(repeat("segment s = true\n", 11), options);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0007"});
}

TEST(Limits, ErrorCountIsCapped) {
  std::string script;
  for (int i = 0; i < 500; ++i) {
    script += "segment s" + std::to_string(i) + " = unknown" + std::to_string(i) + "\n";
  }
  auto compilation = checkText(script);
  auto codes = codesOf(*compilation);
  size_t errors = 0;
  for (const auto& code : codes) errors += code[0] == 'E' ? 1 : 0;
  EXPECT_EQ(errors, diag::DiagnosticEngine::kDefaultErrorLimit + 1);
  EXPECT_EQ(codes.back(), "E0005");
}

}  // namespace
}  // namespace crm::testing

namespace crm::testing {
namespace {

// Role words inside an expression once reset the operator count, which let
// a long declaration through and counted each use as a declaration.
TEST(Limits, RoleWordsInExpressionsDoNotStartDeclarations) {
  std::string terms;
  for (int i = 0; i < 5001; ++i) {
    terms += (i ? " || " : "") + std::string("customer.orders.size() == ") + std::to_string(i);
  }
  auto compilation = checkText(std::string(kPrelude) + "segment listed = " + terms + "\n");
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0006"});

  driver::CheckOptions options;
  options.limits.maxDeclarations = 30;
  options.allowed = {diag::Code::W0101};
  std::string uses = "segment s = customer.age == null";
  for (int i = 0; i < 40; ++i) uses += " || customer.email == null";
  auto many = checkText(std::string(kPrelude) + uses + "\n", options);
  EXPECT_EQ(codesOf(*many), std::vector<std::string>{}) << summarize(*many);
}

TEST(Limits, OutOfRangeLiteralIsReportedOnce) {
  driver::CheckOptions options;
  options.allowed = {diag::Code::W0101};
  auto compilation = checkText("let m = 99999999999999999999", options);
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0012"});
  EXPECT_EQ(compilation->diagnostics->errorCount(), 1u);
}

}  // namespace
}  // namespace crm::testing

namespace crm::testing {
namespace {

const size_t kMaxString = parse::Limits{}.maxStringBytes;

// One script whose only literal is `literal`, written as given.
std::string scriptWithString(const std::string& literal) {
  return std::string(kPrelude) + "let note = " + literal + "\nsegment noted = note != \"\"\n" +
         "channel web { reachable: true }\ncampaign c { audience: noted  channels: web }\n";
}

TEST(Limits, StringOfTheMaximumLengthIsValid) {
  auto compilation = checkText(scriptWithString("\"" + std::string(kMaxString, 'a') + "\""));
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{}) << summarize(*compilation);
}

TEST(Limits, LongStringRejectedAtQuote) {
  std::string script = scriptWithString("\"" + std::string(kMaxString + 1, 'a') + "\"");
  auto compilation = checkText(script);
  ASSERT_EQ(codesOf(*compilation), std::vector<std::string>{"E0008"}) << summarize(*compilation);
  diag::Diagnostic diagnostic = compilation->diagnostics->sorted()[0];
  EXPECT_EQ(diagnostic.message, "string is longer than 1048576 bytes (1048577 bytes)");
  size_t quote = script.find("let note = ") + 11;
  EXPECT_EQ(diagnostic.range.begin, quote);
  EXPECT_EQ(diagnostic.range.end, quote + 1);
}

TEST(Limits, EveryQuotingHasTheStringLimit) {
  for (const char* open : {"\"\"\"", "r\"\"\"", "'''", "r'"}) {
    std::string quote = std::string(open).substr(open[0] == 'r' ? 1 : 0);
    std::string script = scriptWithString(open + std::string(kMaxString + 1, 'b') + quote);
    auto compilation = checkText(script);
    ASSERT_EQ(codesOf(*compilation), std::vector<std::string>{"E0008"}) << open;
    diag::Diagnostic diagnostic = compilation->diagnostics->sorted()[0];
    size_t start = script.find("let note = ") + 11;
    EXPECT_EQ(diagnostic.range.begin, start) << open;
    EXPECT_EQ(diagnostic.range.end, start + std::string(open).size()) << open;
  }
}

// The limit is on the value: escapes count as the bytes they stand for.
TEST(Limits, StringLengthCountsDecodedBytes) {
  // 400,000 escapes of four bytes each: 1.6 MB of text, 400,000 bytes of value.
  auto shorter = checkText(scriptWithString("\"" + repeat("\\x41", 400000) + "\""));
  EXPECT_EQ(codesOf(*shorter), std::vector<std::string>{}) << summarize(*shorter);
  // 350,000 two-byte characters written as \u00e9: 700,000 bytes of value.
  auto accents = checkText(scriptWithString("\"" + repeat("\\u00e9", 350000) + "\""));
  EXPECT_EQ(codesOf(*accents), std::vector<std::string>{}) << summarize(*accents);
  // 600,000 of them: 1,200,000 bytes of value.
  auto longer = checkText(scriptWithString("\"" + repeat("\\u00e9", 600000) + "\""));
  ASSERT_EQ(codesOf(*longer), std::vector<std::string>{"E0008"});
  EXPECT_EQ(longer->diagnostics->sorted()[0].message,
            "string is longer than 1048576 bytes (1200000 bytes)");
}

}  // namespace
}  // namespace crm::testing
