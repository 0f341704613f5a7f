// Helpers shared by the checker's files.
#pragma once

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "compiler/sema/checker.h"

namespace crm::sema::internal {

// Whether values of `type` have an order for `<`, min, max and top. A dyn
// value may have one, so the run time decides.
inline bool isOrdered(const ast::Type* type) {
  switch (type->kind) {
    case ast::TypeKind::Bool: case ast::TypeKind::Int: case ast::TypeKind::Double:
    case ast::TypeKind::Decimal: case ast::TypeKind::String: case ast::TypeKind::Date:
    case ast::TypeKind::Timestamp: case ast::TypeKind::Duration: case ast::TypeKind::Enum:
    case ast::TypeKind::Dyn:
      return true;
    default:
      return false;
  }
}

// Whether `text` is spelled as an identifier: an ASCII letter or `_`, then
// letters, digits and `_`.
inline bool isIdentifier(const std::string& text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) {
    return false;
  }
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

inline std::string quoted(const ast::Type* type) { return "`" + ast::toString(type) + "`"; }

template <typename Items, typename NameOf>
std::vector<std::string> namesOf(const Items& items, NameOf nameOf) {
  std::vector<std::string> names;
  for (const auto& item : items) names.push_back(nameOf(item));
  return names;
}

inline void suggest(diag::Diagnostic& diagnostic, const std::string& name,
             const std::vector<std::string>& candidates) {
  if (auto suggestion = diag::closestMatch(name, candidates)) {
    diagnostic.withHelp("did you mean `" + *suggestion + "`?");
  }
}

enum class ValueKind { Bool, Int, Number, String, StringList, Name, Names, Duration, TimeRange,
                       TimeOfDay, Rate, Any };

struct PropertySpec {
  const char* name;
  ValueKind kind;
  bool required = false;
};

// The common type of two numeric operands: int with decimal widens exactly
// to decimal; any other mix needs an explicit conversion.
inline const ast::Type* numericResult(const ast::Type* a, const ast::Type* b,
                                      ast::TypeContext& types) {
  if (a == b) {
    return a;
  }
  bool decimalMix = (a->is(ast::TypeKind::Decimal) && b->is(ast::TypeKind::Int)) ||
                    (a->is(ast::TypeKind::Int) && b->is(ast::TypeKind::Decimal));
  return decimalMix ? types.decimal() : nullptr;
}

// Whether numbers of types `a` and `b` compare by value with `==` and `<`:
// any two numeric types except a double with a decimal.
inline bool comparableNumbers(const ast::Type* a, const ast::Type* b) {
  return a->isNumeric() && b->isNumeric() &&
         !(a->is(ast::TypeKind::Double) && b->is(ast::TypeKind::Decimal)) &&
         !(a->is(ast::TypeKind::Decimal) && b->is(ast::TypeKind::Double));
}

// `[]` or `{}`: a literal that fits any list or map type.
inline bool isEmptyLiteral(const ast::Expr& expr) {
  return (expr.kind == ast::ExprKind::List && ast::as<ast::ListLiteral>(expr).elements.empty()) ||
         (expr.kind == ast::ExprKind::Map && ast::as<ast::MapLiteral>(expr).entries.empty());
}

// Checks the properties of a block against its specification: unknown and
// duplicate names, missing required ones, and the form of each value. Returns
// the properties by name for the block's own rules.
std::map<std::string, ast::Property*> checkProperties(
    Checker& checker, std::vector<ast::Property>& properties, const std::vector<PropertySpec>& specs,
    const std::string& block, ast::SourceRange blockName);

}  // namespace crm::sema::internal
