#include "compiler/parse/parser.h"

#include <gtest/gtest.h>

#include "runtime/time.h"

namespace crm::parse {
namespace {

struct Parsed {
  source::SourceManager sources;
  std::unique_ptr<diag::DiagnosticEngine> diagnostics;
  ParseResult result;
};

std::unique_ptr<Parsed> parseText(const std::string& text) {
  auto parsed = std::make_unique<Parsed>();
  parsed->diagnostics = std::make_unique<diag::DiagnosticEngine>(parsed->sources);
  const auto& file = parsed->sources.add("p.crm", text);
  parsed->result = parseFile(file, *parsed->diagnostics);
  return parsed;
}

// A compact prefix form of an expression, to assert tree shapes.
std::string show(const ast::Expr& expr) {
  switch (expr.kind) {
    case ast::ExprKind::Literal: {
      const auto& literal = ast::as<ast::Literal>(expr);
      if (literal.literalKind == ast::LiteralKind::String) return "\"" + literal.text + "\"";
      return literal.text;
    }
    case ast::ExprKind::Ident: return ast::as<ast::Ident>(expr).name;
    case ast::ExprKind::Select: {
      const auto& select = ast::as<ast::Select>(expr);
      return show(*select.operand) + (select.optionalChain ? "?." : ".") + select.field.text;
    }
    case ast::ExprKind::Index: {
      const auto& index = ast::as<ast::Index>(expr);
      return show(*index.operand) + "[" + show(*index.index) + "]";
    }
    case ast::ExprKind::Call: {
      const auto& call = ast::as<ast::Call>(expr);
      std::string text = call.target ? show(*call.target) + "." : "";
      text += call.function.text + "(";
      for (size_t i = 0; i < call.arguments.size(); ++i) {
        text += (i ? ", " : "") + show(*call.arguments[i]);
      }
      return text + ")";
    }
    case ast::ExprKind::List: {
      std::string text = "[";
      const auto& list = ast::as<ast::ListLiteral>(expr);
      for (size_t i = 0; i < list.elements.size(); ++i) {
        text += (i ? ", " : "") + show(*list.elements[i]);
      }
      return text + "]";
    }
    case ast::ExprKind::Map: {
      std::string text = "{";
      const auto& map = ast::as<ast::MapLiteral>(expr);
      for (size_t i = 0; i < map.entries.size(); ++i) {
        text += (i ? ", " : "") + show(*map.entries[i].first) + ": " + show(*map.entries[i].second);
      }
      return text + "}";
    }
    case ast::ExprKind::Unary: {
      const auto& unary = ast::as<ast::Unary>(expr);
      return std::string("(") + (unary.op == ast::UnaryOp::Not ? "!" : "-") + " " +
             show(*unary.operand) + ")";
    }
    case ast::ExprKind::Binary: {
      const auto& binary = ast::as<ast::Binary>(expr);
      return std::string("(") + ast::spelling(binary.op) + " " + show(*binary.lhs) + " " +
             show(*binary.rhs) + ")";
    }
    case ast::ExprKind::Conditional: {
      const auto& conditional = ast::as<ast::Conditional>(expr);
      return "(? " + show(*conditional.condition) + " " + show(*conditional.then) + " " +
             show(*conditional.otherwise) + ")";
    }
  }
  return "?";
}

std::string showSegment(const std::string& expression) {
  auto parsed = parseText("segment s = " + expression);
  EXPECT_EQ(parsed->diagnostics->errorCount(), 0u) << expression;
  if (parsed->result.script.decls.size() != 1) return "<no declaration>";
  return show(*ast::as<ast::SegmentDecl>(*parsed->result.script.decls[0]).condition);
}

struct ShapeCase {
  const char* source;
  const char* shape;
};

TEST(Parser, OperatorPrecedenceFollowsCel) {
  const ShapeCase cases[] = {
      {"a || b && c", "(|| a (&& b c))"},
      {"a && b || c", "(|| (&& a b) c)"},
      {"a == b && c < d", "(&& (== a b) (< c d))"},
      {"1 + 2 * 3", "(+ 1 (* 2 3))"},
      {"1 - 2 - 3", "(- (- 1 2) 3)"},
      {"!a && b", "(&& (! a) b)"},
      {"-x.y", "(- x.y)"},
      {"a ? b : c ? d : e", "(? a b (? c d e))"},
      {"x ?? 0 > 1", "(?? x (> 0 1))"},
      {"(x ?? 0) > 1", "(> (?? x 0) 1)"},
      {"a || b ? c : d", "(? (|| a b) c d)"},
      {"x in [1, 2] && y not in [3]", "(&& (in x [1, 2]) (not in y [3]))"},
      {"o.at within 30d", "(within o.at 30d)"},
      {"a.b?.c[0].d(1, 2)", "a.b?.c[0].d(1, 2)"},
      {"{\"k\": 1, \"j\": 2}", "{\"k\": 1, \"j\": 2}"},
      {"customer.orders.filter(o, o.total >= 500.00).size()",
       "customer.orders.filter(o, (>= o.total 500.00)).size()"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"1 - -2", "(- 1 -2)"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(showSegment(c.source), c.shape) << c.source;
  }
}

TEST(Parser, DeclarationWordsAreNamesElsewhere) {
  EXPECT_EQ(showSegment("e.at > now && e.channel == \"email\" && s.contains(\"x\")"),
            "(&& (&& (> e.at now) (== e.channel \"email\")) s.contains(\"x\"))");
  EXPECT_EQ(showSegment("customer.event.offer.group"), "customer.event.offer.group");
}

TEST(Parser, LiteralsDecodeTheirValues) {
  auto parsed = parseText(
      "let a = 30d\nlet b = 2026-12-01\nlet c = 2026-12-01T09:00:00Z\nlet d = \"a\\tb\\u00e9\"\n"
      "let e = 0x1F\nlet f = 1.5e3\nlet g = \"\"\"x\"\"\"");
  ASSERT_EQ(parsed->diagnostics->errorCount(), 0u);
  auto& decls = parsed->result.script.decls;
  ASSERT_EQ(decls.size(), 7u);
  auto literal = [&](size_t i) -> const ast::Literal& {
    return ast::as<ast::Literal>(*ast::as<ast::LetDecl>(*decls[i]).value);
  };
  EXPECT_EQ(literal(0).literalKind, ast::LiteralKind::Duration);
  EXPECT_EQ(literal(0).intValue, 30 * runtime::kMicrosPerDay);
  EXPECT_EQ(literal(1).intValue, runtime::daysFromCivil({2026, 12, 1}));
  EXPECT_EQ(literal(2).intValue, *runtime::parseTimestamp("2026-12-01T09:00:00Z"));
  EXPECT_EQ(literal(3).text, "a\tb\xC3\xA9");
  EXPECT_EQ(literal(4).intValue, 31);
  EXPECT_DOUBLE_EQ(literal(5).doubleValue, 1500.0);
}

TEST(Parser, EveryDeclarationKindParses) {
  const char* script = R"(
import "schema.crm"
enum Tier { bronze, silver, gold }
record Address { city: string  zip: string? }
customer entity Household key id { id: string  orders: list<Order>  address: Address? }
catalog entity Product key sku levels(department > category) { sku: string  department: string  category: string }
event entity Event key id { id: string  kind: string  at: timestamp }
source households: Household from csv("data/h.csv") {
  header: true
  separator: ";"
  columns { household_key -> id: string, "Zip Code" -> zip }
}
let spend = customer.orders.sum(o, o.total)
segment big = spend >= 500.00
trigger cart on event(kind == "cart") as e when e.at within 1d after 2h unless event(kind == "purchase") within 1d
recommend promos(limit: int = 3): list<Product> = catalog.top(limit, p, p.price)
channel sms { reachable: true  quiet: 21:00..08:00 local  capacity: 200 per day  cost: 0.05 }
campaign winback { audience: big  channels: sms, email  offer: promos(2)  priority: 40  group: promo }
pressure {
  at most 3 per 7d rolling
  at most 1 per calendar day on sms
  at most 2 per 30d in group promo
  rank by priority desc, expected_value desc
  exempt transactional
}
test "big spender gets winback" {
  now: 2026-12-01T09:00:00Z
  customer { id: "c1", orders: [{ at: 2026-11-01T10:00:00Z, total: 600.00 }] }
  expect send winback via sms
  expect no send other
  expect segment big
  expect offer winback contains "p1"
  expect spend > 0
  expect error "division by zero"
}
)";
  auto parsed = parseText(script);
  EXPECT_EQ(parsed->diagnostics->errorCount(), 0u);
  const auto& decls = parsed->result.script.decls;
  ASSERT_EQ(decls.size(), 15u);
  const auto& entity = ast::as<ast::EntityDecl>(*decls[3]);
  EXPECT_EQ(entity.role, ast::EntityRole::Customer);
  EXPECT_EQ(entity.key.text, "id");
  const auto& catalog = ast::as<ast::EntityDecl>(*decls[4]);
  ASSERT_EQ(catalog.levels.size(), 2u);
  EXPECT_EQ(catalog.levels[1].text, "category");
  const auto& source = ast::as<ast::SourceDecl>(*decls[6]);
  ASSERT_EQ(source.columns.size(), 2u);
  EXPECT_EQ(source.columns[0].column.text, "household_key");
  EXPECT_EQ(source.columns[1].column.text, "Zip Code");
  EXPECT_EQ(source.columns[1].field.text, "zip");
  const auto& trigger = ast::as<ast::TriggerDecl>(*decls[9]);
  EXPECT_EQ(trigger.stream.text, "event");
  EXPECT_EQ(trigger.binder.text, "e");
  ASSERT_TRUE(trigger.unlessStream.has_value());
  const auto& channel = ast::as<ast::ChannelDecl>(*decls[11]);
  ASSERT_EQ(channel.properties.size(), 4u);
  EXPECT_EQ(channel.properties[1].form, ast::PropertyForm::TimeRange);
  EXPECT_EQ(channel.properties[1].startMinute, 21 * 60);
  EXPECT_EQ(channel.properties[1].endMinute, 8 * 60);
  EXPECT_TRUE(channel.properties[1].local);
  EXPECT_EQ(channel.properties[2].form, ast::PropertyForm::Rate);
  EXPECT_EQ(channel.properties[2].unit.text, "day");
  const auto& campaign = ast::as<ast::CampaignDecl>(*decls[12]);
  EXPECT_EQ(campaign.properties[1].values.size(), 2u);
  const auto& pressure = ast::as<ast::PressureDecl>(*decls[13]);
  ASSERT_EQ(pressure.rules.size(), 5u);
  EXPECT_TRUE(pressure.rules[0].rolling);
  EXPECT_EQ(pressure.rules[1].calendarUnit->text, "day");
  EXPECT_FALSE(pressure.rules[1].scopes[0].group);
  EXPECT_TRUE(pressure.rules[2].scopes[0].group);
  EXPECT_TRUE(pressure.rules[3].rankKeys[0].descending);
  const auto& test = ast::as<ast::TestDecl>(*decls[14]);
  EXPECT_EQ(test.name.text, "big spender gets winback");
  ASSERT_EQ(test.items.size(), 8u);
  EXPECT_EQ(test.items[1].kind, ast::TestItemKind::Fixture);
  EXPECT_EQ(test.items[2].kind, ast::TestItemKind::ExpectSend);
  EXPECT_EQ(test.items[3].kind, ast::TestItemKind::ExpectNoSend);
  EXPECT_EQ(test.items[4].kind, ast::TestItemKind::ExpectSegment);
  EXPECT_EQ(test.items[5].kind, ast::TestItemKind::ExpectOffer);
  EXPECT_EQ(test.items[6].kind, ast::TestItemKind::ExpectExpr);
  EXPECT_EQ(test.items[7].kind, ast::TestItemKind::ExpectError);
  EXPECT_EQ(test.items[7].errorText, "division by zero");
}

TEST(Parser, CommentsAreIgnored) {
  auto parsed = parseText("// line\n/* block\n over lines */ segment s = /* inner */ true // end");
  EXPECT_EQ(parsed->diagnostics->errorCount(), 0u);
  EXPECT_EQ(parsed->result.script.decls.size(), 1u);
}

TEST(Parser, RangesPointAtTheSource) {
  auto parsed = parseText("segment s =\n  a.b + 1");
  ASSERT_EQ(parsed->result.script.decls.size(), 1u);
  const auto& condition = *ast::as<ast::SegmentDecl>(*parsed->result.script.decls[0]).condition;
  const auto& file = parsed->sources.file(0);
  auto start = file.lineColumn(condition.range.begin);
  auto end = file.lineColumn(condition.range.end);
  EXPECT_EQ(start.line, 2u);
  EXPECT_EQ(start.column, 3u);
  EXPECT_EQ(end.column, 10u);
}

struct SyntaxCase {
  const char* source;
  const char* code;
  uint32_t line;
  uint32_t column;
};

TEST(Parser, SyntaxErrorsHaveCodesAndPositions) {
  const SyntaxCase cases[] = {
      {"segment s = ", "E0010", 1, 13},
      {"segment s = a +", "E0010", 1, 16},
      {"segment s = (a", "E0010", 1, 15},
      {"segment s = a §", "E0011", 1, 15},
      {"segment s = 30days", "E0012", 1, 13},
      {"segment s = 99999999999999999999", "E0012", 1, 13},
      {"segment s = 2026-02-30", "E0013", 1, 13},
      {"segment s = 2026-01-01T25:00:00Z", "E0013", 1, 13},
      {"segment s = \"abc", "E0014", 1, 13},
      {"segment s = \"a\\qb\"", "E0014", 1, 15},
      {"/* never closed", "E0014", 1, 1},
      {"segment s = 99999999999999999d", "E0015", 1, 13},
      {"channel c { quiet: 25:00..08:00 }", "E0013", 1, 20},
      {"campaign { audience: true }", "E0010", 1, 10},
  };
  for (const auto& c : cases) {
    auto parsed = parseText(c.source);
    auto diagnostics = parsed->diagnostics->sorted();
    ASSERT_FALSE(diagnostics.empty()) << c.source;
    EXPECT_EQ(diag::info(diagnostics[0].code).id, c.code) << c.source;
    auto position = parsed->sources.file(0).lineColumn(diagnostics[0].range.begin);
    EXPECT_EQ(position.line, c.line) << c.source;
    EXPECT_EQ(position.column, c.column) << c.source;
  }
}

TEST(Parser, SyntaxMessagesUseNoGeneratedNames) {
  const char* inputs[] = {"segment s = ", "segment = 1", "campaign c { audience true }",
                          "pressure { at most per 7d }", "segment s = [1, 2", "+++"};
  for (const char* input : inputs) {
    auto parsed = parseText(input);
    for (const auto& diagnostic : parsed->diagnostics->sorted()) {
      for (const std::string& text : {diagnostic.message, diagnostic.help}) {
        for (const char* generated : {"IDENT", "LBRACE", "RBRACE", "EOF", "<EOF>", "mismatched",
                                      "extraneous", "viable", "LITERAL", "ctx"}) {
          EXPECT_EQ(text.find(generated), std::string::npos)
              << input << " -> " << text << " contains " << generated;
        }
      }
    }
  }
}

TEST(Parser, BrokenDeclarationIsDroppedAndOthersKept) {
  auto parsed = parseText("segment a = true\nsegment b = (1 +\nsegment c = false\n");
  EXPECT_GE(parsed->diagnostics->errorCount(), 1u);
  std::vector<std::string> names;
  for (const auto& decl : parsed->result.script.decls) names.push_back(decl->name.text);
  EXPECT_NE(std::find(names.begin(), names.end(), "a"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "b"), names.end());
  ASSERT_EQ(parsed->result.brokenNames.size(), 1u);
  EXPECT_EQ(parsed->result.brokenNames[0], "b");
}

TEST(Parser, ByteOrderMarkIsSkipped) {
  auto parsed = parseText("\xEF\xBB\xBFsegment s = true");
  EXPECT_EQ(parsed->diagnostics->errorCount(), 0u);
  ASSERT_EQ(parsed->result.script.decls.size(), 1u);
  EXPECT_EQ(parsed->sources.file(0).lineColumn(parsed->result.script.decls[0]->range.begin).column,
            1u);
}

}  // namespace
}  // namespace crm::parse

namespace crm::parse {
namespace {

TEST(Parser, RawAndTripleQuotedStrings) {
  source::SourceManager sources;
  diag::DiagnosticEngine diagnostics(sources);
  const auto& file = sources.add(
      "s.crm",
      "let a = r\"a\\nb\"\nlet b = '''it's\nfine'''\nlet c = R'\\d+'\nlet d = \"\"\"x\\ty\"\"\"");
  ParseResult result = parseFile(file, diagnostics);
  ASSERT_EQ(diagnostics.errorCount(), 0u);
  ASSERT_EQ(result.script.decls.size(), 4u);
  auto text = [&](size_t i) {
    return ast::as<ast::Literal>(*ast::as<ast::LetDecl>(*result.script.decls[i]).value).text;
  };
  EXPECT_EQ(text(0), "a\\nb");  // raw: the backslash stays
  EXPECT_EQ(text(1), "it's\nfine");
  EXPECT_EQ(text(2), "\\d+");
  EXPECT_EQ(text(3), "x\ty");  // triple quotes still decode escapes
}

}  // namespace
}  // namespace crm::parse
