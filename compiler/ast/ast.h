// The abstract syntax tree of a .crm script. The parser builds it from the
// parse tree; the checker fills in types and name resolutions in place. Every
// node has a source range.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/type.h"
#include "compiler/source/source.h"

namespace crm::stdlib {
struct Signature;
}

namespace crm::ast {

using source::SourceRange;

struct Name {
  std::string text;
  SourceRange range;
};

struct TypeRef {
  SourceRange range;
  Name name;
  std::vector<TypeRef> arguments;
  bool optional = false;
};

// ---------------------------------------------------------------- expressions

enum class ExprKind { Literal, Ident, Select, Index, Call, List, Map, Unary, Binary, Conditional };

struct Expr {
  explicit Expr(ExprKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  ExprKind kind;
  SourceRange range;
  const Type* type = nullptr;  // set by the checker
  // Pairs of parentheses written around the expression, outside `range`.
  // Only the formatter reads it: the tree already encodes the grouping.
  uint32_t parentheses = 0;
};

using ExprPtr = std::unique_ptr<Expr>;

enum class LiteralKind { Int, Double, String, Bool, Null, Duration, Date, Timestamp };

struct Literal : Expr {
  explicit Literal(SourceRange r) : Expr(ExprKind::Literal, r) {}
  LiteralKind literalKind = LiteralKind::Null;
  // Int, Bool (0/1), Duration (microseconds), Date (days since 1970-01-01),
  // Timestamp (microseconds since 1970-01-01T00:00:00Z).
  int64_t intValue = 0;
  double doubleValue = 0;
  // The decoded text of a String, or the spelling of a Double. The spelling
  // lets the checker turn `500.00` into an exact decimal when it meets one.
  std::string text;
  bool asDecimal = false;  // a numeric literal the checker typed as decimal
};

// The meaning of an identifier, decided by the checker.
enum class Binding {
  Unresolved,
  Customer,     // the customer being evaluated
  Catalog,      // every row of the catalog entity
  Now,          // the run's fixed instant
  Segment,      // decl points at the SegmentDecl
  Let,          // decl points at the LetDecl
  Variable,     // a macro, trigger or parameter variable
  ImplicitField,  // a field of the element in a trigger's on(...) condition
  EnumValue,    // a bare enum value typed by its context
  EnumType,     // the enum in `Tier.gold`
  External,     // a variable declared by the caller of an expression check; `name` is its name
};

struct Decl;

struct Ident : Expr {
  explicit Ident(SourceRange r) : Expr(ExprKind::Ident, r) {}
  std::string name;
  Binding binding = Binding::Unresolved;
  const Decl* decl = nullptr;
};

struct Select : Expr {
  explicit Select(SourceRange r) : Expr(ExprKind::Select, r) {}
  ExprPtr operand;
  Name field;                  // without the backquotes of `m.`content-type``
  bool optionalChain = false;  // `a?.b`
  bool enumValue = false;      // `Tier.gold`, set by the checker
  // Set by the checker when the whole chain, such as `a.b.c`, names a
  // variable declared with dots in its name: this node reads that variable.
  // The operand subtree is then not checked and carries no types.
  std::string externalName;
};

struct Index : Expr {
  explicit Index(SourceRange r) : Expr(ExprKind::Index, r) {}
  ExprPtr operand;
  ExprPtr index;
};

struct Call : Expr {
  explicit Call(SourceRange r) : Expr(ExprKind::Call, r) {}
  ExprPtr target;  // the receiver of a method call; null for a global call
  Name function;
  bool optionalChain = false;  // `a?.f()`
  std::vector<ExprPtr> arguments;
  // Set by the checker. Null when a `dyn` argument leaves overloads with
  // different result types possible: the overload is then chosen by the
  // run-time types of the arguments.
  const stdlib::Signature* signature = nullptr;
  const Decl* callee = nullptr;                   // a called recommendation
};

struct ListLiteral : Expr {
  explicit ListLiteral(SourceRange r) : Expr(ExprKind::List, r) {}
  std::vector<ExprPtr> elements;
};

struct MapLiteral : Expr {
  explicit MapLiteral(SourceRange r) : Expr(ExprKind::Map, r) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> entries;
};

enum class UnaryOp { Not, Negate };

struct Unary : Expr {
  explicit Unary(SourceRange r) : Expr(ExprKind::Unary, r) {}
  UnaryOp op = UnaryOp::Not;
  ExprPtr operand;
};

enum class BinaryOp {
  Or,
  And,
  Coalesce,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  Equal,
  NotEqual,
  In,
  NotIn,
  Within,
  Add,
  Subtract,
  Multiply,
  Divide,
  Modulo,
};

const char* spelling(BinaryOp op);

struct Binary : Expr {
  explicit Binary(SourceRange r) : Expr(ExprKind::Binary, r) {}
  BinaryOp op = BinaryOp::Add;
  SourceRange opRange;
  ExprPtr lhs;
  ExprPtr rhs;
};

struct Conditional : Expr {
  explicit Conditional(SourceRange r) : Expr(ExprKind::Conditional, r) {}
  ExprPtr condition;
  ExprPtr then;
  ExprPtr otherwise;
};

// --------------------------------------------------------------- declarations

enum class DeclKind {
  Import,
  Enum,
  Record,
  Entity,
  Source,
  Let,
  Segment,
  Trigger,
  Recommend,
  Channel,
  Campaign,
  Pressure,
  Test,
};

const char* spelling(DeclKind kind);

struct Decl {
  explicit Decl(DeclKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Decl() = default;
  Decl(const Decl&) = delete;
  Decl& operator=(const Decl&) = delete;

  DeclKind kind;
  SourceRange range;
  Name name;  // empty for imports and unnamed pressure blocks
};

using DeclPtr = std::unique_ptr<Decl>;

struct ImportDecl : Decl {
  explicit ImportDecl(SourceRange r) : Decl(DeclKind::Import, r) {}
  std::string path;
  SourceRange pathRange;
};

struct EnumDecl : Decl {
  explicit EnumDecl(SourceRange r) : Decl(DeclKind::Enum, r) {}
  std::vector<Name> values;
};

struct FieldDecl {
  Name name;
  TypeRef typeRef;
  const Type* type = nullptr;  // set by the checker
};

enum class EntityRole { None, Customer, Catalog, Event };

// Records and entities share their field list; an entity adds a key and a role.
struct RecordDecl : Decl {
  explicit RecordDecl(SourceRange r, DeclKind k = DeclKind::Record) : Decl(k, r) {}
  std::vector<FieldDecl> fields;

  const FieldDecl* field(const std::string& fieldName) const;
};

struct EntityDecl : RecordDecl {
  explicit EntityDecl(SourceRange r) : RecordDecl(r, DeclKind::Entity) {}
  EntityRole role = EntityRole::None;
  Name key;
  std::vector<Name> levels;  // the catalog hierarchy, from the top level down
};

enum class PropertyForm { Expressions, Rate, TimeRange, TimeOfDay };

// `name: value` inside a channel, campaign, source or test block.
struct Property {
  Name name;
  SourceRange range;
  PropertyForm form = PropertyForm::Expressions;
  std::vector<ExprPtr> values;  // Expressions: one or more; Rate: the count
  Name unit;                    // Rate: `day` in `200 per day`
  int startMinute = 0;          // TimeRange, TimeOfDay: minutes after local midnight
  int endMinute = 0;
  bool local = false;
};

struct ColumnBinding {
  Name column;  // defaults to the field's name
  Name field;
  std::optional<TypeRef> typeRef;
  SourceRange range;
};

struct SourceDecl : Decl {
  explicit SourceDecl(SourceRange r) : Decl(DeclKind::Source, r) {}
  Name entity;
  ExprPtr format;  // csv("path"), jsonl("path"), sqlite(path, query), postgres(conninfo, query)
  std::vector<Property> options;
  std::vector<ColumnBinding> columns;
};

struct LetDecl : Decl {
  explicit LetDecl(SourceRange r) : Decl(DeclKind::Let, r) {}
  std::optional<TypeRef> typeRef;
  ExprPtr value;
};

struct SegmentDecl : Decl {
  explicit SegmentDecl(SourceRange r) : Decl(DeclKind::Segment, r) {}
  ExprPtr condition;
};

struct TriggerDecl : Decl {
  explicit TriggerDecl(SourceRange r) : Decl(DeclKind::Trigger, r) {}
  Name stream;
  ExprPtr onCondition;  // may be null: every element fires
  Name binder;
  ExprPtr when;
  ExprPtr after;
  std::optional<Name> unlessStream;
  ExprPtr unlessCondition;
  ExprPtr unlessWindow;
  const Type* elementType = nullptr;  // set by the checker
};

struct Param {
  Name name;
  TypeRef typeRef;
  ExprPtr defaultValue;
  const Type* type = nullptr;
};

struct RecommendDecl : Decl {
  explicit RecommendDecl(SourceRange r) : Decl(DeclKind::Recommend, r) {}
  std::vector<Param> params;
  TypeRef resultRef;
  ExprPtr body;
  const Type* resultType = nullptr;
};

struct ChannelDecl : Decl {
  explicit ChannelDecl(SourceRange r) : Decl(DeclKind::Channel, r) {}
  std::vector<Property> properties;
};

struct CampaignDecl : Decl {
  explicit CampaignDecl(SourceRange r) : Decl(DeclKind::Campaign, r) {}
  std::vector<Property> properties;
};

enum class PressureRuleKind { Cap, Rank, Exempt };

struct PressureScope {
  bool group = false;  // `in group NAME`; otherwise `on CHANNEL`
  Name name;
};

struct RankKey {
  Name name;
  bool descending = false;
};

struct PressureRule {
  PressureRuleKind kind = PressureRuleKind::Cap;
  SourceRange range;
  ExprPtr limit;                    // Cap
  std::optional<Name> calendarUnit; // Cap: `per calendar day`
  int64_t calendarCount = 1;        // Cap: 4 in `per 4 calendar days`
  ExprPtr window;                   // Cap: `per 7d`
  bool rolling = false;
  std::vector<PressureScope> scopes;
  std::vector<RankKey> rankKeys;    // Rank
  std::vector<Name> exempt;         // Exempt
};

struct PressureDecl : Decl {
  explicit PressureDecl(SourceRange r) : Decl(DeclKind::Pressure, r) {}
  std::vector<PressureRule> rules;
};

enum class TestItemKind {
  Property,
  Fixture,
  ExpectSend,
  ExpectNoSend,
  ExpectSegment,
  ExpectOffer,
  ExpectError,
  ExpectExpr,
};

struct FieldInit {
  Name name;
  ExprPtr value;
};

struct TestItem {
  TestItemKind kind = TestItemKind::Property;
  SourceRange range;
  Property property;               // Property
  Name target;                     // Fixture name, campaign or segment
  std::vector<FieldInit> fields;   // Fixture
  std::optional<Name> channel;     // ExpectSend
  ExprPtr expr;                    // ExpectOffer product, ExpectExpr condition
  std::string errorText;           // ExpectError
};

struct TestDecl : Decl {
  explicit TestDecl(SourceRange r) : Decl(DeclKind::Test, r) {}
  std::vector<TestItem> items;
};

// A `//` or `/* */` comment, kept for the formatter.
struct Comment {
  SourceRange range;  // the whole comment, delimiters included
  bool block = false;
};

// One parsed file.
struct Script {
  source::FileId file = source::kNoFile;
  std::vector<DeclPtr> decls;
  std::vector<Comment> comments;  // in source order
};

template <typename T>
const T& as(const Decl& decl) {
  return static_cast<const T&>(decl);
}
template <typename T>
T& as(Decl& decl) {
  return static_cast<T&>(decl);
}
template <typename T>
const T& as(const Expr& expr) {
  return static_cast<const T&>(expr);
}
template <typename T>
T& as(Expr& expr) {
  return static_cast<T&>(expr);
}

}  // namespace crm::ast
