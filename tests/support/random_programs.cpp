#include "tests/support/random_programs.h"

#include <algorithm>
#include <limits>
#include <regex>
#include <sstream>

#include "runtime/time.h"
#include "runtime/value_json.h"

namespace crm::testing::random {
namespace {

using runtime::Value;

Type scalar(Kind kind, bool optional = false) { return Type{kind, false, optional, ""}; }
Type listOf(Kind kind) { return Type{kind, true, false, ""}; }
Type rowsOf(const std::string& entity) { return Type{Kind::Row, true, false, entity}; }
Type rowOf(const std::string& entity, bool optional) { return Type{Kind::Row, false, optional, entity}; }

Type present(Type type) {
  type.optional = false;
  return type;
}

// Patterns are written with `$N` for the N-th child and stored with "\x01".
std::string pattern(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '9') {
      out += '\x01';
      out += text[++i];
    } else {
      out += text[i];
    }
  }
  return out;
}

Expr node(const Type& type, const std::string& text, std::vector<Expr> children) {
  return Expr{type, pattern(text), std::move(children)};
}

Expr atom(const Type& type, const std::string& text) { return Expr{type, text, {}}; }

const std::vector<Kind> kScalarKinds = {Kind::Bool,      Kind::Int,      Kind::Double,
                                        Kind::Decimal,   Kind::String,   Kind::Timestamp,
                                        Kind::Duration,  Kind::Date};
const std::vector<Kind> kListKinds = {Kind::Int,       Kind::Double,   Kind::Decimal, Kind::String,
                                      Kind::Timestamp, Kind::Duration, Kind::Date};
const std::vector<Kind> kNumberKinds = {Kind::Int, Kind::Double, Kind::Decimal};

bool orderable(Kind kind) { return kind != Kind::Row; }

// ---------------------------------------------------------------- the schema

struct FieldSpec {
  std::string name;
  Type type;  // a scalar, a reference (Kind::Row) or a child list (Kind::Row, list)
};

struct EntitySpec {
  std::string name;
  std::vector<FieldSpec> fields;
};

// The entities of kSchema (below), whose field paths the generator uses:
// the two must agree.
const std::vector<EntitySpec>& schema() {
  static const std::vector<EntitySpec> entities = {
      {"Customer",
       {{"id", scalar(Kind::String)},
        {"email", scalar(Kind::String, true)},
        {"age", scalar(Kind::Int, true)},
        {"score", scalar(Kind::Double, true)},
        {"balance", scalar(Kind::Decimal)},
        {"credit", scalar(Kind::Decimal, true)},
        {"tier", scalar(Kind::Enum)},
        {"level", scalar(Kind::Enum, true)},
        {"vip", scalar(Kind::Bool, true)},
        {"born", scalar(Kind::Date, true)},
        {"joined", scalar(Kind::Timestamp)},
        {"last_seen", scalar(Kind::Timestamp, true)},
        {"session", scalar(Kind::Duration, true)},
        {"visits", scalar(Kind::Int)},
        {"referrer", rowOf("Customer", true)},
        {"orders", rowsOf("Order")},
        {"events", rowsOf("Visit")}}},
      {"Order",
       {{"order_id", scalar(Kind::String)},
        {"at", scalar(Kind::Timestamp)},
        {"total", scalar(Kind::Decimal)},
        {"quantity", scalar(Kind::Int, true)},
        {"discount", scalar(Kind::Double, true)},
        {"shipped", scalar(Kind::Bool)},
        {"product", rowOf("Product", false)},
        {"lines", rowsOf("Line")}}},
      {"Line", {{"line_id", scalar(Kind::String)}, {"units", scalar(Kind::Int)}, {"price", scalar(Kind::Decimal)}}},
      {"Product",
       {{"sku", scalar(Kind::String)},
        {"department", scalar(Kind::String)},
        {"price", scalar(Kind::Decimal)},
        {"rating", scalar(Kind::Double, true)}}},
      {"Visit",
       {{"visit_id", scalar(Kind::String)},
        {"at", scalar(Kind::Timestamp)},
        {"page", scalar(Kind::String)},
        {"seconds", scalar(Kind::Int, true)}}},
  };
  return entities;
}

const EntitySpec& entitySpec(const std::string& name) {
  for (const auto& entity : schema()) {
    if (entity.name == name) return entity;
  }
  throw std::logic_error("no entity " + name);
}

// The leaves a row at `prefix` offers: its scalar fields, the scalar
// fields of the rows it references (one step), and its child lists.
// `nullable` marks a prefix reached through `?.`, whose fields are
// optional and cannot be guarded.
void addRowLeaves(Scope& scope, const std::string& prefix, const std::string& entity,
                  bool nullable, int referenceSteps) {
  const char* dot = nullable ? "?." : ".";
  for (const auto& field : entitySpec(entity).fields) {
    std::string path = prefix + dot + field.name;
    if (field.type.kind != Kind::Row) {
      Type type = field.type;
      type.optional = type.optional || nullable;
      scope.values.push_back({path, type, type.optional && !nullable});
    } else if (field.type.list) {
      (nullable ? scope.optionalRowLists : scope.rowLists).push_back({path, field.type, false});
    } else if (referenceSteps > 0) {
      if (field.type.optional && !nullable) {
        scope.values.push_back({path, field.type, true});
        addRowLeaves(scope, path, field.type.entity, true, referenceSteps - 1);
      } else {
        addRowLeaves(scope, path, field.type.entity, nullable, referenceSteps - 1);
      }
    }
  }
}

// ----------------------------------------------------------------- literals

std::string parenthesized(const std::string& text) {
  return !text.empty() && text[0] == '-' ? "(" + text + ")" : text;
}

const std::vector<std::string> kInts = {
    "0", "1", "-1", "2", "3", "7", "-7", "42", "1000", "0x7f", "9223372036854775807",
    "-9223372036854775808", "4611686018427387904", "-4611686018427387905", "3037000500"};
const std::vector<std::string> kDoubles = {
    "0.0", "-0.0", "1.5", "-2.25", "0.1", "1e308", "-1e308", "5e-324", "2.5e-3",
    "9007199254740993.0", "(1.0 / 0.0)", "(-1.0 / 0.0)", "(0.0 / 0.0)"};
const std::vector<std::string> kDecimals = {
    "0", "1", "1.50", "-12.5", "0.1", "100.00", "-0.00", "0.001", "999999999999999999",
    "-999999999999999999", "0.000000000000000001", "123456789.123456789", "7"};
const std::vector<std::string> kPlainDecimals = {"0.5", "1.50", "100.00", "0.1", "2.0", "0.001"};
const std::vector<std::string> kStrings = {"''", "'a'", "'abc'", "'ABC'", "'Amélie'", "'ß'",
                                           "' x '", "\"b\"", "'toys'", "'home'"};
// Instants around the daylight saving changes of 2024 in New York
// (10 March, 3 November) and Paris (31 March, 27 October), and the ends of
// the range.
const std::vector<std::string> kTimestamps = {
    "2024-03-10T06:59:59Z", "2024-03-10T07:00:00Z", "2024-11-03T05:30:00Z",
    "2024-11-03T06:00:00Z", "2024-03-31T01:00:00Z", "2024-10-27T00:30:00Z",
    "2024-10-27T01:00:00Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z", "2024-02-29T12:00:00+05:30", "2023-11-03T06:00:00Z"};
const std::vector<std::string> kDurations = {"0s", "1us", "1s", "90m", "1h30m", "1d", "7d", "30d",
                                             "365d", "duration('-1s')", "duration('2562047h')",
                                             "duration('-87600h')", "duration('1.5h')"};
const std::vector<std::string> kDates = {"2024-02-29", "0001-01-01", "9999-12-31", "2024-03-10",
                                         "1970-01-01", "2024-10-27", "2024-11-03"};
// Texts that the data contains whole or in part, for string tests.
const std::vector<std::string> kStringConstants = {
    "''", "'c1'", "'c'", "'toys'", "'home'", "'cart'", "'@example.test'", "'c1@example.test'",
    "'p1'", "'p404'", "'o1'", "'Café'", "'e\\u0301'", "'x'", "'C1'"};
const std::vector<std::string> kEnumValues = {"Tier.bronze", "Tier.silver", "Tier.gold"};
const std::vector<std::string> kZones = {"'America/New_York'", "'Europe/Paris'", "'UTC'",
                                         "'+02:00'"};

}  // namespace

std::string literalOf(const Type& type, Random& random, bool program) {
  switch (type.kind) {
    case Kind::Bool: return random.percent(50) ? "true" : "false";
    case Kind::Int: return parenthesized(random.pick(kInts));
    case Kind::Double: return parenthesized(random.pick(kDoubles));
    case Kind::Decimal: return "decimal('" + random.pick(kDecimals) + "')";
    case Kind::String: return random.pick(kStrings);
    case Kind::Timestamp: {
      const std::string& text = random.pick(kTimestamps);
      return random.percent(50) ? text : "timestamp('" + text + "')";
    }
    case Kind::Duration: return random.pick(kDurations);
    case Kind::Date: {
      const std::string& text = random.pick(kDates);
      return random.percent(50) ? text : "date('" + text + "')";
    }
    case Kind::Enum: return program ? random.pick(kEnumValues) : "";
    case Kind::Row: return "";
  }
  return "";
}

std::string simpleLiteral(const Type& type) {
  if (type.list) return "";
  switch (type.kind) {
    case Kind::Bool: return "true";
    case Kind::Int: return "1";
    case Kind::Double: return "1.0";
    case Kind::Decimal: return "decimal('1')";
    case Kind::String: return "'a'";
    case Kind::Timestamp: return "timestamp('2024-01-01T00:00:00Z')";
    case Kind::Duration: return "1s";
    case Kind::Date: return "date('2024-01-01')";
    case Kind::Enum: return "Tier.gold";
    case Kind::Row: return "";
  }
  return "";
}

std::string Expr::text() const {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\x01' && i + 1 < pattern.size()) {
      out += children[static_cast<size_t>(pattern[++i] - '0')].text();
    } else {
      out += pattern[i];
    }
  }
  return out;
}

size_t Expr::nodeCount() const {
  size_t count = 1;
  for (const Expr& child : children) count += child.nodeCount();
  return count;
}

// ------------------------------------------------------------ presence facts

namespace {

// The paths a condition proves present and absent, by the rules of
// docs/language.md (section 5) over the patterns the generator writes.
// `P != null` and `has(P)` prove P present, and `P == null` proves it
// absent. `&&` joins what its operands prove present, `||` what they prove
// absent, and `!` swaps the two.
struct Facts {
  std::vector<std::string> present;
  std::vector<std::string> absent;
};

// The path in `text` between `prefix` and `suffix`, for the guard patterns.
bool between(const std::string& text, const std::string& prefix, const std::string& suffix,
             std::string& path) {
  if (text.rfind(prefix, 0) != 0 || text.size() < prefix.size() + suffix.size()) return false;
  if (text.compare(text.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  path = text.substr(prefix.size(), text.size() - prefix.size() - suffix.size());
  return path.find_first_of("() ") == std::string::npos;
}

Facts factsOf(const Expr& expr) {
  Facts facts;
  const std::string& p = expr.pattern;
  auto append = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  std::string path;
  if (p == pattern("($0 && $1)")) {
    append(facts.present, factsOf(expr.children[0]).present);
    append(facts.present, factsOf(expr.children[1]).present);
  } else if (p == pattern("($0 || $1)")) {
    append(facts.absent, factsOf(expr.children[0]).absent);
    append(facts.absent, factsOf(expr.children[1]).absent);
  } else if (p == pattern("!$0")) {
    Facts inner = factsOf(expr.children[0]);
    facts.present = inner.absent;
    facts.absent = inner.present;
  } else if (p == pattern("($0 != null)") && expr.children[0].children.empty()) {
    facts.present.push_back(expr.children[0].pattern);
  } else if (p == pattern("($0 == null)") && expr.children[0].children.empty()) {
    facts.absent.push_back(expr.children[0].pattern);
  } else if (between(p, "(has(", pattern(") && $0)"), path) ||
             between(p, "(", pattern(" != null && $0)"), path)) {
    facts.present.push_back(path);
    append(facts.present, factsOf(expr.children[0]).present);
  } else if (between(p, "(", pattern(" == null || $0)"), path) ||
             between(p, "(!has(", pattern(") || $0)"), path)) {
    facts.absent.push_back(path);
    append(facts.absent, factsOf(expr.children[0]).absent);
  }
  return facts;
}

}  // namespace

// Where `paths` are proven present, `??` and `?.` on them no longer check,
// and their present values (and fields, for a row) are leaves.
Scope ExpressionGenerator::assumePresent(const Scope& scope,
                                         const std::vector<std::string>& paths) const {
  Scope inner = scope;
  for (const std::string& path : paths) {
    std::vector<Leaf> proven;
    auto optionalUse = [&](const Leaf& leaf) {
      if (leaf.text == path && leaf.type.optional) {
        proven.push_back(leaf);
        return true;
      }
      return leaf.text.rfind(path + "?.", 0) == 0;
    };
    std::erase_if(inner.values, optionalUse);
    std::erase_if(inner.optionalRowLists, optionalUse);
    for (const Leaf& leaf : proven) {
      if (leaf.type.kind == Kind::Row) {
        addRowLeaves(inner, leaf.text, leaf.type.entity, false, 0);
      } else {
        inner.values.push_back({leaf.text, present(leaf.type), false});
      }
    }
  }
  return inner;
}

// ---------------------------------------------------------------- generator

std::string ExpressionGenerator::newVariable(Kind kind) {
  const char* prefix = kind == Kind::Row ? "r" : "x";
  return prefix + std::to_string(++variables_);
}

Scope ExpressionGenerator::bindVariable(const Scope& scope, const std::string& name,
                                const Type& element) const {
  Scope inner = scope;
  if (element.kind == Kind::Row) {
    addRowLeaves(inner, name, element.entity, false, 1);
  } else {
    inner.values.push_back({name, element, false});
  }
  return inner;
}

Expr ExpressionGenerator::generate(const Type& type, const Scope& scope) {
  return generate(type, scope, options_.maxDepth);
}

Expr ExpressionGenerator::generate(const Type& type, const Scope& scope, int depth) {
  if (!type.list && type.kind != Kind::Row && random_.percent(options_.errorPercent)) {
    return generateFailing(type);
  }
  if (depth <= 0 || random_.percent(15)) return pickLeafOrLiteral(type, scope);
  return generateAny(type, scope, depth);
}

Expr ExpressionGenerator::generateAny(const Type& type, const Scope& scope, int depth) {
  if (type.list) return generateList(type, scope, depth);
  if (type.optional && random_.percent(60)) return generateOptional(type, scope, depth);
  switch (type.kind) {
    case Kind::Bool: return generateBool(scope, depth);
    case Kind::Int: return generateInt(scope, depth);
    case Kind::Double: return generateDouble(scope, depth);
    case Kind::Decimal: return generateDecimal(scope, depth);
    case Kind::String: return generateString(scope, depth);
    case Kind::Timestamp: return generateTimestamp(scope, depth);
    case Kind::Duration: return generateDuration(scope, depth);
    case Kind::Date: return generateDate(scope, depth);
    case Kind::Enum: return generateEnum(scope, depth);
    case Kind::Row: break;
  }
  return pickLeafOrLiteral(type, scope);
}

Expr ExpressionGenerator::pickLeafOrLiteral(const Type& type, const Scope& scope) {
  std::vector<const Leaf*> matches;
  for (const Leaf& leaf : scope.values) {
    if (leaf.type == type || (type.optional && leaf.type == present(type))) matches.push_back(&leaf);
  }
  if (!matches.empty() && (random_.percent(70) || type.list)) {
    const Leaf* leaf = matches[random_.below(matches.size())];
    return atom(leaf->type, leaf->text);
  }
  if (type.list) {
    // A list literal of one to three literals.
    Type element = scalar(type.kind);
    std::vector<Expr> items;
    std::string text = "[";
    size_t count = 1 + random_.below(3);
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) text += ", ";
      text += "$" + std::to_string(i);
      items.push_back(atom(element, literalOf(element, random_, options_.program)));
    }
    return node(type, text + "]", std::move(items));
  }
  std::string literal = literalOf(present(type), random_, options_.program);
  if (literal.empty()) return generateOptional(type, scope, 1);
  return atom(present(type), literal);
}

Expr ExpressionGenerator::generateFailing(const Type& type) {
  Type t = present(type);
  auto one = [&](std::vector<std::string> texts) { return atom(t, random_.pick(texts)); };
  switch (t.kind) {
    case Kind::Bool: return one({"bool('maybe')", "(1 / 0 == 1)", "('a'.matches('['))"});
    case Kind::Int: return one({"(1 / 0)", "(9223372036854775807 + 1)", "int('12a')", "[0][1]", "(7 % 0)"});
    case Kind::Double: return one({"double('x')", "[0.5][2]"});
    case Kind::Decimal: return one({"(decimal('1') / 0)", "decimal('x')", "(decimal('999999999999999999') + 1)"});
    case Kind::String: return one({"string(1 / 0)", "{'a': 'b'}['c']"});
    case Kind::Timestamp: return one({"timestamp('yesterday')", "(timestamp('9999-12-31T23:59:59Z') + 1d)"});
    case Kind::Duration: return one({"duration('x')", "(duration('1s') - duration('y'))"});
    case Kind::Date: return one({"date('2024-02-30')", "(date('2024-01-01') + 1h)"});
    case Kind::Enum:
    case Kind::Row: break;
  }
  return pickLeafOrLiteral(type, Scope{});
}

Expr ExpressionGenerator::generateConditional(const Type& type, const Scope& scope, int depth) {
  Expr condition = generate(scalar(Kind::Bool), scope, depth - 1);
  Facts facts = factsOf(condition);
  Expr a = generate(type, assumePresent(scope, facts.present), depth - 1);
  Expr b = generate(type, assumePresent(scope, facts.absent), depth - 1);
  if (type.kind == Kind::Decimal && !type.list && random_.percent(30)) {
    // A fractional literal beside a decimal is a decimal. An int stays an
    // int in the interpreter, although the static type is decimal.
    Expr& other = random_.percent(50) ? a : b;
    if (random_.percent(50)) {
      other = atom(scalar(Kind::Decimal), random_.pick(kPlainDecimals));
    } else {
      other = generate(scalar(Kind::Int), scope, depth - 1);
    }
  }
  Type result = type;
  result.optional = a.type.optional || b.type.optional;
  if (a.type.kind == Kind::Row || b.type.kind == Kind::Row) result = type;
  return node(result, "($0 ? $1 : $2)", {condition, a, b});
}

Expr ExpressionGenerator::generateCoalesce(const Type& type, const Scope& scope, int depth) {
  Type optionalType = type;
  optionalType.optional = true;
  Expr first = generateOptional(optionalType, scope, depth - 1);
  if (!first.type.optional) return first;
  Expr second = generate(type, scope, depth - 1);
  if (type.kind == Kind::Decimal && !type.list && random_.percent(20)) {
    second = generate(scalar(Kind::Int), scope, depth - 1);
  }
  Type result = type;
  result.optional = second.type.optional;
  return node(result, "($0 ?? $1)", {first, second});
}

Expr ExpressionGenerator::generateBool(const Scope& scope, int depth) {
  Type b = scalar(Kind::Bool);
  switch (random_.below(16)) {
    case 14:
    case 15: return generateStringTest(scope, depth);
    case 0:
    case 1:
    case 2: return generateComparison(scope, depth);
    case 3: {
      bool isAnd = random_.percent(50);
      Expr left = generate(b, scope, depth - 1);
      Facts facts = factsOf(left);
      Expr right = generate(b, assumePresent(scope, isAnd ? facts.present : facts.absent), depth - 1);
      return node(b, isAnd ? "($0 && $1)" : "($0 || $1)", {left, right});
    }
    case 4: return node(b, "!$0", {generate(b, scope, depth - 1)});
    case 5: return generateConditional(b, scope, depth);
    case 6: {
      Kind kind = random_.percent(70) ? Kind::Timestamp : Kind::Date;
      return node(b, "($0 within $1)",
                  {generate(scalar(kind), scope, depth - 1),
                   generate(scalar(Kind::Duration), scope, depth - 1)});
    }
    case 7: {
      Kind kind = random_.pick(kListKinds);
      if (options_.program && random_.percent(20)) kind = Kind::Enum;
      const char* op = random_.percent(75) ? " in " : " not in ";
      Expr list = kind == Kind::Enum
                      ? atom(listOf(kind), random_.percent(50) ? "[Tier.silver, Tier.gold]"
                                                               : "[silver, bronze]")
                      : generate(listOf(kind), scope, depth - 1);
      return node(b, std::string("($0") + op + "$1)", {generate(scalar(kind), scope, depth - 1), list});
    }
    case 8:
    case 9: {
      const char* names[] = {"all", "exists", "exists_one"};
      return generateMacro(names[random_.below(3)], b, b, scope, depth);
    }
    case 10: {
      // An optional against null or a value.
      Kind kind = random_.pick(kScalarKinds);
      if (options_.program && random_.percent(15)) kind = Kind::Enum;
      Expr value = generateOptional(scalar(kind, true), scope, depth - 1);
      if (!value.type.optional) return generateComparison(scope, depth);
      const char* op = random_.percent(50) ? " == " : " != ";
      if (random_.percent(50)) return node(b, std::string("($0") + op + "null)", {value});
      return node(b, std::string("($0") + op + "$1)", {value, generate(scalar(kind), scope, depth - 1)});
    }
    case 11: return generateGuard(scope, depth);
    case 12: {
      Expr s = generate(scalar(Kind::String), scope, depth - 1);
      Expr t = generate(scalar(Kind::String), scope, depth - 1);
      switch (random_.below(5)) {
        case 0: return node(b, "$0.contains($1)", {s, t});
        case 1: return node(b, "$0.startsWith($1)", {s, t});
        case 2: return node(b, "$0.endsWith($1)", {s, t});
        case 3: return node(b, "$0.equals_ignore_case($1)", {s, t});
        default: return node(b, "$0.matches('^[a-c]')", {s});
      }
    }
    default: return generateCoalesce(b, scope, depth);
  }
}

Expr ExpressionGenerator::generateComparison(const Scope& scope, int depth) {
  Type b = scalar(Kind::Bool);
  const char* ops[] = {" == ", " != ", " < ", " <= ", " > ", " >= "};
  std::string op = ops[random_.below(6)];
  Kind kind = random_.pick(kScalarKinds);
  if (options_.program && random_.percent(15)) kind = Kind::Enum;
  Expr left = generate(scalar(kind), scope, depth - 1);
  Expr right;
  if (kind == Kind::Int && random_.percent(25)) {
    // CEL's heterogeneous comparison of numbers.
    right = generate(scalar(random_.percent(50) ? Kind::Double : Kind::Decimal), scope, depth - 1);
  } else if (kind == Kind::Decimal && random_.percent(30)) {
    // An int widens, and a fractional literal is read as a decimal.
    right = random_.percent(50) ? generate(scalar(Kind::Int), scope, depth - 1)
                                : atom(scalar(Kind::Decimal), random_.pick(kPlainDecimals));
  } else if (kind == Kind::Enum && random_.percent(40)) {
    right = atom(scalar(Kind::Enum), random_.pick(std::vector<std::string>{"gold", "silver", "bronze"}));
  } else {
    right = generate(scalar(kind), scope, depth - 1);
  }
  if (random_.percent(5)) {
    // Lists compare element by element.
    Kind element = random_.pick(kListKinds);
    return node(b, "($0" + std::string(random_.percent(50) ? " == " : " != ") + "$1)",
                {generate(listOf(element), scope, depth - 1), generate(listOf(element), scope, depth - 1)});
  }
  return node(b, "($0" + op + "$1)", {left, right});
}

// A string leaf (a field, in a program) tested against constants, in the
// forms that the JIT evaluates over the column's pool: `==`, `!=`, `in`,
// `startsWith`, `endsWith` and `contains`, also through `field ?? 'text'`.
Expr ExpressionGenerator::generateStringTest(const Scope& scope, int depth) {
  Type b = scalar(Kind::Bool);
  std::vector<const Leaf*> strings;
  for (const Leaf& leaf : scope.values) {
    if (leaf.type.kind == Kind::String && !leaf.type.list) strings.push_back(&leaf);
  }
  if (strings.empty()) return generateComparison(scope, depth);
  const Leaf& leaf = *strings[random_.below(strings.size())];
  auto text = [&] { return random_.pick(kStringConstants); };
  std::string subject = leaf.text;
  bool optional = leaf.type.optional;
  if (optional && random_.percent(60)) {
    subject = "(" + leaf.text + " ?? " + text() + ")";
    optional = false;
  }
  switch (optional ? random_.below(3) : random_.below(9)) {
    case 0: return atom(b, "(" + subject + " == " + text() + ")");
    case 1: return atom(b, "(" + subject + " != " + text() + ")");
    case 2: return atom(b, "(" + text() + " == " + subject + ")");
    case 3: return atom(b, "(" + subject + " in [" + text() + ", " + text() + "])");
    case 4: return atom(b, "(" + subject + " not in [" + text() + "])");
    case 5: return atom(b, subject + ".startsWith(" + text() + ")");
    case 6: return atom(b, subject + ".endsWith(" + text() + ")");
    case 7: return atom(b, subject + ".contains(" + text() + ")");
    default: return atom(b, "(" + subject + " in [])");
  }
}

// A condition that proves an optional path present (or absent) and uses
// the path as a present value where the proof holds.
Expr ExpressionGenerator::generateGuard(const Scope& scope, int depth) {
  Type b = scalar(Kind::Bool);
  std::vector<const Leaf*> paths;
  for (const Leaf& leaf : scope.values) {
    if (leaf.guardable && leaf.type.optional) paths.push_back(&leaf);
  }
  if (paths.empty()) return generateComparison(scope, depth);
  const Leaf path = *paths[random_.below(paths.size())];
  Scope inner = assumePresent(scope, {path.text});
  Expr use = generate(b, inner, depth - 1);
  // `has()` takes a field selection; a let is guarded with `!= null`.
  bool field = path.text.find('.') != std::string::npos;
  switch (field ? random_.below(5) : 1 + random_.below(2)) {
    case 0: return node(b, "(has(" + path.text + ") && $0)", {use});
    case 1: return node(b, "(" + path.text + " != null && $0)", {use});
    case 2: return node(b, "(" + path.text + " == null || $0)", {use});
    case 3: return node(b, "(!has(" + path.text + ") || $0)", {use});
    default:
      return node(b, "(has(" + path.text + ") ? $0 : $1)", {use, generate(b, scope, depth - 1)});
  }
}

Expr ExpressionGenerator::generateInt(const Scope& scope, int depth) {
  Type t = scalar(Kind::Int);
  auto sub = [&](Kind kind) { return generate(scalar(kind), scope, depth - 1); };
  switch (random_.below(16)) {
    case 0:
    case 1:
    case 2: {
      const char* ops[] = {" + ", " - ", " * ", " / ", " % "};
      return node(t, std::string("($0") + ops[random_.below(5)] + "$1)", {sub(Kind::Int), sub(Kind::Int)});
    }
    case 3: return node(t, "(-$0)", {sub(Kind::Int)});
    case 4: return generateConditional(t, scope, depth);
    case 5: return generateCoalesce(t, scope, depth);
    case 6: {
      Kind kind = random_.pick(kListKinds);
      Expr list = generate(listOf(kind), scope, depth - 1);
      switch (random_.below(3)) {
        case 0: return node(t, "size($0)", {list});
        case 1: return node(t, "$0.size()", {list});
        default: return node(t, "$0.count()", {list});
      }
    }
    case 7: return node(t, "$0.size()", {sub(Kind::String)});
    case 8: return generateMacro("count", scalar(Kind::Bool), t, scope, depth);
    case 9: {
      if (!scope.rowLists.empty() && random_.percent(70)) {
        // `filter(...).size()`, which the JIT fuses into one loop.
        Expr source = generateRowSource(scope, depth - 1, "", false);
        std::string name = newVariable(Kind::Row);
        Scope inner = bindVariable(scope, name, rowOf(source.type.entity, false));
        return node(t, "$0.filter(" + name + ", $1).size()",
                    {source, generate(scalar(Kind::Bool), inner, depth - 1)});
      }
      return generateMacro("sum", t, t, scope, depth);
    }
    case 10: return generateMacro("sum", t, t, scope, depth);
    case 11:
      switch (random_.below(4)) {
        case 0: return node(t, "int($0)", {sub(Kind::Double)});
        case 1: return node(t, "int($0)", {sub(Kind::Decimal)});
        case 2: return node(t, "int($0)", {sub(Kind::Timestamp)});
        default: return node(t, "$0.sum()", {generate(listOf(Kind::Int), scope, depth - 1)});
      }
    case 12:
      return node(t, random_.percent(50) ? "days_since($0)" : "days_until($0)",
                  {sub(random_.percent(60) ? Kind::Timestamp : Kind::Date)});
    case 13: {
      const char* methods[] = {"getHours", "getFullYear", "getDayOfWeek", "getDate", "getMonth",
                               "getDayOfYear", "getMinutes"};
      std::string zone = random_.percent(80) ? random_.pick(kZones) : "'Mars/Olympus'";
      return node(t, "$0." + std::string(methods[random_.below(7)]) + "(" + zone + ")",
                  {sub(Kind::Timestamp)});
    }
    case 14: {
      const char* dateMethods[] = {"year()", "month()", "day()", "day_of_week()"};
      const char* durationMethods[] = {"getHours()", "getMinutes()", "getSeconds()",
                                       "getMilliseconds()"};
      if (random_.percent(50)) return node(t, "$0." + std::string(dateMethods[random_.below(4)]), {sub(Kind::Date)});
      return node(t, "$0." + std::string(durationMethods[random_.below(4)]), {sub(Kind::Duration)});
    }
    default: return node(t, "abs($0)", {sub(Kind::Int)});
  }
}

Expr ExpressionGenerator::generateDouble(const Scope& scope, int depth) {
  Type t = scalar(Kind::Double);
  auto sub = [&](Kind kind) { return generate(scalar(kind), scope, depth - 1); };
  switch (random_.below(9)) {
    case 0:
    case 1:
    case 2: {
      const char* ops[] = {" + ", " - ", " * ", " / "};
      return node(t, std::string("($0") + ops[random_.below(4)] + "$1)", {sub(Kind::Double), sub(Kind::Double)});
    }
    case 3: return node(t, "(-$0)", {sub(Kind::Double)});
    case 4: return generateConditional(t, scope, depth);
    case 5: return generateCoalesce(t, scope, depth);
    case 6: return node(t, "double($0)", {sub(random_.percent(50) ? Kind::Int : Kind::Decimal)});
    case 7: return generateMacro("sum", t, t, scope, depth);
    default: return node(t, "$0.sum()", {generate(listOf(Kind::Double), scope, depth - 1)});
  }
}

Expr ExpressionGenerator::generateDecimal(const Scope& scope, int depth) {
  Type t = scalar(Kind::Decimal);
  auto sub = [&](Kind kind) { return generate(scalar(kind), scope, depth - 1); };
  switch (random_.below(10)) {
    case 0:
    case 1:
    case 2: {
      const char* ops[] = {" + ", " - ", " * ", " / ", " % "};
      std::string op = ops[random_.below(5)];
      Expr right;
      switch (random_.below(5)) {
        case 0: right = sub(Kind::Int); break;  // widens exactly
        case 1: right = atom(t, random_.pick(kPlainDecimals)); break;
        default: right = sub(Kind::Decimal); break;
      }
      return node(t, "($0" + op + "$1)", {sub(Kind::Decimal), right});
    }
    case 3: return node(t, "(-$0)", {sub(Kind::Decimal)});
    case 4: return generateConditional(t, scope, depth);
    case 5: return generateCoalesce(t, scope, depth);
    case 6: return node(t, "decimal($0)", {sub(random_.percent(50) ? Kind::Int : Kind::Double)});
    case 7: return generateMacro("sum", t, t, scope, depth);
    case 8: return node(t, "abs($0)", {sub(Kind::Decimal)});
    default: return node(t, "$0.sum()", {generate(listOf(Kind::Decimal), scope, depth - 1)});
  }
}

Expr ExpressionGenerator::generateString(const Scope& scope, int depth) {
  Type t = scalar(Kind::String);
  switch (random_.below(6)) {
    case 0: return node(t, "($0 + $1)", {generate(t, scope, depth - 1), generate(t, scope, depth - 1)});
    case 1: {
      Kind kind = random_.pick(kScalarKinds);
      return node(t, "string($0)", {generate(scalar(kind), scope, depth - 1)});
    }
    case 2: {
      const char* methods[] = {"lower()", "upper()", "trim()"};
      return node(t, "$0." + std::string(methods[random_.below(3)]), {generate(t, scope, depth - 1)});
    }
    case 3: return generateConditional(t, scope, depth);
    default: return generateCoalesce(t, scope, depth);
  }
}

Expr ExpressionGenerator::generateTimestamp(const Scope& scope, int depth) {
  Type t = scalar(Kind::Timestamp);
  Type d = scalar(Kind::Duration);
  switch (random_.below(6)) {
    case 0: return atom(t, "now");
    case 1: return node(t, "($0 + $1)", {generate(t, scope, depth - 1), generate(d, scope, depth - 1)});
    case 2: return node(t, "($0 - $1)", {generate(t, scope, depth - 1), generate(d, scope, depth - 1)});
    case 3: return generateConditional(t, scope, depth);
    case 4: return generateCoalesce(t, scope, depth);
    default: return node(t, "($0 + $1)", {generate(d, scope, depth - 1), generate(t, scope, depth - 1)});
  }
}

Expr ExpressionGenerator::generateDuration(const Scope& scope, int depth) {
  Type t = scalar(Kind::Duration);
  switch (random_.below(8)) {
    case 0: return node(t, "($0 + $1)", {generate(t, scope, depth - 1), generate(t, scope, depth - 1)});
    case 1: return node(t, "($0 - $1)", {generate(t, scope, depth - 1), generate(t, scope, depth - 1)});
    case 2: return node(t, "(-$0)", {generate(t, scope, depth - 1)});
    case 3: {
      Type time = scalar(Kind::Timestamp);
      return node(t, "($0 - $1)", {generate(time, scope, depth - 1), generate(time, scope, depth - 1)});
    }
    case 4: {
      Type day = scalar(Kind::Date);
      return node(t, "($0 - $1)", {generate(day, scope, depth - 1), generate(day, scope, depth - 1)});
    }
    case 5: return generateConditional(t, scope, depth);
    case 6: return generateCoalesce(t, scope, depth);
    default: return generateMacro("sum", t, t, scope, depth);
  }
}

Expr ExpressionGenerator::generateDate(const Scope& scope, int depth) {
  Type t = scalar(Kind::Date);
  Type d = scalar(Kind::Duration);
  // Mostly whole days, since a date moves by whole days only.
  auto days = [&] {
    const std::vector<std::string> texts = {"1d", "7d", "30d", "365d", "duration('-48h')"};
    return random_.percent(70) ? atom(d, random_.pick(texts)) : generate(d, scope, depth - 1);
  };
  switch (random_.below(5)) {
    case 0: return node(t, "($0 + $1)", {generate(t, scope, depth - 1), days()});
    case 1: return node(t, "($0 - $1)", {generate(t, scope, depth - 1), days()});
    case 2:
      return node(t, "$0.date(" + random_.pick(kZones) + ")",
                  {generate(scalar(Kind::Timestamp), scope, depth - 1)});
    case 3: return generateConditional(t, scope, depth);
    default: return generateCoalesce(t, scope, depth);
  }
}

Expr ExpressionGenerator::generateEnum(const Scope& scope, int depth) {
  Type t = scalar(Kind::Enum);
  if (random_.percent(50)) return generateConditional(t, scope, depth);
  return generateCoalesce(t, scope, depth);
}

Expr ExpressionGenerator::generateOptional(const Type& type, const Scope& scope, int depth) {
  Type t = type;
  t.optional = true;
  Type element = present(type);
  std::vector<const Leaf*> leaves;
  for (const Leaf& leaf : scope.values) {
    if (leaf.type == t) leaves.push_back(&leaf);
  }
  int choice = static_cast<int>(random_.below(9));
  if (choice <= 1 && !leaves.empty()) {
    const Leaf* leaf = leaves[random_.below(leaves.size())];
    return atom(leaf->type, leaf->text);
  }
  if (depth <= 0) {
    if (!leaves.empty()) return atom(leaves[0]->type, leaves[0]->text);
    return generateNull(t);
  }

  // The forms that are null for some inputs: aggregates of lists that may
  // be empty, the field of a latest row, `?.` over a null row.
  bool listable = element.kind != Kind::Enum && element.kind != Kind::Row && element.kind != Kind::Bool;
  switch (choice) {
    case 2:
    case 3:
      if (orderable(element.kind)) {
        return generateMacro(random_.percent(50) ? "max" : "min", element, t, scope, depth);
      }
      break;
    case 4:
      if (listable) {
        const char* methods[] = {"min()", "max()", "first()", "last()"};
        return node(t, "$0." + std::string(methods[random_.below(4)]),
                    {generate(listOf(element.kind), scope, depth - 1)});
      }
      break;
    case 5:
      if (element.kind == Kind::Double) {
        return generateMacro("avg", scalar(random_.percent(50) ? Kind::Int : Kind::Double), t, scope, depth);
      }
      if (element.kind == Kind::Decimal) return generateMacro("avg", element, t, scope, depth);
      break;
    case 6:
      if (Expr field = generateLatestField(t, scope, depth); !field.pattern.empty()) return field;
      break;
    case 7:
      if (element.kind == Kind::Int && !scope.optionalRowLists.empty()) {
        return node(t, scope.optionalRowLists[random_.below(scope.optionalRowLists.size())].text +
                           "?.size()", {});
      }
      break;
    default: break;
  }

  if (random_.percent(50)) return generateNullBranch(t, scope, depth);
  if (!leaves.empty()) return atom(leaves[0]->type, leaves[0]->text);
  return generateNull(t);
}

// The field of type `type` of the latest or earliest row of a list, read
// through `?.`. The result is empty when no list of the scope has such a
// field.
Expr ExpressionGenerator::generateLatestField(const Type& type, const Scope& scope, int depth) {
  if (scope.rowLists.empty()) return Expr{};
  Expr source = generateRowSource(scope, depth - 1);
  std::vector<const FieldSpec*> fields;
  for (const auto& field : entitySpec(source.type.entity).fields) {
    if (field.type.kind == type.kind && !field.type.list) fields.push_back(&field);
  }
  if (fields.empty()) return Expr{};
  std::string name = newVariable(Kind::Row);
  Scope inner = bindVariable(scope, name, rowOf(source.type.entity, false));
  Kind keyKind =
      random_.pick(std::vector<Kind>{Kind::Timestamp, Kind::Decimal, Kind::Int, Kind::String});
  Expr key = generate(scalar(keyKind), inner, depth - 1);
  const char* which = random_.percent(50) ? "latest" : "earliest";
  return node(type, "$0." + std::string(which) + "(" + name + ", $1)?." +
                        fields[random_.below(fields.size())]->name,
              {source, key});
}

// `c ? v : null` or `c ? null : v`, with `v` in the scope that `c` proves.
Expr ExpressionGenerator::generateNullBranch(const Type& type, const Scope& scope, int depth) {
  Expr condition = generate(scalar(Kind::Bool), scope, depth - 1);
  Facts facts = factsOf(condition);
  bool thenBranch = random_.percent(50);
  Scope branch = assumePresent(scope, thenBranch ? facts.present : facts.absent);
  Expr value = generate(present(type), branch, depth - 1);
  return thenBranch ? node(type, "($0 ? $1 : null)", {condition, value})
                    : node(type, "($0 ? null : $1)", {condition, value});
}

Expr ExpressionGenerator::generateNull(const Type& type) {
  // The greatest element of an empty list: a null of the element's type.
  Type element = present(type);
  std::string literal = literalOf(element, random_, options_.program);
  return node(type, "[$0].filter(" + newVariable(element.kind) + ", false).max()",
              {atom(element, literal)});
}

Expr ExpressionGenerator::generateList(const Type& type, const Scope& scope, int depth) {
  Type element = scalar(type.kind);
  switch (random_.below(8)) {
    case 0: {
      std::string name = newVariable(type.kind);
      Scope inner = bindVariable(scope, name, element);
      return node(type, "$0.filter(" + name + ", $1)",
                  {generate(type, scope, depth - 1), generate(scalar(Kind::Bool), inner, depth - 1)});
    }
    case 1:
    case 2: return generateMacro("map", element, type, scope, depth);
    case 3: {
      std::string name;
      Expr source = generateRowSource(scope, depth - 1);
      if (source.pattern.empty()) break;
      name = newVariable(Kind::Row);
      Scope inner = bindVariable(scope, name, rowOf(source.type.entity, false));
      return node(type, "$0.map(" + name + ", $1, $2)",
                  {source, generate(scalar(Kind::Bool), inner, depth - 1), generate(element, inner, depth - 1)});
    }
    case 4: return node(type, "($0 + $1)", {generate(type, scope, depth - 1), generate(type, scope, depth - 1)});
    case 5: {
      std::string name = newVariable(type.kind);
      Scope inner = bindVariable(scope, name, element);
      Kind keyKind = random_.pick(kListKinds);
      const char* counts[] = {"0", "1", "2", "5", "1", "2", "3", "0", "2", "(-1)"};
      return node(type, "$0.top(" + std::string(counts[random_.below(10)]) + ", " + name + ", $1)",
                  {generate(type, scope, depth - 1), generate(scalar(keyKind), inner, depth - 1)});
    }
    case 6: return node(type, "$0.distinct()", {generate(type, scope, depth - 1)});
    default: break;
  }
  if (random_.percent(30)) {
    // An empty list of the element type.
    return node(type, "[$0].filter(" + newVariable(type.kind) + ", false)", {generate(element, scope, 0)});
  }
  std::vector<Expr> items;
  std::string text = "[";
  size_t count = 1 + random_.below(3);
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) text += ", ";
    text += "$" + std::to_string(i);
    items.push_back(generate(element, scope, depth - 1));
  }
  return node(type, text + "]", std::move(items));
}

Expr ExpressionGenerator::generateRowSource(const Scope& scope, int depth, const std::string& entity,
                                   bool allowFilter) {
  std::vector<const Leaf*> sources;
  for (const Leaf& leaf : scope.rowLists) {
    if (entity.empty() || leaf.type.entity == entity) sources.push_back(&leaf);
  }
  if (sources.empty()) return Expr{};
  const Leaf& leaf = *sources[random_.below(sources.size())];
  Expr source = atom(leaf.type, leaf.text);
  if (allowFilter && depth > 0 && random_.percent(35)) {
    std::string name = newVariable(Kind::Row);
    Scope inner = bindVariable(scope, name, rowOf(leaf.type.entity, false));
    return node(leaf.type, "$0.filter(" + name + ", $1)",
                {source, generate(scalar(Kind::Bool), inner, depth - 1)});
  }
  if (depth > 0 && random_.percent(10)) {
    std::string name = newVariable(Kind::Row);
    Scope inner = bindVariable(scope, name, rowOf(leaf.type.entity, false));
    const char* counts[] = {"0", "1", "3"};
    return node(leaf.type, "$0.top(" + std::string(counts[random_.below(3)]) + ", " + name + ", $1)",
                {source, generate(scalar(Kind::Timestamp), inner, depth - 1)});
  }
  return source;
}

Expr ExpressionGenerator::generateMacro(const std::string& name, const Type& bodyType, const Type& result,
                                const Scope& scope, int depth) {
  Expr source;
  Type element;
  if (!scope.rowLists.empty() && random_.percent(60)) {
    source = generateRowSource(scope, depth - 1);
    element = rowOf(source.type.entity, false);
  } else {
    Kind kind = random_.pick(kListKinds);
    source = generate(listOf(kind), scope, depth - 1);
    element = scalar(kind);
  }
  std::string variableName = newVariable(element.kind);
  Scope inner = bindVariable(scope, variableName, element);
  Expr body = generate(bodyType, inner, depth - 1);
  if (body.type.optional && name != "max" && name != "min" && name != "map") {
    // Aggregates and predicates need a present value.
    body = node(present(bodyType), "($0 ?? $1)",
                {body, atom(present(bodyType), literalOf(present(bodyType), random_, options_.program))});
  }
  return node(result, "$0." + name + "(" + variableName + ", $1)", {source, body});
}

// ---------------------------------------------------------------- shrinking

namespace {

void collectCandidates(const Expr& root, std::vector<size_t>& path, const Expr& at,
                       std::vector<Expr>& out) {
  auto replaced = [&](const Expr& replacement) {
    Expr copy = root;
    Expr* target = &copy;
    for (size_t index : path) target = &target->children[index];
    *target = replacement;
    return copy;
  };
  for (const Expr& child : at.children) {
    if (child.type.kind == at.type.kind && child.type.list == at.type.list) out.push_back(replaced(child));
  }
  std::string literal = simpleLiteral(at.type);
  if (!literal.empty() && !(at.children.empty() && at.pattern == literal)) {
    out.push_back(replaced(atom(present(at.type), literal)));
  }
  for (size_t i = 0; i < at.children.size(); ++i) {
    path.push_back(i);
    collectCandidates(root, path, at.children[i], out);
    path.pop_back();
  }
}

}  // namespace

std::vector<Expr> shrinkCandidates(const Expr& expr) {
  std::vector<Expr> out;
  std::vector<size_t> path;
  collectCandidates(expr, path, expr, out);
  std::stable_sort(out.begin(), out.end(),
                   [](const Expr& a, const Expr& b) { return a.nodeCount() < b.nodeCount(); });
  return out;
}

// -------------------------------------------------------------- environment

namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;

int64_t timestampOf(const std::string& text) { return *runtime::parseTimestamp(text); }

Value randomValue(Kind kind, Random& random) {
  switch (kind) {
    case Kind::Bool: return Value::boolean(random.percent(50));
    case Kind::Int: {
      static const std::vector<int64_t> ints = {0, 1, -1, 2, 7, -7, 1000, 3037000500LL,
                                                std::numeric_limits<int64_t>::max(),
                                                std::numeric_limits<int64_t>::min(),
                                                std::numeric_limits<int64_t>::max() - 1,
                                                4611686018427387904LL};
      return Value::integer(random.pick(ints));
    }
    case Kind::Double: {
      static const std::vector<double> doubles = {
          0.0, -0.0, 1.5, -2.25, 0.1, 1e308, -1e308, 5e-324, 9007199254740993.0,
          std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
          std::numeric_limits<double>::quiet_NaN()};
      return Value::floating(random.pick(doubles));
    }
    case Kind::Decimal: {
      static const std::vector<runtime::Decimal> decimals = {
          {0, 0}, {150, 2}, {-125, 1}, {1, 3}, {999999999999999999LL, 0},
          {-999999999999999999LL, 0}, {1, 18}, {123456789123456789LL, 9}, {10000, 2}, {0, 2}};
      return Value::decimal(random.pick(decimals));
    }
    case Kind::String: {
      static const std::vector<std::string> strings = {"", "a", "abc", "Amélie", "ß", " x ", "toys"};
      return Value::string(random.pick(strings));
    }
    case Kind::Timestamp: return Value::timestamp(timestampOf(random.pick(kTimestamps)));
    case Kind::Duration: {
      static const std::vector<int64_t> micros = {0, 1, 1000000, 3600000000LL, kMicrosPerDay,
                                                  -kMicrosPerDay, 30 * kMicrosPerDay,
                                                  std::numeric_limits<int64_t>::max(),
                                                  std::numeric_limits<int64_t>::min() + 1};
      return Value::duration(random.pick(micros));
    }
    case Kind::Date: {
      static const std::vector<int64_t> days = {0, 19782, 19792, -719162, 2932896, 20029};
      return Value::date(random.pick(days));
    }
    case Kind::Enum:
    case Kind::Row: break;
  }
  return Value::null();
}

struct VariableSpec {
  const char* name;
  const char* celType;
  Kind kind;
  bool list;
};

const VariableSpec kVariables[] = {
    {"vb", "bool", Kind::Bool, false},          {"vi", "int", Kind::Int, false},
    {"vj", "int", Kind::Int, false},            {"vd", "double", Kind::Double, false},
    {"ve", "double", Kind::Double, false},      {"vm", "decimal", Kind::Decimal, false},
    {"vn", "decimal", Kind::Decimal, false},    {"vs", "string", Kind::String, false},
    {"vt", "timestamp", Kind::Timestamp, false}, {"vu", "timestamp", Kind::Timestamp, false},
    {"vdu", "duration", Kind::Duration, false}, {"vdt", "date", Kind::Date, false},
    {"vli", "list(int)", Kind::Int, true},      {"vld", "list(double)", Kind::Double, true},
    {"vlm", "list(decimal)", Kind::Decimal, true}, {"vls", "list(string)", Kind::String, true},
    {"vlt", "list(timestamp)", Kind::Timestamp, true},
    {"vlu", "list(duration)", Kind::Duration, true},
};

// The instants `now` takes: around daylight saving changes, and near the
// ends of the timestamp range, where `within` windows reach past them.
const std::vector<std::string> kNows = {"2024-03-10T07:30:00Z", "2024-11-03T06:30:00Z",
                                        "2024-03-31T01:30:00Z", "2024-10-27T01:30:00Z",
                                        "2018-03-01T15:00:00Z", "0001-01-02T00:00:00Z",
                                        "9999-12-31T00:00:00Z"};

}  // namespace

Environment randomEnvironment(Random& random) {
  Environment environment;
  environment.now = timestampOf(random.pick(kNows));
  for (const VariableSpec& spec : kVariables) {
    environment.declarations.emplace_back(spec.name, spec.celType);
    Type type = spec.list ? listOf(spec.kind) : scalar(spec.kind);
    environment.leaves.push_back({spec.name, type, false});
    // A variable left unbound reads as an error value.
    if (random.percent(1)) continue;
    if (!spec.list) {
      environment.bindings[spec.name] = randomValue(spec.kind, random);
      continue;
    }
    std::vector<Value> items;
    size_t count = random.below(4);
    for (size_t i = 0; i < count; ++i) items.push_back(randomValue(spec.kind, random));
    environment.bindings[spec.name] = Value::list(std::move(items));
  }
  return environment;
}

Environment restrictTo(const Environment& environment, const std::string& text) {
  Environment out;
  out.now = environment.now;
  for (const auto& [name, type] : environment.declarations) {
    if (!std::regex_search(text, std::regex("\\b" + name + "\\b"))) continue;
    out.declarations.emplace_back(name, type);
    auto it = environment.bindings.find(name);
    if (it != environment.bindings.end()) out.bindings[name] = it->second;
  }
  for (const Leaf& leaf : environment.leaves) {
    for (const auto& declaration : out.declarations) {
      if (declaration.first == leaf.text) out.leaves.push_back(leaf);
    }
  }
  return out;
}

std::string describe(const Environment& environment) {
  std::ostringstream out;
  out << "now: " << runtime::formatTimestamp(environment.now) << "\n";
  for (const auto& [name, type] : environment.declarations) {
    out << name << ": " << type << " = ";
    auto it = environment.bindings.find(name);
    out << (it != environment.bindings.end() ? runtime::encodeTagged(it->second) : "(unbound)")
        << "\n";
  }
  return out.str();
}

// ------------------------------------------------------------------ programs

namespace {

// The fixed part of every random program; schema() lists its entities'
// fields for the generator.
const char* const kSchema = R"(enum Tier { bronze, silver, gold }

customer entity Customer key id {
  id: string
  email: string?
  age: int?
  score: double?
  balance: decimal
  credit: decimal?
  tier: Tier
  level: Tier?
  vip: bool?
  born: date?
  joined: timestamp
  last_seen: timestamp?
  session: duration?
  visits: int
  referrer: Customer?
  orders: list<Order>
  events: list<Visit>
}

entity Order key order_id {
  order_id: string
  customer_id: string
  at: timestamp
  total: decimal
  quantity: int?
  discount: double?
  shipped: bool
  product: Product
  lines: list<Line>
}

entity Line key line_id {
  line_id: string
  order_id: string
  units: int
  price: decimal
}

catalog entity Product key sku levels(department) {
  sku: string
  department: string
  price: decimal
  rating: double?
}

event entity Visit key visit_id {
  visit_id: string
  customer_id: string
  at: timestamp
  page: string
  seconds: int?
}

// Customer times are New York wall-clock times and order times Paris ones,
// so that the data holds times in the gaps and overlaps of daylight saving
// changes. Visits carry their offsets.
source customers: Customer from csv("customers.csv") {
  null_values: [""]
  timestamp_format: "%Y-%m-%d %H:%M:%S"
  time_zone: "America/New_York"
  columns { id email age score balance credit tier level vip born joined last_seen session visits referrer }
}
source orders: Order from csv("orders.csv") {
  null_values: [""]
  timestamp_format: "%Y-%m-%d %H:%M:%S"
  time_zone: "Europe/Paris"
  parent: customer_id
  columns { order_id customer_id at total quantity discount shipped sku -> product }
}
source lines: Line from csv("lines.csv") {
  parent: order_id
  columns { line_id order_id units price }
}
source products: Product from csv("products.csv") {
  null_values: [""]
  columns { sku department price rating }
}
source visits: Visit from csv("visits.csv") {
  null_values: [""]
  parent: customer_id
  columns { visit_id customer_id at page seconds }
}

channel email { reachable: has(customer.email) }
channel web { reachable: true }

let spend = customer.orders.sum(o, o.total)
let last_order_at = customer.orders.max(o, o.at)
let order_count = customer.orders.size()
let recent_orders = customer.orders.filter(o, o.at within 30d)
)";

const std::vector<std::string> kDecimalTexts = {
    "0", "1.50", "-12.5", "100.00", "999999999999999999", "-999999999999999999",
    "0.000000000000000001", "123456789.123456789", "7", "1e2", "0.1", "19.99"};
const std::vector<std::string> kIntTexts = {"0", "1", "-1", "3", "42", "9223372036854775807",
                                            "-9223372036854775808"};
const std::vector<std::string> kDoubleTexts = {"0", "-0.0", "1.5", "NaN", "inf", "-inf",
                                               "1e308", "0.1", "-2.5"};
// Wall-clock times in the gap and the overlap of 2024's changes in New York
// (10 March, 3 November) and in Paris (31 March, 27 October).
const std::vector<std::string> kNewYorkTimes = {
    "2024-03-10 01:59:59", "2024-03-10 02:00:00", "2024-03-10 02:30:00", "2024-03-10 03:00:00",
    "2024-11-03 00:59:59", "2024-11-03 01:00:00", "2024-11-03 01:30:00", "2024-11-03 02:00:00",
    "0001-01-02 00:00:00", "9999-12-30 00:00:00"};
const std::vector<std::string> kParisTimes = {
    "2024-03-31 01:59:59", "2024-03-31 02:30:00", "2024-03-31 03:00:00", "2024-10-27 01:59:59",
    "2024-10-27 02:00:00", "2024-10-27 02:30:00", "2024-10-27 03:00:00", "2024-10-26 12:00:00",
    "2024-11-02 23:00:00", "2024-12-31 23:59:59"};
const std::vector<std::string> kVisitTimes = {
    "2024-03-10T02:30:00-05:00", "2024-10-27T02:30:00+01:00", "2024-10-27T02:30:00+02:00",
    "2024-11-03T01:30:00-04:00", "2024-11-03T01:30:00-05:00", "2024-11-01T00:00:00Z"};
const std::vector<std::string> kProgramNows = {"2024-11-03T06:30:00Z", "2024-03-31T01:30:00Z",
                                               "2024-10-27T01:30:00Z", "2024-03-10T07:30:00Z",
                                               "2024-11-15T00:00:00Z"};

std::string maybe(Random& random, int nullPercent, const std::string& text) {
  return random.percent(nullPercent) ? "" : text;
}

// A wall-clock time `days` days and some hours before `now`, in UTC's
// calendar: close to the recent windows (7d, 30d) that segments test.
std::string recentTime(int64_t now, Random& random) {
  int64_t micros = now - static_cast<int64_t>(random.below(45)) * kMicrosPerDay -
                   static_cast<int64_t>(random.below(24)) * 3600000000LL;
  std::string text = runtime::formatTimestamp(micros);  // YYYY-MM-DDTHH:MM:SSZ
  return text.substr(0, 10) + " " + text.substr(11, 8);
}

void setHeaders(ProgramCase& program) {
  program.products.header = {"sku", "department", "price", "rating"};
  program.customers.header = {"id", "email", "age", "score", "balance", "credit", "tier", "level",
                              "vip", "born", "joined", "last_seen", "session", "visits", "referrer"};
  program.orders.header = {"order_id", "customer_id", "at", "total", "quantity", "discount", "shipped", "sku"};
  program.lines.header = {"line_id", "order_id", "units", "price"};
  program.visits.header = {"visit_id", "customer_id", "at", "page", "seconds"};
}

// A customer row: nulls in most optional fields, extreme numbers, times
// around daylight saving changes, and a referrer that may match no row.
void addCustomer(ProgramCase& program, Random& random, const std::string& id, size_t customerCount) {
  const std::vector<std::string> tiers = {"bronze", "silver", "gold"};
  const std::vector<std::string> dates = {"2000-02-29", "0001-01-01", "9999-12-31", "2024-10-27",
                                          "1990-06-15"};
  // The loader reads the literal form of durations, without a sign.
  const std::vector<std::string> durations = {"0s", "1h30m", "90s", "2h", "1us"};
  std::string referrer;
  if (random.percent(50)) {
    referrer = random.percent(80) ? "c" + std::to_string(1 + random.below(customerCount)) : "zz";
  }
  program.customers.rows.push_back(
      {id, maybe(random, 40, id + "@example.test"), maybe(random, 30, random.pick(kIntTexts)),
       maybe(random, 30, random.pick(kDoubleTexts)), random.pick(kDecimalTexts),
       maybe(random, 50, random.pick(kDecimalTexts)), random.pick(tiers),
       maybe(random, 50, random.pick(tiers)),
       maybe(random, 30, random.percent(50) ? "true" : "false"),
       maybe(random, 40, random.pick(dates)),
       random.percent(50) ? random.pick(kNewYorkTimes) : recentTime(program.now, random),
       maybe(random, 40, random.percent(50) ? random.pick(kNewYorkTimes) : recentTime(program.now, random)),
       maybe(random, 50, random.pick(durations)), random.pick(kIntTexts), referrer});
}

// No orders, a few, or many, each with up to three lines; a few orders name
// a product that the catalog lacks.
void addOrders(ProgramCase& program, Random& random, const std::string& customer,
               size_t productCount) {
  size_t orderCount = random.percent(25) ? 0 : random.percent(10) ? 25 : 1 + random.below(5);
  for (size_t o = 0; o < orderCount; ++o) {
    std::string orderId = "o" + std::to_string(program.orders.rows.size() + 1);
    std::string sku = random.percent(8) ? "p404" : "p" + std::to_string(1 + random.below(productCount));
    program.orders.rows.push_back(
        {orderId, customer, random.percent(60) ? recentTime(program.now, random) : random.pick(kParisTimes),
         random.pick(kDecimalTexts), maybe(random, 30, random.pick(kIntTexts)),
         maybe(random, 50, random.pick(kDoubleTexts)), random.percent(50) ? "true" : "false", sku});
    size_t lineCount = random.below(4);
    for (size_t l = 0; l < lineCount; ++l) {
      program.lines.rows.push_back({"l" + std::to_string(program.lines.rows.size() + 1), orderId,
                                    random.pick(kIntTexts), random.pick(kDecimalTexts)});
    }
  }
}

void addVisits(ProgramCase& program, Random& random, const std::string& customer) {
  size_t visitCount = random.below(4);
  for (size_t v = 0; v < visitCount; ++v) {
    program.visits.rows.push_back({"v" + std::to_string(program.visits.rows.size() + 1), customer,
                                   random.pick(kVisitTimes), random.percent(50) ? "home" : "cart",
                                   maybe(random, 40, random.pick(kIntTexts))});
  }
}

void randomData(ProgramCase& program, Random& random) {
  setHeaders(program);
  size_t productCount = 2 + random.below(4);
  for (size_t i = 1; i <= productCount; ++i) {
    // "Cafe" with a combining acute accent, which the loader normalises to NFC.
    const std::vector<std::string> departments = {"toys", "home", "Cafe\u0301", "C"};
    program.products.rows.push_back({"p" + std::to_string(i), random.pick(departments),
                                     random.pick(kDecimalTexts),
                                     maybe(random, 30, random.pick(kDoubleTexts))});
  }

  size_t customerCount = 3 + random.below(14);
  for (size_t c = 1; c <= customerCount; ++c) {
    std::string id = "c" + std::to_string(c);
    addCustomer(program, random, id, customerCount);
    addOrders(program, random, id, productCount);
    addVisits(program, random, id);
  }
}

Scope customerScope() {
  Scope scope;
  addRowLeaves(scope, "customer", "Customer", false, 1);
  scope.values.push_back({"spend", scalar(Kind::Decimal), false});
  scope.values.push_back({"last_order_at", scalar(Kind::Timestamp, true), true});
  scope.values.push_back({"order_count", scalar(Kind::Int), false});
  scope.rowLists.push_back({"recent_orders", rowsOf("Order"), false});
  scope.rowLists.push_back({"catalog", rowsOf("Product"), false});
  return scope;
}

std::string csvText(const Table& table) {
  auto line = [](const std::vector<std::string>& fields) {
    std::string text;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) text += ',';
      text += fields[i];
    }
    return text + "\n";
  };
  std::string text = line(table.header);
  for (const auto& row : table.rows) text += line(row);
  return text;
}

}  // namespace

std::string ProgramCase::script() const {
  std::string text = kSchema;
  text += "channel sms { reachable: " + smsReachable.text() + " }\n\n";
  for (const auto& [name, value] : lets) text += "let " + name + " = " + value.text() + "\n";
  for (const auto& [name, value] : segments) text += "segment " + name + " = " + value.text() + "\n";
  for (const Campaign& campaign : campaigns) {
    text += "\ncampaign " + campaign.name + " {\n  audience: " + campaign.audience.text() +
            "\n  channels: ";
    for (size_t i = 0; i < campaign.channels.size(); ++i) {
      text += (i > 0 ? ", " : "") + campaign.channels[i];
    }
    text += "\n  priority: " + campaign.priority.text() + "\n";
    if (campaign.hasExpectedValue) text += "  expected_value: " + campaign.expectedValue.text() + "\n";
    if (!campaign.offer.empty()) {
      text += "  offer: " + campaign.offer + "\n";
      text += std::string("  on_empty_offer: ") + (campaign.sendOnEmptyOffer ? "send" : "skip") + "\n";
    }
    text += "}\n";
  }
  return text;
}

std::vector<std::pair<std::string, std::string>> ProgramCase::files() const {
  return {{"customers.csv", csvText(customers)},
          {"orders.csv", csvText(orders)},
          {"lines.csv", csvText(lines)},
          {"products.csv", csvText(products)},
          {"visits.csv", csvText(visits)}};
}

ProgramCase randomProgram(Random& random, const GeneratorOptions& options) {
  GeneratorOptions programOptions = options;
  programOptions.program = true;
  ExpressionGenerator generator(random, programOptions);
  ProgramCase program;
  program.now = timestampOf(random.pick(kProgramNows));
  randomData(program, random);

  Scope scope = customerScope();
  Type b = scalar(Kind::Bool);
  const std::vector<Type> letTypes = {
      scalar(Kind::Int),          scalar(Kind::Decimal),      scalar(Kind::Double),
      scalar(Kind::Double, true), scalar(Kind::Timestamp),    scalar(Kind::Duration),
      scalar(Kind::Int, true),    scalar(Kind::Decimal, true), scalar(Kind::Bool),
      scalar(Kind::Date, true),   scalar(Kind::Enum),         scalar(Kind::String)};
  size_t letCount = 1 + random.below(6);
  for (size_t i = 1; i <= letCount; ++i) {
    Expr value = generator.generate(random.pick(letTypes), scope);
    std::string name = "l" + std::to_string(i);
    program.lets.emplace_back(name, value);
    scope.values.push_back({name, value.type, value.type.optional});
  }
  size_t segmentCount = 10 + random.below(21);
  for (size_t i = 1; i <= segmentCount; ++i) {
    std::string name = "s" + std::to_string(i);
    program.segments.emplace_back(name, generator.generate(b, scope));
    // Later segments may read earlier ones.
    scope.values.push_back({name, b, false});
  }
  program.smsReachable = generator.generate(b, scope, 2);
  size_t campaignCount = 1 + random.below(4);
  const std::vector<std::string> channels = {"email", "sms", "web"};
  for (size_t i = 1; i <= campaignCount; ++i) {
    Campaign campaign;
    campaign.name = "k" + std::to_string(i);
    campaign.audience = random.percent(50)
                            ? atom(b, program.segments[random.below(program.segments.size())].first)
                            : generator.generate(b, scope, 3);
    std::vector<std::string> order = channels;
    for (size_t j = order.size(); j > 1; --j) std::swap(order[j - 1], order[random.below(j)]);
    campaign.channels.assign(order.begin(), order.begin() + static_cast<long>(1 + random.below(3)));
    campaign.priority = generator.generate(scalar(Kind::Int), scope, 2);
    campaign.hasExpectedValue = random.percent(60);
    Kind valueKind = random.pick(kNumberKinds);
    campaign.expectedValue = generator.generate(scalar(valueKind), scope, 2);
    if (random.percent(40)) {
      const std::vector<std::string> offers = {
          "customer.orders.top(2, o, o.at).map(o, o.product)",
          "catalog.filter(p, p.price > 1.0).top(2, p, p.price)",
          "catalog.filter(p, p.department == 'none')"};
      campaign.offer = random.pick(offers);
      campaign.sendOnEmptyOffer = random.percent(50);
    }
    program.campaigns.push_back(std::move(campaign));
  }
  return program;
}

ProgramCase emptyProgram(int64_t now) {
  ProgramCase program;
  program.now = now;
  setHeaders(program);
  program.smsReachable = atom(scalar(Kind::Bool), "true");
  return program;
}

Expr textExpr(const Type& type, const std::string& text) { return atom(type, text); }

std::vector<ProgramCase> shrinkCandidates(const ProgramCase& program) {
  std::vector<ProgramCase> out;
  for (size_t i = 0; i < program.campaigns.size(); ++i) {
    ProgramCase copy = program;
    copy.campaigns.erase(copy.campaigns.begin() + static_cast<long>(i));
    out.push_back(std::move(copy));
  }
  for (size_t i = program.segments.size(); i-- > 0;) {
    ProgramCase copy = program;
    copy.segments.erase(copy.segments.begin() + static_cast<long>(i));
    out.push_back(std::move(copy));
  }
  for (size_t i = program.lets.size(); i-- > 0;) {
    ProgramCase copy = program;
    copy.lets.erase(copy.lets.begin() + static_cast<long>(i));
    out.push_back(std::move(copy));
  }
  for (size_t i = 0; i < program.customers.rows.size(); ++i) {
    ProgramCase copy = program;
    std::string id = copy.customers.rows[i][0];
    copy.customers.rows.erase(copy.customers.rows.begin() + static_cast<long>(i));
    std::vector<std::string> removedOrders;
    std::erase_if(copy.orders.rows, [&](const std::vector<std::string>& row) {
      if (row[1] != id) return false;
      removedOrders.push_back(row[0]);
      return true;
    });
    std::erase_if(copy.lines.rows, [&](const std::vector<std::string>& row) {
      return std::find(removedOrders.begin(), removedOrders.end(), row[1]) != removedOrders.end();
    });
    std::erase_if(copy.visits.rows, [&](const std::vector<std::string>& row) { return row[1] == id; });
    out.push_back(std::move(copy));
  }
  for (size_t i = 0; i < program.orders.rows.size(); ++i) {
    ProgramCase copy = program;
    std::string id = copy.orders.rows[i][0];
    copy.orders.rows.erase(copy.orders.rows.begin() + static_cast<long>(i));
    std::erase_if(copy.lines.rows, [&](const std::vector<std::string>& row) { return row[1] == id; });
    out.push_back(std::move(copy));
  }
  for (const auto* table : {&program.lines, &program.visits}) {
    for (size_t i = 0; i < table->rows.size(); ++i) {
      ProgramCase copy = program;
      Table& target = table == &program.lines ? copy.lines : copy.visits;
      target.rows.erase(target.rows.begin() + static_cast<long>(i));
      out.push_back(std::move(copy));
    }
  }
  for (size_t i = 0; i < program.segments.size(); ++i) {
    for (Expr& smaller : shrinkCandidates(program.segments[i].second)) {
      ProgramCase copy = program;
      copy.segments[i].second = std::move(smaller);
      out.push_back(std::move(copy));
    }
  }
  for (Expr& smaller : shrinkCandidates(program.smsReachable)) {
    ProgramCase copy = program;
    copy.smsReachable = std::move(smaller);
    out.push_back(std::move(copy));
  }
  for (size_t i = 0; i < program.campaigns.size(); ++i) {
    for (Expr& smaller : shrinkCandidates(program.campaigns[i].audience)) {
      ProgramCase copy = program;
      copy.campaigns[i].audience = std::move(smaller);
      out.push_back(std::move(copy));
    }
  }
  return out;
}

}  // namespace crm::testing::random
