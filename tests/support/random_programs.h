// Random well-typed expressions and programs for the differential test of
// the engines. Expressions are built bottom-up with known static types, as
// trees of text patterns, so that a failing case can be shrunk by replacing
// a subexpression with one of its operands or with a simple literal.
// Programs are scripts over one fixed schema (customers with optional
// fields, orders with lines, a catalog, visits) with random segments,
// campaigns and CSV data.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "runtime/value.h"

namespace crm::testing::random {

// A seeded source of choices. std::mt19937_64 gives the same sequence with
// every standard library, which the distributions of <random> do not
// promise, so draws use a plain modulo.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  uint64_t next() { return engine_(); }
  // A number in [0, n); n must be positive.
  size_t below(size_t n) { return static_cast<size_t>(engine_() % n); }
  bool percent(int p) { return below(100) < static_cast<size_t>(p); }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

 private:
  std::mt19937_64 engine_;
};

enum class Kind : uint8_t { Bool, Int, Double, Decimal, String, Timestamp, Duration, Date, Enum, Row };

// A static type as the generator tracks it: a scalar, an entity's row, or
// a list of either, and whether it may be null.
struct Type {
  Kind kind = Kind::Bool;
  bool list = false;
  bool optional = false;
  std::string entity;  // Kind::Row: the entity

  bool operator==(const Type&) const = default;
};

// An expression as a tree: `pattern` is its text with "\x01" and a child's
// index (as one character, '0' + index) in place of each child.
struct Expr {
  Type type;
  std::string pattern;
  std::vector<Expr> children;

  std::string text() const;
  size_t nodeCount() const;
};

// A named expression the generator may use as a leaf: an external
// variable, a field path, a let or a segment. A `guardable` optional path
// may be proven present with `has()` or `!= null`.
struct Leaf {
  std::string text;
  Type type;
  bool guardable = false;
};

struct Scope {
  std::vector<Leaf> values;
  std::vector<Leaf> rowLists;          // lists of rows, such as `customer.orders`
  std::vector<Leaf> optionalRowLists;  // optional lists of rows, such as `customer.referrer?.orders`
};

struct GeneratorOptions {
  bool program = false;  // the schema's enum, rows and `has()` are available
  int maxDepth = 4;
  int errorPercent = 2;  // how often an operand is one that fails, such as `1 / 0`
};

class ExpressionGenerator {
 public:
  ExpressionGenerator(Random& random, GeneratorOptions options)
      : random_(random), options_(options) {}

  // An expression of exactly `type`, or of its non-optional form when
  // `type` is optional and the generator picks a present value.
  Expr generate(const Type& type, const Scope& scope);
  Expr generate(const Type& type, const Scope& scope, int depth);

 private:
  Expr generateAny(const Type& type, const Scope& scope, int depth);
  Expr pickLeafOrLiteral(const Type& type, const Scope& scope);
  Expr generateBool(const Scope& scope, int depth);
  Expr generateComparison(const Scope& scope, int depth);
  Expr generateGuard(const Scope& scope, int depth);
  Expr generateStringTest(const Scope& scope, int depth);
  Expr generateInt(const Scope& scope, int depth);
  Expr generateDouble(const Scope& scope, int depth);
  Expr generateDecimal(const Scope& scope, int depth);
  Expr generateString(const Scope& scope, int depth);
  Expr generateTimestamp(const Scope& scope, int depth);
  Expr generateDuration(const Scope& scope, int depth);
  Expr generateDate(const Scope& scope, int depth);
  Expr generateEnum(const Scope& scope, int depth);
  Expr generateOptional(const Type& type, const Scope& scope, int depth);
  Expr generateLatestField(const Type& type, const Scope& scope, int depth);
  Expr generateNullBranch(const Type& type, const Scope& scope, int depth);
  Expr generateNull(const Type& type);  // a null of `type`
  Expr generateList(const Type& type, const Scope& scope, int depth);
  // `source.NAME(x, body)` over a list of scalars or of rows.
  Expr generateMacro(const std::string& name, const Type& bodyType, const Type& result,
             const Scope& scope, int depth);
  // A list of rows to iterate over, sometimes filtered; `entity` empty for any.
  Expr generateRowSource(const Scope& scope, int depth, const std::string& entity = "",
                 bool allowFilter = true);
  Expr generateConditional(const Type& type, const Scope& scope, int depth);
  Expr generateCoalesce(const Type& type, const Scope& scope, int depth);
  Expr generateFailing(const Type& type);
  std::string newVariable(Kind kind);
  Scope assumePresent(const Scope& scope, const std::vector<std::string>& paths) const;
  // The scope of a macro's body: `name` bound to an element of `element`.
  Scope bindVariable(const Scope& scope, const std::string& name, const Type& element) const;

  Random& random_;
  GeneratorOptions options_;
  int variables_ = 0;
};

// A literal of `type` with the interesting values: extremes, zeros, NaN,
// infinities, scales, times around daylight saving changes.
std::string literalOf(const Type& type, Random& random, bool program);

// The smallest literal of `type`, which shrinking tries in place of a
// subexpression; empty when there is none.
std::string simpleLiteral(const Type& type);

// Every expression that replaces one subexpression of `expr` by one of its
// operands or by a simple literal, larger replacements first.
std::vector<Expr> shrinkCandidates(const Expr& expr);

// ---------------------------------------------------------------- expressions

// The external variables an expression may read, with their CEL types and
// values.
struct Environment {
  std::vector<std::pair<std::string, std::string>> declarations;
  std::map<std::string, runtime::Value> bindings;  // an unbound variable is an error value
  std::vector<Leaf> leaves;
  int64_t now = 0;
};

Environment randomEnvironment(Random& random);

// Keeps the declarations and bindings of the variables `text` names.
Environment restrictTo(const Environment& environment, const std::string& text);

// The environment as text, for a reproducer.
std::string describe(const Environment& environment);

// ------------------------------------------------------------------- programs

// The rows of one CSV file: a header and records, every field as text.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

struct Campaign {
  std::string name;
  Expr audience;
  std::vector<std::string> channels;
  Expr priority;
  bool hasExpectedValue = false;
  Expr expectedValue;
  std::string offer;  // empty without one
  bool sendOnEmptyOffer = false;
};

struct ProgramCase {
  int64_t now = 0;
  std::vector<std::pair<std::string, Expr>> lets;
  std::vector<std::pair<std::string, Expr>> segments;
  Expr smsReachable;
  std::vector<Campaign> campaigns;
  Table customers, orders, lines, products, visits;

  std::string script() const;
  // The CSV files the script's sources read, by file name.
  std::vector<std::pair<std::string, std::string>> files() const;
};

ProgramCase randomProgram(Random& random, const GeneratorOptions& options);

// A program with no segments, no campaigns, an always reachable sms channel
// and empty CSV files, for cases written by hand.
ProgramCase emptyProgram(int64_t now);

// An expression written by hand, of `type`, as one leaf.
Expr textExpr(const Type& type, const std::string& text);

// Smaller programs: without one campaign, segment, let, customer (and its
// children) or order, or with one segment's expression shrunk. Candidates
// that no longer check are left for the caller to reject.
std::vector<ProgramCase> shrinkCandidates(const ProgramCase& program);

}  // namespace crm::testing::random
