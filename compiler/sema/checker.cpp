// Type checking of expressions other than operators: literals, names,
// field selection, indexing, conditionals and literals of lists, maps and
// records.
#include "compiler/sema/checker.h"

#include <algorithm>

#include "compiler/sema/helpers.h"

namespace crm::sema {

void check(Program& program, ast::TypeContext& types, diag::DiagnosticEngine& diagnostics) {
  internal::Checker checker(program, types, diagnostics);
  checker.run();
}

namespace internal {

using ast::BinaryOp;
using ast::Type;
using ast::TypeKind;

const Type* Checker::check(ast::Expr& expr, const Type* expected) {
  const Type* type = types_.error();
  switch (expr.kind) {
    case ast::ExprKind::Literal: {
      auto& literal = ast::as<ast::Literal>(expr);
      switch (literal.literalKind) {
        case ast::LiteralKind::Int:
          // 9223372036854775808 only exists as the operand of a minus.
          if (literal.intValue < 0 && literal.text.rfind("-", 0) != 0) {
            diagnostics_.report(diag::Code::E0012, literal.range,
                                "integer literal `" + literal.text + "` is out of the int range")
                .withHelp("int holds -9223372036854775808 to 9223372036854775807");
          }
          type = types_.integer();
          break;
        case ast::LiteralKind::Double: type = types_.floating(); break;
        case ast::LiteralKind::String: type = types_.string(); break;
        case ast::LiteralKind::Bool: type = types_.boolean(); break;
        case ast::LiteralKind::Null: type = types_.null(); break;
        case ast::LiteralKind::Duration: type = types_.duration(); break;
        case ast::LiteralKind::Date: type = types_.date(); break;
        case ast::LiteralKind::Timestamp: type = types_.timestamp(); break;
      }
      if (expected != nullptr && expected->unwrapped()->is(TypeKind::Decimal) &&
          (literal.literalKind == ast::LiteralKind::Double ||
           literal.literalKind == ast::LiteralKind::Int)) {
        literal.asDecimal = true;
        type = types_.decimal();
      }
      break;
    }
    case ast::ExprKind::Ident: type = checkIdent(ast::as<ast::Ident>(expr), expected); break;
    case ast::ExprKind::Select: type = checkSelect(ast::as<ast::Select>(expr)); break;
    case ast::ExprKind::Index: type = checkIndex(ast::as<ast::Index>(expr)); break;
    case ast::ExprKind::Call: type = checkCall(ast::as<ast::Call>(expr), expected); break;
    case ast::ExprKind::List: type = checkList(ast::as<ast::ListLiteral>(expr), expected); break;
    case ast::ExprKind::Map: type = checkMap(ast::as<ast::MapLiteral>(expr), expected); break;
    case ast::ExprKind::Unary: type = checkUnary(ast::as<ast::Unary>(expr)); break;
    case ast::ExprKind::Binary: type = checkBinary(ast::as<ast::Binary>(expr), expected); break;
    case ast::ExprKind::Conditional:
      type = checkConditional(ast::as<ast::Conditional>(expr), expected);
      break;
  }
  // Inside `has(p) && ...`, `p != null ? ... : ...` and the like, the path
  // p is known to be present.
  if (type->isOptional() && !narrowed_.empty() &&
      (expr.kind == ast::ExprKind::Ident || expr.kind == ast::ExprKind::Select)) {
    auto path = pathOf(expr);
    if (path && isNarrowed(*path)) {
      type = type->unwrapped();
    }
  }
  expr.type = type;
  return type;
}

const Type* Checker::checkIdent(ast::Ident& ident, const Type* expected) {
  if (const Variable* variable = findVariable(ident.name)) {
    ident.binding = ast::Binding::Variable;
    return variable->type;
  }
  if (const External* external = findExternal(ident.name)) {
    ident.binding = ast::Binding::External;
    return external->type != nullptr ? external->type : types_.error();
  }
  if (implicitElement_ != nullptr) {
    if (const ast::FieldDecl* field = implicitElement_->field(ident.name)) {
      ident.binding = ast::Binding::ImplicitField;
      return field->type != nullptr ? field->type : types_.error();
    }
  }
  if (ident.name == "now") {
    ident.binding = ast::Binding::Now;
    return types_.timestamp();
  }
  // An expression checked without a script has no schema, so these names
  // are unknown there.
  if ((ident.name == "customer" || ident.name == "catalog") && hasSchema()) {
    bool isCustomer = ident.name == "customer";
    const ast::EntityDecl* entity = isCustomer ? customer_ : catalog_;
    if (entity == nullptr) {
      diagnostics_.report(diag::Code::E0108, ident.range,
                          "`" + ident.name + "` is used but no " + ident.name +
                              " entity is declared")
          .withHelp(std::string("declare one with `") + (isCustomer ? "customer" : "catalog") +
                    " entity NAME key FIELD { ... }`");
      return types_.error();
    }
    ident.binding = isCustomer ? ast::Binding::Customer : ast::Binding::Catalog;
    const Type* entityType = types_.named(TypeKind::Entity, entity);
    return isCustomer ? entityType : types_.list(entityType);
  }
  auto global = globals_.find(ident.name);
  if (global != globals_.end()) {
    ast::Decl* decl = global->second;
    ident.decl = decl;
    switch (decl->kind) {
      case ast::DeclKind::Segment:
      case ast::DeclKind::Let:
        noteUse(decl);
        ident.binding = decl->kind == ast::DeclKind::Segment ? ast::Binding::Segment
                                                              : ast::Binding::Let;
        return valueTypeOf(*decl);
      case ast::DeclKind::Enum: {
        // `Tier.gold` is checked by checkSelect; a bare enum name is no value.
        ident.binding = ast::Binding::EnumType;
        const auto& enumDecl = ast::as<ast::EnumDecl>(*decl);
        diagnostics_.report(diag::Code::E0201, ident.range,
                            "`" + ident.name + "` is an enum, not a value")
            .withHelp("name one of its values, such as `" + ident.name + "." +
                      (enumDecl.values.empty() ? std::string("value")
                                               : enumDecl.values.front().text) +
                      "`");
        return types_.error();
      }
      default:
        diagnostics_.report(diag::Code::E0201, ident.range,
                            "`" + ident.name + "` is a " + ast::spelling(decl->kind) +
                                ", not a value")
            .note(decl->name.range, "declared here")
            .withHelp(decl->kind == ast::DeclKind::Recommend
                          ? "call it: `" + ident.name + "(...)`"
                          : "refer to a segment, let, field or variable here");
        return types_.error();
    }
  }
  // A bare enum value takes its enum from the context: `tier == gold`.
  if (expected != nullptr && expected->unwrapped()->is(TypeKind::Enum)) {
    const auto& enumDecl = ast::as<ast::EnumDecl>(*expected->unwrapped()->decl);
    for (const auto& value : enumDecl.values) {
      if (value.text == ident.name) {
        ident.binding = ast::Binding::EnumValue;
        ident.decl = &enumDecl;
        return expected->unwrapped();
      }
    }
  }
  if (broken_.count(ident.name) != 0) {
    return types_.error();  // its declaration already has a syntax error
  }
  auto& diagnostic =
      diagnostics_.report(diag::Code::E0102, ident.range, "unknown name `" + ident.name + "`");
  if (ident.name == "customer" || ident.name == "catalog") {
    diagnostic.withHelp("`" + ident.name + "` is defined only when the expression is checked "
                        "with a script that declares a " + ident.name + " entity");
    return types_.error();
  }
  // `has(a.b)` and `a?.b` select a field of `a`, so they do not read a
  // variable declared as `a.b`.
  for (const auto& [name, external] : externals_) {
    if (name.rfind(ident.name + ".", 0) == 0) {
      diagnostic.withHelp("`" + name + "` is a declared variable, which only a plain `" + name +
                          "` reads: `has()` and `?.` select a field of `" + ident.name + "`");
      return types_.error();
    }
  }
  if (diagnostics_.limitReached()) {
    return types_.error();  // the suggestion would not be shown, so skip the search
  }
  std::vector<std::string> candidates = visibleNames();
  // The declaration being defined is never suggested for a typo inside it.
  if (!dependencyStack_.empty()) {
    const std::string& self = dependencyStack_.back()->name.text;
    candidates.erase(std::remove(candidates.begin(), candidates.end(), self), candidates.end());
  }
  auto suggestion = diag::closestMatch(ident.name, candidates);
  if (!suggestion && customer_ != nullptr) {
    std::vector<std::string> fields;
    for (const auto& field : customer_->fields) fields.push_back(field.name.text);
    if (auto field = diag::closestMatch(ident.name, fields)) {
      suggestion = "customer." + *field;
    } else if (customer_->field(ident.name) != nullptr) {
      suggestion = "customer." + ident.name;
    }
  }
  if (suggestion) {
    diagnostic.withHelp("did you mean `" + *suggestion + "`?");
  }
  return types_.error();
}

bool Checker::requireValue(ast::Expr& operand, const Type* type, const char* usage) {
  if (type->isError()) {
    return false;
  }
  if (type->isOptional() || type->is(TypeKind::Null)) {
    std::string what = describe(operand);
    auto path = pathOf(operand);
    std::string guard = path ? "has(" + *path + ")" : "a check that it is present";
    diagnostics_.report(diag::Code::E0203, operand.range,
                        what + " is optional (" + ast::toString(type) + ") and cannot be used " +
                            usage + " without a check")
        .withHelp("guard it with `" + guard + " && ...`, give a default with `?? value`, or "
                  "use `?.` to keep it optional");
    return false;
  }
  return true;
}

const Type* Checker::checkSelect(ast::Select& select, bool presenceTest) {
  // `a.b.c` naming a declared variable. As in CEL, `has(a.b.c)` tests the
  // field `c` of `a.b` instead.
  if (const Type* external = nullptr; !presenceTest && resolveQualifiedName(select, external)) {
    return external;
  }
  // `Tier.gold`
  if (select.operand->kind == ast::ExprKind::Ident) {
    auto& ident = ast::as<ast::Ident>(*select.operand);
    auto global = globals_.find(ident.name);
    if (findVariable(ident.name) == nullptr && findExternal(ident.name) == nullptr &&
        global != globals_.end() &&
        global->second->kind == ast::DeclKind::Enum) {
      const auto& enumDecl = ast::as<ast::EnumDecl>(*global->second);
      ident.binding = ast::Binding::EnumType;
      ident.decl = &enumDecl;
      select.enumValue = true;
      for (const auto& value : enumDecl.values) {
        if (value.text == select.field.text) {
          return types_.named(TypeKind::Enum, &enumDecl);
        }
      }
      std::vector<std::string> names;
      for (const auto& value : enumDecl.values) names.push_back(value.text);
      auto& diagnostic = diagnostics_.report(
          diag::Code::E0112, select.field.range,
          "enum `" + enumDecl.name.text + "` has no value `" + select.field.text + "`");
      diagnostic.note(enumDecl.name.range, "the enum is declared here");
      if (auto suggestion = diag::closestMatch(select.field.text, names)) {
        diagnostic.withHelp("did you mean `" + *suggestion + "`?");
      }
      return types_.error();
    }
  }

  const Type* operand = check(*select.operand);
  if (operand->isError() || operand->isDyn()) {
    return operand;
  }
  bool optionalResult = false;
  if (operand->isOptional()) {
    // has(a.b.c) is false when a.b is absent, as if written with `?.`.
    if (select.optionalChain || presenceTest) {
      optionalResult = true;
    } else if (auto path = narrowed_.empty() ? std::nullopt : pathOf(*select.operand);
               !(path && isNarrowed(*path))) {
      requireValue(*select.operand, operand, "for field access");
      return types_.error();
    }
    operand = operand->unwrapped();
  }
  const Type* result = nullptr;
  if (operand->is(TypeKind::Record) || operand->is(TypeKind::Entity)) {
    const auto& record = static_cast<const ast::RecordDecl&>(*operand->decl);
    if (const ast::FieldDecl* field = record.field(select.field.text)) {
      result = field->type != nullptr ? field->type : types_.error();
    } else {
      std::vector<std::string> names;
      for (const auto& f : record.fields) names.push_back(f.name.text);
      auto& diagnostic = diagnostics_.report(
          diag::Code::E0104, select.field.range,
          "`" + record.name.text + "` has no field `" + select.field.text + "`");
      diagnostic.note(record.name.range, "`" + record.name.text + "` is declared here");
      if (auto suggestion = diag::closestMatch(select.field.text, names)) {
        diagnostic.withHelp("did you mean `" + *suggestion + "`?");
      }
      return types_.error();
    }
  } else if (operand->is(TypeKind::Map) &&
             (operand->element->is(TypeKind::String) || operand->element->isDyn())) {
    result = operand->value;
  } else {
    diagnostics_.report(diag::Code::E0104, select.field.range,
                        "a value of type " + quoted(operand) + " has no field `" +
                            select.field.text + "`")
        .withHelp(operand->isCollection()
                      ? "use a macro such as `.map(x, x." + select.field.text +
                            ")` to reach the field of each element"
                      : "fields exist on records, entities and maps with string keys");
    return types_.error();
  }
  return optionalResult ? types_.optional(result) : result;
}

const Type* Checker::checkIndex(ast::Index& index) {
  const Type* operand = check(*index.operand);
  if (!requireValue(*index.operand, operand, "with an index")) {
    check(*index.index);
    return types_.error();
  }
  if (operand->isDyn()) {
    check(*index.index);
    return operand;
  }
  if (operand->is(TypeKind::List)) {
    const Type* key = check(*index.index);
    if (!key->isError() && !key->is(TypeKind::Int) && !key->isDyn()) {
      diagnostics_.report(diag::Code::E0205, index.index->range,
                          "a list index must be an int, not " + quoted(key));
    }
    return operand->element;
  }
  if (operand->is(TypeKind::Map)) {
    const Type* key = check(*index.index, operand->element);
    if (!key->isError() && !assignable(*index.index, operand->element)) {
      diagnostics_.report(diag::Code::E0205, index.index->range,
                          "this map's keys are " + quoted(operand->element) + ", not " +
                              quoted(key));
    }
    return operand->value;
  }
  check(*index.index);
  diagnostics_.report(diag::Code::E0205, index.range,
                      "a value of type " + quoted(operand) + " cannot be indexed")
      .withHelp("only lists and maps take `[...]`");
  return types_.error();
}

const Type* Checker::checkUnary(ast::Unary& unary) {
  const Type* operand = check(*unary.operand);
  if (!requireValue(*unary.operand, operand,
                    unary.op == ast::UnaryOp::Not ? "with `!`" : "with `-`")) {
    return types_.error();
  }
  if (operand->isDyn()) {
    return unary.op == ast::UnaryOp::Not ? types_.boolean() : operand;
  }
  if (unary.op == ast::UnaryOp::Not) {
    if (!operand->is(TypeKind::Bool)) {
      diagnostics_.report(diag::Code::E0202, unary.range,
                          "`!` needs a bool, not " + quoted(operand));
      return types_.error();
    }
    return operand;
  }
  if (!operand->isNumeric() && !operand->is(TypeKind::Duration)) {
    diagnostics_.report(diag::Code::E0202, unary.range,
                        "`-` needs a number or a duration, not " + quoted(operand));
    return types_.error();
  }
  return operand;
}

const Type* Checker::unify(ast::Expr& a, ast::Expr& b, ast::SourceRange where, const char* what) {
  const Type* left = a.type;
  const Type* right = b.type;
  if (left->isError() || right->isError()) {
    return types_.error();
  }
  if (promoteLiteral(a, right)) left = types_.decimal();
  if (promoteLiteral(b, left)) right = types_.decimal();
  if (left == right) return left;
  if (left->isDyn() || right->isDyn()) return types_.dyn();
  if (left->is(TypeKind::Null)) return types_.optional(right);
  if (right->is(TypeKind::Null)) return types_.optional(left);
  if (left->unwrapped() == right->unwrapped()) return types_.optional(left->unwrapped());
  if (const Type* numeric = numericResult(left, right, types_)) return numeric;
  diagnostics_.report(diag::Code::E0201, where,
                      std::string(what) + " have different types: " + quoted(left) + " and " +
                          quoted(right))
      .note(a.range, "this is " + quoted(left))
      .note(b.range, "this is " + quoted(right));
  return types_.error();
}

const Type* Checker::checkConditional(ast::Conditional& conditional, const Type* expected) {
  const Type* condition = check(*conditional.condition);
  if (!condition->isError() && !condition->is(TypeKind::Bool) && !condition->isDyn()) {
    diagnostics_.report(diag::Code::E0201, conditional.condition->range,
                        "the condition of `? :` must be bool, not " + quoted(condition));
  }
  size_t mark = narrowed_.size();
  Facts whenTrue = factsWhenTrue(*conditional.condition);
  narrowed_.insert(narrowed_.end(), whenTrue.begin(), whenTrue.end());
  check(*conditional.then, expected);
  narrowed_.resize(mark);
  Facts whenFalse = factsWhenFalse(*conditional.condition);
  narrowed_.insert(narrowed_.end(), whenFalse.begin(), whenFalse.end());
  check(*conditional.otherwise, expected != nullptr ? expected : conditional.then->type);
  narrowed_.resize(mark);
  return unify(*conditional.then, *conditional.otherwise, conditional.range,
               "the branches of `? :`");
}

const Type* Checker::checkList(ast::ListLiteral& list, const Type* expected) {
  const Type* elementExpected = nullptr;
  if (expected != nullptr && (expected->unwrapped()->is(TypeKind::List) ||
                              expected->unwrapped()->is(TypeKind::Set))) {
    elementExpected = expected->unwrapped()->element;
  }
  if (cel_) {
    return checkCelList(list, elementExpected);
  }
  if (list.elements.empty()) {
    return elementExpected != nullptr ? types_.list(elementExpected) : types_.list(types_.null());
  }
  const Type* element = nullptr;
  for (auto& item : list.elements) {
    const Type* type = check(*item, elementExpected != nullptr ? elementExpected : element);
    if (type->isError()) {
      return types_.error();
    }
    if (element == nullptr) {
      element = type;
      continue;
    }
    if (promoteLiteral(*item, element)) type = types_.decimal();
    if (type == element) continue;
    if (element->is(TypeKind::Decimal) && type->is(TypeKind::Int)) continue;
    if (element->is(TypeKind::Int) && type->is(TypeKind::Decimal)) {
      element = type;
      continue;
    }
    diagnostics_.report(diag::Code::E0206, item->range,
                        "list elements must share one type: this one is " + quoted(type) +
                            " but the first is " + quoted(element))
        .note(list.elements.front()->range, "the first element");
    return types_.error();
  }
  return types_.list(element);
}

const Type* Checker::checkMap(ast::MapLiteral& map, const Type* expected) {
  if (expected != nullptr && (expected->unwrapped()->is(TypeKind::Record) ||
                              expected->unwrapped()->is(TypeKind::Entity))) {
    return checkRecordLiteral(map, expected->unwrapped());
  }
  const Type* keyExpected = nullptr;
  const Type* valueExpected = nullptr;
  if (expected != nullptr && expected->unwrapped()->is(TypeKind::Map)) {
    keyExpected = expected->unwrapped()->element;
    valueExpected = expected->unwrapped()->value;
  }
  if (cel_) {
    return checkCelMap(map, keyExpected, valueExpected);
  }
  const Type* key = keyExpected;
  const Type* value = valueExpected;
  for (auto& [keyExpr, valueExpr] : map.entries) {
    const Type* k = check(*keyExpr, key);
    const Type* v = check(*valueExpr, value);
    if (k->isError() || v->isError()) {
      return types_.error();
    }
    if (key == nullptr) key = k;
    if (value == nullptr) value = v;
    promoteLiteral(*valueExpr, value);
    if (keyExpr->type != key || valueExpr->type != value) {
      bool keyWrong = keyExpr->type != key;
      ast::Expr& wrong = keyWrong ? *keyExpr : *valueExpr;
      diagnostics_.report(diag::Code::E0206, wrong.range,
                          std::string("map ") + (keyWrong ? "keys" : "values") +
                              " must share one type: this one is " + quoted(wrong.type) +
                              ", expected " + quoted(keyWrong ? key : value));
      return types_.error();
    }
  }
  if (key == nullptr) {
    return types_.map(types_.string(), types_.null());
  }
  // An expected key type was already checked where it was declared.
  if (keyExpected == nullptr && !key->is(TypeKind::String) && !key->is(TypeKind::Int) &&
      !key->is(TypeKind::Bool)) {
    diagnostics_.report(diag::Code::E0208, map.range,
                        "map keys must be string, int or bool, not " + quoted(key));
    return types_.error();
  }
  return types_.map(key, value);
}

// `{at: 2026-01-10T10:00:00Z, total: 30.00}` where a record or entity is
// expected, as in test fixtures: keys name the fields.
const Type* Checker::checkRecordLiteral(ast::MapLiteral& map, const Type* recordType) {
  const auto& record = static_cast<const ast::RecordDecl&>(*recordType->decl);
  std::set<std::string> seen;
  for (auto& [keyExpr, valueExpr] : map.entries) {
    if (keyExpr->kind != ast::ExprKind::Ident) {
      diagnostics_.report(diag::Code::E0201, keyExpr->range,
                          "a `" + record.name.text + "` value names its fields: write `field: value`");
      continue;
    }
    const std::string& fieldName = ast::as<ast::Ident>(*keyExpr).name;
    keyExpr->type = types_.string();
    const ast::FieldDecl* field = record.field(fieldName);
    if (field == nullptr) {
      std::vector<std::string> names;
      for (const auto& f : record.fields) names.push_back(f.name.text);
      auto& diagnostic = diagnostics_.report(
          diag::Code::E0104, keyExpr->range,
          "`" + record.name.text + "` has no field `" + fieldName + "`");
      if (auto suggestion = diag::closestMatch(fieldName, names)) {
        diagnostic.withHelp("did you mean `" + *suggestion + "`?");
      }
      check(*valueExpr);
      continue;
    }
    if (!seen.insert(fieldName).second) {
      diagnostics_.report(diag::Code::E0109, keyExpr->range,
                          "field `" + fieldName + "` is given twice");
    }
    if (field->type != nullptr) {
      check(*valueExpr, field->type);
      requireAssignable(*valueExpr, field->type, "field `" + fieldName + "`");
    }
  }
  return recordType;
}

// Whether `expr`, already checked, can fill a slot of type `target`.
bool Checker::assignable(ast::Expr& expr, const Type* target) {
  const Type* type = expr.type;
  if (type == nullptr || type->isError() || target->isError() || type->isDyn() ||
      target->isDyn()) {
    return true;
  }
  promoteLiteral(expr, target);
  type = expr.type;
  if (type == target) return true;
  if (target->isOptional() && (type->is(TypeKind::Null) || type == target->unwrapped())) {
    return true;
  }
  const Type* want = target->unwrapped();
  if (want->is(TypeKind::Decimal) && type->is(TypeKind::Int)) return true;
  // An entity reference is written as the referenced entity's key.
  if (want->is(TypeKind::Entity)) {
    const auto& entity = ast::as<ast::EntityDecl>(*want->decl);
    const ast::FieldDecl* key = entity.field(entity.key.text);
    if (key != nullptr && key->type == type) return true;
  }
  // An empty list literal fits any list or set.
  if ((want->is(TypeKind::List) || want->is(TypeKind::Set)) && type->is(TypeKind::List) &&
      (type->element == want->element || type->element->is(TypeKind::Null))) {
    return true;
  }
  if (want->is(TypeKind::Map) && type->is(TypeKind::Map) && type->value->is(TypeKind::Null)) {
    return true;
  }
  return false;
}

void Checker::requireAssignable(ast::Expr& expr, const Type* target, const std::string& what) {
  if (!assignable(expr, target)) {
    auto& diagnostic = diagnostics_.report(
        diag::Code::E0201, expr.range,
        what + " must be " + quoted(target) + ", not " + quoted(expr.type));
    if (expr.type->isOptional() && expr.type->unwrapped() == target) {
      diagnostic.withHelp("give a default with `?? value`");
    }
  }
}

}  // namespace internal
}  // namespace crm::sema