// Expression mode: checking one expression on its own with declared
// variables, CEL's typing of mixed literals, `.5` literals, field names in
// backquotes, and the expressions of the CEL conformance files
// ($CRM_CONFORMANCE_DIR, or the default that conformanceDirectory() returns).
// The conformance test skips when the files are missing.
#include "compiler/driver/expression.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stdlib/signatures.h"
#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

namespace fs = std::filesystem;

driver::ExpressionCompilation checkExpr(const std::string& text,
                                        std::vector<driver::Declaration> declarations = {},
                                        std::optional<std::string> scriptPath = std::nullopt,
                                        const driver::CheckOptions& options = {}) {
  driver::ExpressionInput input;
  input.text = text;
  input.declarations = std::move(declarations);
  input.scriptPath = std::move(scriptPath);
  return driver::checkExpression(input, options);
}

std::string typeOf(const driver::ExpressionCompilation& result) {
  return ast::toString(result.type);
}

std::string messagesOf(const driver::ExpressionCompilation& result) {
  std::string text;
  for (const auto& diagnostic : result.compilation->diagnostics->sorted()) {
    text += diagnostic.message + "\n";
  }
  return text;
}

// A script file that lives as long as the test.
class TempScript {
 public:
  explicit TempScript(const std::string& text) {
    path_ = (fs::temp_directory_path() /
             ("crm_expression_" + std::to_string(::getpid()) + "_" +
              std::to_string(counter_++) + ".crm"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempScript() { fs::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

struct TypeCase {
  const char* expression;
  const char* type;
};

void expectTypes(const std::vector<TypeCase>& cases,
                 const std::vector<driver::Declaration>& declarations = {}) {
  for (const auto& c : cases) {
    auto result = checkExpr(c.expression, declarations);
    EXPECT_EQ(typeOf(result), c.type) << c.expression;
    EXPECT_TRUE(codesOf(*result.compilation).empty())
        << c.expression << "\n" << summarize(*result.compilation);
  }
}

TEST(ExpressionCheck, MixedLiteralsGetDyn) {
  expectTypes({
      {"[1, 'dos', 3]", "list<dyn>"},
      {"[1, 2.5]", "list<dyn>"},
      {"[[1], ['a']]", "list<list<dyn>>"},
      {"{'k': 'v', 1: 1}", "map<dyn, dyn>"},
      {"{0: 1, 2: 2, 5: true}", "map<int, dyn>"},
      {"{'map': {'k': 'v'}, 'list': [1]}", "map<string, dyn>"},
      {"{0: 1, 2: 2, 5: true}[5]", "dyn"},
      {"[1, 'dos'] + [2]", "list<dyn>"},
      {"[1] + ['a']", "list<dyn>"},
  });
}

TEST(ExpressionCheck, NullElementsMakeOptionals) {
  expectTypes({
      {"['1', null]", "list<string?>"},
      {"[null, 1]", "list<int?>"},
      {"[null]", "list<null>"},
      {"{'k': 1, 'j': null}", "map<string, int?>"},
      {"{true: null}[true]", "null"},
      {"[['a'], null]", "list<list<string>?>"},
  });
}

TEST(ExpressionCheck, EmptyLiteralsFitAnyCollection) {
  expectTypes({
      {"[]", "list<dyn>"},
      {"{}", "map<dyn, dyn>"},
      {"[[], [1]]", "list<list<int>>"},
      {"{'a': {}, 'b': {'x': 1}}", "map<string, map<string, int>>"},
      {"[] != [1]", "bool"},
      {"[1] == []", "bool"},
      {"{} == {'a': 1}", "bool"},
      {"[[]] != [[]]", "bool"},
      {"7 in {}", "bool"},
      {"7 in []", "bool"},
      {"[] + [3, 4]", "list<int>"},
      {"[1, 2] + []", "list<int>"},
      {"size([])", "int"},
      {"size({})", "int"},
  });
}

TEST(ExpressionCheck, EqualityLooksIntoCollections) {
  expectTypes({
      {"['1', '2', null] == ['1', '2', '3']", "bool"},
      {"[1, 'dos', 3] == [1, 2, 4]", "bool"},
      {"{'k': 1, 'j': 2} == {'k': 1, 'j': null}", "bool"},
      {"{'k': 'v', 1: 1} == {'k': 'v', 1: 'v1'}", "bool"},
      {"'elem' in [1, 'elem', 2]", "bool"},
      {"1 in [1, null]", "bool"},
  });
}

TEST(ExpressionCheck, DynOperandsArePermissive) {
  expectTypes(
      {
          {"x == 1", "bool"},
          {"'a' != x", "bool"},
          {"x < 2", "bool"},
          {"x >= 'a'", "bool"},
          {"x + 1", "dyn"},
          {"1.5 * x", "dyn"},
          {"-x", "dyn"},
          {"!x", "bool"},
          {"x && true", "bool"},
          {"x ? 1 : 2", "int"},
          {"true ? x : 1", "dyn"},
          {"x in [1, 2]", "bool"},
          {"1 in x", "bool"},
          {"x[0]", "dyn"},
          {"x['k']", "dyn"},
          {"[1, 2][x]", "int"},
          {"{'a': 1}[x]", "int"},
          {"x.f", "dyn"},
          {"x.f.g", "dyn"},
          {"has(x.f)", "bool"},
          {"size(x)", "int"},
          {"int(x)", "int"},
          {"abs(x)", "dyn"},
          {"x.startsWith('a')", "bool"},
          {"x.all(e, e > 0)", "bool"},
          {"x.map(e, e)", "list<dyn>"},
          {"x.filter(e, e)", "list<dyn>"},
          {"x.sum(e, e)", "dyn"},
          {"x.max(e, e)", "dyn"},
          {"l == x", "bool"},
          {"l + x", "dyn"},
      },
      {{"x", "dyn"}, {"l", "list(int)"}});
}

TEST(ExpressionCheck, DynCallKeepsOverloadOpen) {
  auto ambiguous = checkExpr("abs(x)", {{"x", "dyn"}});
  ASSERT_NE(ambiguous.expression, nullptr);
  EXPECT_EQ(ast::as<ast::Call>(*ambiguous.expression).signature, nullptr);
  auto single = checkExpr("x.startsWith('a')", {{"x", "dyn"}});
  ASSERT_NE(single.expression, nullptr);
  ASSERT_NE(ast::as<ast::Call>(*single.expression).signature, nullptr);
  EXPECT_EQ(ast::as<ast::Call>(*single.expression).signature->id, "string_starts_with");
}

TEST(ExpressionCheck, TypeErrorsRemainWithoutDyn) {
  struct ErrorCase {
    const char* expression;
    const char* code;
  };
  const ErrorCase cases[] = {
      {"1 == 'a'", "E0202"},
      {"1 + 'a'", "E0202"},
      {"1 + 1.5", "E0202"},
      {"true ? 1 : 'a'", "E0201"},
      {"{[1]: 2}", "E0208"},
      {"{null: 2}", "E0208"},
      {"{1: 2}.a", "E0104"},
      {"[1][true]", "E0205"},
      {"!1", "E0202"},
      {"1 in 'abc'", "E0202"},
  };
  for (const auto& c : cases) {
    auto result = checkExpr(c.expression);
    EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{c.code})
        << c.expression << "\n" << summarize(*result.compilation);
  }
}

TEST(ExpressionCheck, ScriptsKeepStrictLiterals) {
  for (const char* expression : {"[1, 'dos', 3]", "['1', null]", "{'k': 'v', 1: 1}",
                                 "{0: 1, 2: 2, 5: true}", "{'map': {'k': 'v'}, 'list': [1]}"}) {
    auto compilation = checkText(std::string("let v = ") + expression + "\n",
                                 {{}, {diag::Code::W0101}});
    EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0206"})
        << expression << "\n" << summarize(*compilation);
  }
}

TEST(ExpressionCheck, ScriptsCompareEmptyLiterals) {
  for (const char* expression : {"[] != [1]", "[1] == []", "{} == {'a': 1}", "7 in {}",
                                 "'a' in []", "size([] + [1]) == 1"}) {
    auto compilation = checkText(std::string("let v = ") + expression + "\n",
                                 {{}, {diag::Code::W0101}});
    EXPECT_TRUE(codesOf(*compilation).empty()) << expression << "\n" << summarize(*compilation);
  }
}

TEST(ExpressionCheck, ScriptsConcatenateOptionalElements) {
  auto compilation = checkText(std::string(kPrelude) +
                                   "let v = customer.orders.map(o, customer.age) + [1]\n",
                               {{}, {diag::Code::W0101}});
  EXPECT_TRUE(codesOf(*compilation).empty()) << summarize(*compilation);
  ASSERT_EQ(compilation->scripts.size(), 1u);
  const auto& decl = *compilation->scripts[0]->decls.back();
  ASSERT_EQ(decl.name.text, "v");
  EXPECT_EQ(ast::toString(ast::as<ast::LetDecl>(decl).value->type), "list<int?>");
}

TEST(ExpressionCheck, ScriptsRejectMixedConcatenation) {
  auto compilation = checkText("let v = [1] + ['a']\n", {{}, {diag::Code::W0101}});
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{"E0202"}) << summarize(*compilation);
  EXPECT_NE(summarize(*compilation).find("cannot concatenate `list<int>` and `list<string>`"),
            std::string::npos)
      << summarize(*compilation);
}

TEST(ExpressionCheck, DoubleWithoutLeadingDigit) {
  auto result = checkExpr(".99");
  EXPECT_EQ(typeOf(result), "double");
  ASSERT_NE(result.expression, nullptr);
  const auto& literal = ast::as<ast::Literal>(*result.expression);
  EXPECT_DOUBLE_EQ(literal.doubleValue, 0.99);
  EXPECT_EQ(literal.text, "0.99");

  auto negative = checkExpr("-.5e1");
  ASSERT_NE(negative.expression, nullptr);
  EXPECT_DOUBLE_EQ(ast::as<ast::Literal>(*negative.expression).doubleValue, -5.0);
  EXPECT_EQ(ast::as<ast::Literal>(*negative.expression).text, "-0.5e1");

  expectTypes({{".99 > 9.9e-1", "bool"}, {"[.5, 1.5]", "list<double>"}});
}

TEST(ExpressionCheck, DoubleWithoutLeadingDigitInScripts) {
  auto compilation = checkText(std::string(kPrelude) +
                                   "let v = customer.score > .5\n"
                                   "let w = customer.orders[0].total > .5\n",
                               {{}, {diag::Code::W0101}});
  EXPECT_TRUE(codesOf(*compilation).empty()) << summarize(*compilation);
  auto bad = checkText("let v = .5h\n", {{}, {diag::Code::W0101}});
  EXPECT_EQ(codesOf(*bad), std::vector<std::string>{"E0012"}) << summarize(*bad);
}

TEST(ExpressionCheck, BackquotedFieldNames) {
  const std::vector<driver::Declaration> declarations = {{"x", "map(string, int)"}};
  auto result = checkExpr("x.`content-type`", declarations);
  EXPECT_EQ(typeOf(result), "int") << summarize(*result.compilation);
  ASSERT_NE(result.expression, nullptr);
  ASSERT_EQ(result.expression->kind, ast::ExprKind::Select);
  EXPECT_EQ(ast::as<ast::Select>(*result.expression).field.text, "content-type");

  expectTypes(
      {
          {"has(x.`content-type`)", "bool"},
          {"x.`/api/v1` + x.`foo.txt` + x.`a b`", "int"},
          {"{'content-type': 'json'}.`content-type` == 'json'", "bool"},
          {"has({'foo.txt': 32}.`foo.txt`)", "bool"},
      },
      declarations);
}

TEST(ExpressionCheck, BackquotedFieldNameErrors) {
  for (const char* text : {"x.`content-type", "x.`a+b`", "x.``"}) {
    auto result = checkExpr(text, {{"x", "map(string, int)"}});
    ASSERT_FALSE(codesOf(*result.compilation).empty()) << text;
    EXPECT_EQ(codesOf(*result.compilation).front(), "E0011") << text;
    EXPECT_NE(messagesOf(result).find("invalid backquote in an expression"), std::string::npos)
        << messagesOf(result);
  }
}

TEST(ExpressionCheck, BackquotesInScripts) {
  auto compilation = checkText(std::string(kPrelude) +
                                   "let v = customer.tags.`x-y` == \"a\" && "
                                   "has(customer.tags.`x.y`)\n",
                               {{}, {diag::Code::W0101}});
  EXPECT_TRUE(codesOf(*compilation).empty()) << summarize(*compilation);
}

TEST(ExpressionCheck, MapFieldSelection) {
  expectTypes(
      {
          {"x.name", "int"},
          {"has(x.name)", "bool"},
          {"has({'a': 1, 'b': 2}.a)", "bool"},
          {"{}.a", "dyn"},
          {"has({}.a)", "bool"},
          {"d.name", "string"},
      },
      {{"x", "map(string, int)"}, {"d", "map(dyn, string)"}});
}

TEST(ExpressionCheck, DeclaredVariableBindsExternal) {
  auto result = checkExpr("x + 1", {{"x", "int"}});
  EXPECT_EQ(typeOf(result), "int");
  ASSERT_NE(result.expression, nullptr);
  const auto& sum = ast::as<ast::Binary>(*result.expression);
  ASSERT_EQ(sum.lhs->kind, ast::ExprKind::Ident);
  const auto& ident = ast::as<ast::Ident>(*sum.lhs);
  EXPECT_EQ(ident.binding, ast::Binding::External);
  EXPECT_EQ(ident.name, "x");
  ASSERT_EQ(result.variables.size(), 1u);
  EXPECT_EQ(result.variables[0].first, "x");
  EXPECT_EQ(ast::toString(result.variables[0].second), "int");
}

TEST(ExpressionCheck, LongestDeclaredPrefixWins) {
  auto both = checkExpr("a.b.c", {{"a.b.c", "string"}, {"a.b", "map(string, int)"}});
  EXPECT_EQ(typeOf(both), "string") << summarize(*both.compilation);
  ASSERT_NE(both.expression, nullptr);
  EXPECT_EQ(ast::as<ast::Select>(*both.expression).externalName, "a.b.c");

  auto prefix = checkExpr("a.b.c", {{"a.b", "map(string, int)"}});
  EXPECT_EQ(typeOf(prefix), "int") << summarize(*prefix.compilation);
  ASSERT_NE(prefix.expression, nullptr);
  const auto& outer = ast::as<ast::Select>(*prefix.expression);
  EXPECT_EQ(outer.externalName, "");
  EXPECT_EQ(outer.field.text, "c");
  ASSERT_EQ(outer.operand->kind, ast::ExprKind::Select);
  EXPECT_EQ(ast::as<ast::Select>(*outer.operand).externalName, "a.b");

  auto root = checkExpr("a.b.c", {{"a", "dyn"}, {"a.b", "map(string, bool)"}});
  EXPECT_EQ(typeOf(root), "bool") << summarize(*root.compilation);
}

TEST(ExpressionCheck, HasSelectsFieldOfDeclaredPrefix) {
  auto result = checkExpr("has(a.b.c)", {{"a.b", "map(string, int)"}, {"a.b.c", "int"}});
  EXPECT_EQ(typeOf(result), "bool") << summarize(*result.compilation);
  ASSERT_NE(result.expression, nullptr);
  const auto& select = ast::as<ast::Select>(*ast::as<ast::Call>(*result.expression).arguments[0]);
  EXPECT_EQ(select.externalName, "");
  EXPECT_EQ(ast::as<ast::Select>(*select.operand).externalName, "a.b");

  auto whole = checkExpr("has(a.b)", {{"a.b", "map(string, int)"}});
  EXPECT_EQ(codesOf(*whole.compilation), std::vector<std::string>{"E0102"});
  const auto diagnostics = whole.compilation->diagnostics->sorted();
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].help.find("`a.b` is a declared variable"), std::string::npos)
      << diagnostics[0].help;
}

TEST(ExpressionCheck, MacroVariableHidesExternal) {
  auto result = checkExpr("[1, 2].map(a, a + 1)", {{"a", "string"}});
  EXPECT_EQ(typeOf(result), "list<int>");
  EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"W0104"});

  auto dotted = checkExpr("[{'b': 1}].map(a, a.b)", {{"a.b", "string"}});
  EXPECT_EQ(typeOf(dotted), "list<int>") << summarize(*dotted.compilation);
}

TEST(ExpressionCheck, LiteralsAreNotShadowed) {
  auto result = checkExpr("[true, false, null]",
                          {{"true", "int"}, {"false", "string"}, {"null", "bool"}});
  EXPECT_EQ(typeOf(result), "list<bool?>");
  EXPECT_TRUE(codesOf(*result.compilation).empty()) << summarize(*result.compilation);
  EXPECT_EQ(result.variables.size(), 3u);
}

TEST(ExpressionCheck, CelTypeNames) {
  const TypeCase cases[] = {
      {"int", "int"},
      {"bool", "bool"},
      {"double", "double"},
      {"string", "string"},
      {"null_type", "null"},
      {"dyn", "dyn"},
      {"timestamp", "timestamp"},
      {"duration", "duration"},
      {"google.protobuf.Timestamp", "timestamp"},
      {"google.protobuf.Duration", "duration"},
      {"decimal", "decimal"},
      {"date", "date"},
      {"list(int)", "list<int>"},
      {"list( list( dyn ) )", "list<list<dyn>>"},
      {"map(string, int)", "map<string, int>"},
      {"map(dyn, list(string))", "map<dyn, list<string>>"},
      {"list<int>", "list<int>"},
      {"set(string)", "set<string>"},
  };
  for (const auto& c : cases) {
    auto result = checkExpr("v", {{"v", c.expression}});
    EXPECT_EQ(typeOf(result), c.type) << c.expression;
    ASSERT_EQ(result.variables.size(), 1u);
    EXPECT_EQ(ast::toString(result.variables[0].second), c.type) << c.expression;
    EXPECT_TRUE(codesOf(*result.compilation).empty())
        << c.expression << "\n" << summarize(*result.compilation);
  }
}

TEST(ExpressionCheck, MalformedTypeNames) {
  struct BadType {
    const char* type;
    const char* code;
    const char* message;
  };
  const BadType cases[] = {
      {"list(int", "E0208", "invalid type `list(int`: expected `)` or `,`"},
      {"list(int>", "E0208", "expected `)` or `,`"},
      {"list()", "E0208", "expected a type name, not `)`"},
      {"int)", "E0208", "unexpected `)` after the type"},
      {"", "E0208", "the type is missing"},
      {"map(int)", "E0208", "`map` takes 2 type arguments, not 1"},
      {"int(string)", "E0208", "`int` takes 0 type arguments, not 1"},
      {"map(list(int), int)", "E0208", "map keys must be"},
      {"lisst(int)", "E0103", "unknown type `lisst`"},
      {"uint", "E0103", "unknown type `uint`"},
      {"list(int)\n", "E0208", "unexpected byte 0x0A after the type"},
  };
  for (const auto& c : cases) {
    auto result = checkExpr("1", {{"v", c.type}});
    EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{c.code}) << c.type;
    EXPECT_NE(messagesOf(result).find(c.message), std::string::npos)
        << c.type << ": " << messagesOf(result);
    ASSERT_EQ(result.variables.size(), 1u);
    EXPECT_EQ(ast::toString(result.variables[0].second), "<error>") << c.type;
    const auto diagnostics = result.compilation->diagnostics->sorted();
    ASSERT_FALSE(diagnostics.empty());
    EXPECT_EQ(result.compilation->sources.file(diagnostics[0].range.file).path(),
              "<declarations>");
  }
}

TEST(ExpressionCheck, DeeplyNestedTypeName) {
  std::string type;
  for (int i = 0; i < 100; ++i) type += "list(";
  type += "int" + std::string(100, ')');
  auto result = checkExpr("1", {{"v", type}});
  EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"E0208"});
  EXPECT_NE(messagesOf(result).find("nested deeper than 64 levels"), std::string::npos);
}

TEST(ExpressionCheck, InvalidVariableNames) {
  for (const char* name : {"1x", "a..b", ".a", "a.", "", "a-b", "a b"}) {
    auto result = checkExpr("1", {{name, "int"}});
    EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"E0010"}) << name;
    EXPECT_TRUE(result.variables.empty()) << name;
  }
  auto twice = checkExpr("x", {{"x", "int"}, {"x", "string"}});
  EXPECT_EQ(codesOf(*twice.compilation), std::vector<std::string>{"E0101"});
  EXPECT_EQ(typeOf(twice), "int");
  EXPECT_EQ(twice.variables.size(), 1u);
}

TEST(ExpressionCheck, NoSchemaWithoutScript) {
  for (const char* name : {"customer", "catalog"}) {
    auto result = checkExpr(name);
    EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"E0102"}) << name;
    const auto diagnostics = result.compilation->diagnostics->sorted();
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_NE(diagnostics[0].help.find("checked with a script"), std::string::npos);
  }
  auto now = checkExpr("now - 1h");
  EXPECT_EQ(typeOf(now), "timestamp");
  EXPECT_TRUE(codesOf(*now.compilation).empty());
  auto declared = checkExpr("customer + 1", {{"customer", "int"}});
  EXPECT_EQ(typeOf(declared), "int") << summarize(*declared.compilation);
}

TEST(ExpressionCheck, SyntheticNamesGetNoWarnings) {
  auto result = checkExpr("1 == 1 && 'a' < 'b'", {{"unused", "int"}, {"a.b", "dyn"}});
  EXPECT_EQ(typeOf(result), "bool");
  EXPECT_TRUE(codesOf(*result.compilation).empty()) << summarize(*result.compilation);
  auto samePath = checkExpr("x.a == x.a", {{"x", "map(string, int)"}});
  EXPECT_EQ(codesOf(*samePath.compilation), std::vector<std::string>{"W0103"});
}

TEST(ExpressionCheck, ScriptScope) {
  TempScript script(std::string(kPrelude) +
                    "let adult_age = 18\n"
                    "let spare = 1\n"
                    "segment adult = (customer.age ?? 0) >= adult_age\n");
  auto result = checkExpr("adult && customer.tier == gold && catalog.size() > limit",
                          {{"limit", "int"}}, script.path());
  EXPECT_EQ(typeOf(result), "bool") << summarize(*result.compilation);
  // The script is checked as a root: its unused let is reported, and what
  // the expression uses counts as used.
  EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"W0101"});
  EXPECT_NE(messagesOf(result).find("let `spare` is never used"), std::string::npos);

  auto records = checkExpr("o.total > 10.5 && t == Tier.gold", {{"o", "Order"}, {"t", "Tier"}},
                           script.path(), {{}, {diag::Code::W0101}});
  EXPECT_EQ(typeOf(records), "bool") << summarize(*records.compilation);
  EXPECT_TRUE(codesOf(*records.compilation).empty()) << summarize(*records.compilation);
}

TEST(ExpressionCheck, ScriptKeepsStrictTyping) {
  TempScript script(std::string(kPrelude) + "let mixed = [1, 'a']\n");
  auto result = checkExpr("mixed.size() + [1, 'a'].size()", {}, script.path(),
                          {{}, {diag::Code::W0101}});
  EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"E0206"})
      << summarize(*result.compilation);
  const auto diagnostics = result.compilation->diagnostics->sorted();
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(result.compilation->sources.file(diagnostics[0].range.file).path(), script.path());
}

TEST(ExpressionCheck, VariableCollidesWithScript) {
  TempScript script(std::string(kPrelude) + "segment adult = (customer.age ?? 0) >= 18\n");
  auto result = checkExpr("adult", {{"adult", "int"}}, script.path(), {{}, {diag::Code::W0101}});
  EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"E0101"});
  EXPECT_NE(messagesOf(result).find("variable `adult` has the name of a segment"),
            std::string::npos);
}

TEST(ExpressionCheck, MissingScriptStopsCheck) {
  auto result = checkExpr("1 + 1", {}, std::string("/nonexistent/crm/script.crm"));
  EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"E0001"});
  ASSERT_NE(result.expression, nullptr);
  EXPECT_EQ(result.type, nullptr);
}

TEST(ExpressionCheck, SyntaxErrors) {
  auto result = checkExpr("1 +");
  EXPECT_EQ(codesOf(*result.compilation), std::vector<std::string>{"E0010"});
  EXPECT_EQ(result.expression, nullptr);
  EXPECT_EQ(result.type, nullptr);
  EXPECT_NE(messagesOf(result).find("unexpected end of the expression"), std::string::npos);
  const auto diagnostics = result.compilation->diagnostics->sorted();
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(result.compilation->sources.file(diagnostics[0].range.file).path(), "<expr>");

  auto declaration = checkExpr("let x = 1");
  EXPECT_EQ(codesOf(*declaration.compilation).front(), "E0010");
  EXPECT_EQ(declaration.expression, nullptr);

  auto two = checkExpr("1 2");
  EXPECT_EQ(codesOf(*two.compilation), std::vector<std::string>{"E0010"});

  for (const char* text : {"", "  ", "// a comment only"}) {
    auto empty = checkExpr(text);
    EXPECT_EQ(codesOf(*empty.compilation), std::vector<std::string>{"E0010"}) << text;
    EXPECT_NE(messagesOf(empty).find("the expression is empty"), std::string::npos)
        << messagesOf(empty);
    EXPECT_EQ(empty.expression, nullptr);
  }
}

TEST(ExpressionCheck, LimitsApply) {
  auto deep = checkExpr(std::string(300, '(') + "1" + std::string(300, ')'));
  EXPECT_EQ(codesOf(*deep.compilation), std::vector<std::string>{"E0004"});
  EXPECT_EQ(deep.expression, nullptr);

  driver::CheckOptions small;
  small.limits.maxOperatorsPerDeclaration = 10;
  std::string sum = "1";
  for (int i = 0; i < 20; ++i) sum += " + 1";
  // Declaration words inside an expression do not restart the count.
  sum += " + segment + 1";
  auto longSum = checkExpr(sum, {{"segment", "int"}}, std::nullopt, small);
  EXPECT_EQ(codesOf(*longSum.compilation), std::vector<std::string>{"E0006"});
  EXPECT_NE(messagesOf(longSum).find("expression has more than 10 operators"),
            std::string::npos);

  small.limits.maxFileBytes = 8;
  auto large = checkExpr("1 + 2 + 3 + 4", {}, std::nullopt, small);
  EXPECT_EQ(codesOf(*large.compilation), std::vector<std::string>{"E0003"});
  EXPECT_NE(messagesOf(large).find("expression is 13 bytes"), std::string::npos);

  auto encoding = checkExpr("'caf\xE9'");
  EXPECT_EQ(codesOf(*encoding.compilation), std::vector<std::string>{"E0002"});
  EXPECT_NE(messagesOf(encoding).find("expression is not valid UTF-8"), std::string::npos);
}

// ------------------------------------------------------------ conformance

fs::path conformanceDirectory() {
  if (const char* configured = std::getenv("CRM_CONFORMANCE_DIR")) return configured;
  return fs::path(CRM_SOURCE_DIR).parent_path() / "shared" / "conformance" / "cel";
}

// Whether a value of the conformance files' VALUE form fits `type`.
bool fits(const ast::Type* type, const nlohmann::json& value) {
  if (type->isDyn()) return true;
  const std::string kind = value.begin().key();
  const nlohmann::json& content = value.begin().value();
  if (kind == "null") return type->is(ast::TypeKind::Null) || type->isOptional();
  type = type->unwrapped();
  if (kind == "int") return type->is(ast::TypeKind::Int);
  if (kind == "double") return type->is(ast::TypeKind::Double);
  if (kind == "string") return type->is(ast::TypeKind::String);
  if (kind == "bool") return type->is(ast::TypeKind::Bool);
  if (kind == "timestamp") return type->is(ast::TypeKind::Timestamp);
  if (kind == "duration") return type->is(ast::TypeKind::Duration);
  if (kind == "list") {
    if (!type->is(ast::TypeKind::List)) return false;
    for (const auto& element : content) {
      if (!fits(type->element, element)) return false;
    }
    return true;
  }
  if (kind == "map") {
    if (!type->is(ast::TypeKind::Map)) return false;
    for (const auto& entry : content) {
      if (!fits(type->element, entry[0]) || !fits(type->value, entry[1])) return false;
    }
    return true;
  }
  return false;
}

TEST(ExpressionCheck, ConformanceExpressionsCheck) {
  fs::path directory = conformanceDirectory() / "handed";
  if (!fs::is_directory(directory)) {
    GTEST_SKIP() << "the CEL conformance files are missing: " << directory.string()
                 << " is not a folder; set CRM_CONFORMANCE_DIR to the folder that holds "
                    "handed/";
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
  }
  ASSERT_FALSE(files.empty()) << "no .jsonl file in " << directory.string();
  size_t cases = 0;
  for (const auto& file : files) {
    std::ifstream stream(file);
    std::string line;
    while (std::getline(stream, line)) {
      auto record = nlohmann::json::parse(line);
      std::string label = record["file"].get<std::string>() + "/" +
                          record["section"].get<std::string>() + "/" +
                          record["name"].get<std::string>() + ": " +
                          record["expr"].get<std::string>();
      std::vector<driver::Declaration> declarations;
      for (const auto& declaration : record["type_env"]) {
        declarations.push_back(
            {declaration["name"].get<std::string>(), declaration["type"].get<std::string>()});
      }
      auto result = checkExpr(record["expr"].get<std::string>(), declarations);
      ++cases;
      EXPECT_TRUE(codesOf(*result.compilation).empty())
          << label << "\n" << summarize(*result.compilation);
      ASSERT_NE(result.type, nullptr) << label;
      const auto& expect = record["expect"];
      if (expect.contains("value")) {
        EXPECT_TRUE(fits(result.type, expect["value"]))
            << label << ": type " << ast::toString(result.type) << " does not fit "
            << expect["value"].dump();
      }
    }
  }
  EXPECT_GT(cases, 0u);
}

}  // namespace
}  // namespace crm::testing
