#include "compiler/ast/type.h"

#include "compiler/ast/ast.h"

namespace crm::ast {

TypeContext::TypeContext() {
  for (int kind = 0; kind <= static_cast<int>(TypeKind::Dyn); ++kind) {
    auto type = std::make_unique<Type>();
    type->kind = static_cast<TypeKind>(kind);
    scalars_.push_back(std::move(type));
  }
}

const Type* TypeContext::intern(TypeKind kind, const Type* element, const Type* value,
                                const Decl* decl) {
  auto key = std::make_tuple(kind, element, value, decl);
  auto found = composites_.find(key);
  if (found != composites_.end()) {
    return found->second.get();
  }
  auto type = std::make_unique<Type>();
  type->kind = kind;
  type->element = element;
  type->value = value;
  type->decl = decl;
  const Type* result = type.get();
  composites_.emplace(key, std::move(type));
  return result;
}

const Type* TypeContext::list(const Type* element) {
  return intern(TypeKind::List, element, nullptr, nullptr);
}

const Type* TypeContext::set(const Type* element) {
  return intern(TypeKind::Set, element, nullptr, nullptr);
}

const Type* TypeContext::map(const Type* key, const Type* value) {
  return intern(TypeKind::Map, key, value, nullptr);
}

const Type* TypeContext::optional(const Type* inner) {
  if (inner->isOptional() || inner->is(TypeKind::Null) || inner->is(TypeKind::Dyn) ||
      inner->isError()) {
    return inner;
  }
  return intern(TypeKind::Optional, inner, nullptr, nullptr);
}

const Type* TypeContext::named(TypeKind kind, const Decl* decl) {
  return intern(kind, nullptr, nullptr, decl);
}

std::string toString(const Type* type) {
  if (type == nullptr) {
    return "<none>";
  }
  switch (type->kind) {
    case TypeKind::Error: return "<error>";
    case TypeKind::Null: return "null";
    case TypeKind::Bool: return "bool";
    case TypeKind::Int: return "int";
    case TypeKind::Double: return "double";
    case TypeKind::Decimal: return "decimal";
    case TypeKind::String: return "string";
    case TypeKind::Date: return "date";
    case TypeKind::Timestamp: return "timestamp";
    case TypeKind::Duration: return "duration";
    case TypeKind::Dyn: return "dyn";
    case TypeKind::List: return "list<" + toString(type->element) + ">";
    case TypeKind::Set: return "set<" + toString(type->element) + ">";
    case TypeKind::Map:
      return "map<" + toString(type->element) + ", " + toString(type->value) + ">";
    case TypeKind::Optional: return toString(type->element) + "?";
    case TypeKind::Enum:
    case TypeKind::Record:
    case TypeKind::Entity: return type->decl->name.text;
  }
  return "<unknown>";
}

}  // namespace crm::ast
