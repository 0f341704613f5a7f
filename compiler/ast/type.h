// The types of the language. Types are interned by a TypeContext, so two
// types are equal exactly when their pointers are equal.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace crm::ast {

struct Decl;

enum class TypeKind {
  Error,  // the type of an expression that already has a diagnostic
  Null,
  Bool,
  Int,
  Double,
  Decimal,
  String,
  Date,
  Timestamp,
  Duration,
  // A value of any type, known only at run time. Only expressions checked
  // in CEL mode have it: a list or map literal whose elements have no
  // common type, and variables declared `dyn`.
  Dyn,
  List,
  Set,
  Map,
  Optional,
  Enum,
  Record,
  Entity,
};

struct Type {
  TypeKind kind = TypeKind::Error;
  const Type* element = nullptr;  // List, Set, Optional; the key of a Map
  const Type* value = nullptr;    // Map
  const Decl* decl = nullptr;     // Enum, Record, Entity

  bool is(TypeKind k) const { return kind == k; }
  bool isError() const { return kind == TypeKind::Error; }
  bool isOptional() const { return kind == TypeKind::Optional; }
  bool isDyn() const { return kind == TypeKind::Dyn; }
  bool isNumeric() const {
    return kind == TypeKind::Int || kind == TypeKind::Double || kind == TypeKind::Decimal;
  }
  bool isCollection() const {
    return kind == TypeKind::List || kind == TypeKind::Set || kind == TypeKind::Map;
  }
  // The value type under an Optional; the type itself otherwise.
  const Type* unwrapped() const { return kind == TypeKind::Optional ? element : this; }
};

class TypeContext {
 public:
  TypeContext();

  const Type* error() const { return scalar(TypeKind::Error); }
  const Type* null() const { return scalar(TypeKind::Null); }
  const Type* boolean() const { return scalar(TypeKind::Bool); }
  const Type* integer() const { return scalar(TypeKind::Int); }
  const Type* floating() const { return scalar(TypeKind::Double); }
  const Type* decimal() const { return scalar(TypeKind::Decimal); }
  const Type* string() const { return scalar(TypeKind::String); }
  const Type* date() const { return scalar(TypeKind::Date); }
  const Type* timestamp() const { return scalar(TypeKind::Timestamp); }
  const Type* duration() const { return scalar(TypeKind::Duration); }
  const Type* dyn() const { return scalar(TypeKind::Dyn); }
  const Type* scalar(TypeKind kind) const { return scalars_.at(static_cast<size_t>(kind)).get(); }

  const Type* list(const Type* element);
  const Type* set(const Type* element);
  const Type* map(const Type* key, const Type* value);
  // T? for a T that is not already optional, null or dyn; T itself otherwise.
  const Type* optional(const Type* inner);
  const Type* named(TypeKind kind, const Decl* decl);

 private:
  const Type* intern(TypeKind kind, const Type* element, const Type* value, const Decl* decl);

  std::vector<std::unique_ptr<Type>> scalars_;
  std::map<std::tuple<TypeKind, const Type*, const Type*, const Decl*>, std::unique_ptr<Type>>
      composites_;
};

// The type as a script writes it: `list<Order>`, `int?`, `map<string, int>`.
std::string toString(const Type* type);

}  // namespace crm::ast
