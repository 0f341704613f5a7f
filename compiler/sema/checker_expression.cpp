// Expression mode: one expression checked on its own, with variables that
// the caller declares, and CEL's typing of literals whose elements mix
// types.
#include <optional>
#include <string>

#include "compiler/sema/helpers.h"

namespace crm::sema::internal {

using ast::Type;
using ast::TypeKind;

namespace {

// `a.b.c` for a chain of plain field selections that starts at an
// identifier; nothing for any other expression.
std::optional<std::string> qualifiedName(const ast::Expr& expr) {
  if (expr.kind == ast::ExprKind::Ident) {
    return ast::as<ast::Ident>(expr).name;
  }
  if (expr.kind != ast::ExprKind::Select) {
    return std::nullopt;
  }
  const auto& select = ast::as<ast::Select>(expr);
  if (select.optionalChain || !isIdentifier(select.field.text)) {
    return std::nullopt;
  }
  auto base = qualifiedName(*select.operand);
  if (!base) {
    return std::nullopt;
  }
  return *base + "." + select.field.text;
}

const ast::Ident& rootOf(const ast::Select& select) {
  const ast::Expr* expr = &select;
  while (expr->kind == ast::ExprKind::Select) {
    expr = ast::as<ast::Select>(*expr).operand.get();
  }
  return ast::as<ast::Ident>(*expr);
}

}  // namespace

void Checker::checkExpressionMode() {
  resolveExternals();
  if (program_.expression == nullptr) {
    return;  // it did not parse, but the caller still reads the externals' types
  }
  cel_ = program_.celMode;
  check(*program_.expression);
  cel_ = false;
}

// Resolves the declared types of the externals and reports names declared
// twice or also declared by a script.
void Checker::resolveExternals() {
  celTypeNames_ = true;
  for (External& external : program_.externals) {
    if (external.type == nullptr) {
      external.type = resolveType(external.typeRef);
    }
    const std::string& name = external.name.text;
    auto [first, inserted] = externals_.emplace(name, &external);
    if (!inserted) {
      diagnostics_.report(diag::Code::E0101, external.name.range,
                          "variable `" + name + "` is declared twice")
          .note(first->second->name.range, "first declared here")
          .withHelp("remove one of the declarations");
      continue;
    }
    auto global = globals_.find(name);
    if (global != globals_.end()) {
      diagnostics_.report(diag::Code::E0101, external.name.range,
                          "variable `" + name + "` has the name of a " +
                              ast::spelling(global->second->kind) + " of the script")
          .note(global->second->name.range, "declared here")
          .withHelp("rename the variable");
    }
  }
  celTypeNames_ = false;
}

// The external of that name, or null inside a declaration's body: the
// scripts' declarations never see the externals.
const External* Checker::findExternal(const std::string& name) const {
  if (!dependencyStack_.empty()) {
    return nullptr;
  }
  auto found = externals_.find(name);
  return found == externals_.end() ? nullptr : found->second;
}

// Resolves the chain `a.b.c` as one variable when a variable of that whole
// name is declared and no macro variable hides its first identifier. The
// checker reaches the outermost selection of a chain first, so the longest
// declared prefix wins.
bool Checker::resolveQualifiedName(ast::Select& select, const Type*& type) {
  if (externals_.empty()) {
    return false;
  }
  auto name = qualifiedName(select);
  if (!name) {
    return false;
  }
  const External* external = findExternal(*name);
  if (external == nullptr || findVariable(rootOf(select).name) != nullptr) {
    return false;
  }
  select.externalName = *name;
  type = external->type != nullptr ? external->type : types_.error();
  return true;
}

// The element type of a CEL list or map literal that contains values of
// types `a` and `b`: their common type, T? for T and null, int widened to decimal,
// lists and maps of joined element types, and dyn for any other mix.
const Type* Checker::joinElements(const Type* a, const Type* b) {
  if (a == b) return a;
  if (a->isDyn() || b->isDyn()) return types_.dyn();
  if (a->is(TypeKind::Null)) return types_.optional(b);
  if (b->is(TypeKind::Null)) return types_.optional(a);
  if (a->isOptional() || b->isOptional()) {
    return types_.optional(joinElements(a->unwrapped(), b->unwrapped()));
  }
  if (const Type* numeric = numericResult(a, b, types_)) return numeric;
  if (a->is(TypeKind::List) && b->is(TypeKind::List)) {
    return types_.list(joinElements(a->element, b->element));
  }
  if (a->is(TypeKind::Map) && b->is(TypeKind::Map)) {
    return types_.map(joinElements(a->element, b->element), joinElements(a->value, b->value));
  }
  return types_.dyn();
}

// A list literal in CEL mode. The expected element type, when the context
// gives one, only guides the elements, such as a bare enum value or a
// decimal literal. The list's type joins the types the elements have. Empty
// literals among the elements are checked last and take the type of the
// others, so `[[], [1]]` is a `list<list<int>>`.
const Type* Checker::checkCelList(ast::ListLiteral& list, const Type* elementExpected) {
  if (list.elements.empty()) {
    return types_.list(elementExpected != nullptr ? elementExpected : types_.dyn());
  }
  const Type* element = nullptr;
  for (bool emptyPass : {false, true}) {
    for (auto& item : list.elements) {
      if (isEmptyLiteral(*item) != emptyPass) continue;
      const Type* type = check(*item, elementExpected != nullptr ? elementExpected : element);
      if (type->isError()) {
        return types_.error();
      }
      if (element != nullptr && promoteLiteral(*item, element)) type = types_.decimal();
      element = element == nullptr ? type : joinElements(element, type);
    }
  }
  return types_.list(element);
}

// A map literal in CEL mode: keys and values are joined separately, as the
// elements of a list are, and empty literals among the values come last.
const Type* Checker::checkCelMap(ast::MapLiteral& map, const Type* keyExpected,
                                 const Type* valueExpected) {
  if (map.entries.empty()) {
    return types_.map(keyExpected != nullptr ? keyExpected : types_.dyn(),
                      valueExpected != nullptr ? valueExpected : types_.dyn());
  }
  const Type* key = nullptr;
  const Type* value = nullptr;
  for (bool emptyPass : {false, true}) {
    for (auto& [keyExpr, valueExpr] : map.entries) {
      if (isEmptyLiteral(*valueExpr) != emptyPass) continue;
      const Type* k = check(*keyExpr, keyExpected != nullptr ? keyExpected : key);
      const Type* v = check(*valueExpr, valueExpected != nullptr ? valueExpected : value);
      if (k->isError() || v->isError()) {
        return types_.error();
      }
      if (value != nullptr && promoteLiteral(*valueExpr, value)) v = types_.decimal();
      key = key == nullptr ? k : joinElements(key, k);
      value = value == nullptr ? v : joinElements(value, v);
    }
  }
  if (!key->is(TypeKind::String) && !key->is(TypeKind::Int) && !key->is(TypeKind::Bool) &&
      !key->isDyn()) {
    diagnostics_.report(diag::Code::E0208, map.range,
                        "map keys must be string, int or bool, not " + quoted(key));
    return types_.error();
  }
  return types_.map(key, value);
}

// Whether CEL mode lets `==` compare values of types `a` and `b`: a dyn on
// either side, null with an optional, numbers that compare by value, and
// lists, sets or maps whose elements are comparable in turn. Values of
// different types are then simply unequal at run time.
bool Checker::comparable(const Type* a, const Type* b) const {
  if (a->isDyn() || b->isDyn()) return true;
  if (a->is(TypeKind::Null) || b->is(TypeKind::Null)) {
    return a->isOptional() || b->isOptional() || a == b;
  }
  a = a->unwrapped();
  b = b->unwrapped();
  if (a == b || comparableNumbers(a, b)) return true;
  bool lists = a->is(TypeKind::List) && b->is(TypeKind::List);
  bool sets = a->is(TypeKind::Set) && b->is(TypeKind::Set);
  if (lists || sets) return comparable(a->element, b->element);
  if (a->is(TypeKind::Map) && b->is(TypeKind::Map)) {
    return comparable(a->element, b->element) && comparable(a->value, b->value);
  }
  return false;
}

}  // namespace crm::sema::internal
