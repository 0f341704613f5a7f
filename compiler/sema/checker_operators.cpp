// Type checking of operators: logic, comparisons, equality, membership and
// arithmetic, with CEL's rules for mixing numeric types.
#include <algorithm>

#include "compiler/sema/helpers.h"

namespace crm::sema::internal {

using ast::BinaryOp;
using ast::Type;
using ast::TypeKind;


const Type* Checker::checkBinary(ast::Binary& binary, const Type* expected) {
  switch (binary.op) {
    case BinaryOp::And:
    case BinaryOp::Or:
      return checkLogical(binary);
    case BinaryOp::Coalesce: {
      const Type* lhs = check(*binary.lhs, expected);
      const Type* rhs = check(*binary.rhs, lhs->unwrapped());
      if (lhs->isError() || rhs->isError()) {
        return types_.error();
      }
      if (lhs->isDyn() || rhs->isDyn()) {
        return types_.dyn();
      }
      if (!lhs->isOptional() && !lhs->is(TypeKind::Null)) {
        diagnostics_.report(diag::Code::E0202, binary.lhs->range,
                            describe(*binary.lhs) + " is never empty (" +
                                ast::toString(lhs) + "), so `??` has no effect")
            .withHelp("remove `?? ...`");
        return lhs;
      }
      promoteLiteral(*binary.rhs, lhs->unwrapped());
      // The default may itself be optional (`a ?? b ?? 0`); so is the result then.
      const Type* slot =
          lhs->is(TypeKind::Null) ? binary.rhs->type : types_.optional(lhs->unwrapped());
      if (!assignable(*binary.rhs, slot)) {
        auto& diagnostic = diagnostics_.report(
            diag::Code::E0201, binary.rhs->range,
            "the default of `??` must be " + quoted(lhs->unwrapped()) + ", not " +
                quoted(binary.rhs->type));
        if (binary.rhs->kind == ast::ExprKind::Binary && binary.rhs->type->is(TypeKind::Bool)) {
          diagnostic.withHelp("`??` binds looser than comparisons and arithmetic: write "
                              "`(x ?? default) > y`");
        }
        return types_.error();
      }
      return binary.rhs->type->isOptional() ? lhs : lhs->unwrapped();
    }
    case BinaryOp::Less:
    case BinaryOp::LessEqual:
    case BinaryOp::Greater:
    case BinaryOp::GreaterEqual:
      return checkComparison(binary);
    case BinaryOp::Equal:
    case BinaryOp::NotEqual:
      return checkEquality(binary);
    case BinaryOp::In:
    case BinaryOp::NotIn:
      return checkMembership(binary);
    case BinaryOp::Within: {
      const Type* lhs = check(*binary.lhs);
      const Type* rhs = check(*binary.rhs);
      bool ok = requireValue(*binary.lhs, lhs, "with `within`") &&
                requireValue(*binary.rhs, rhs, "as a window");
      if (ok && !lhs->is(TypeKind::Timestamp) && !lhs->is(TypeKind::Date) && !lhs->isDyn()) {
        diagnostics_.report(diag::Code::E0202, binary.lhs->range,
                            "`within` needs a timestamp or a date on its left, not " +
                                quoted(lhs));
        ok = false;
      }
      if (ok && !rhs->is(TypeKind::Duration) && !rhs->isDyn()) {
        diagnostics_.report(diag::Code::E0202, binary.rhs->range,
                            "`within` needs a duration such as 30d on its right, not " +
                                quoted(rhs));
        ok = false;
      }
      return ok ? types_.boolean() : types_.error();
    }
    default:
      return checkArithmetic(binary);
  }
}

const Type* Checker::checkLogical(ast::Binary& binary) {
  const Type* lhs = check(*binary.lhs);
  Facts facts = binary.op == BinaryOp::And ? factsWhenTrue(*binary.lhs)
                                           : factsWhenFalse(*binary.lhs);
  size_t mark = narrowed_.size();
  narrowed_.insert(narrowed_.end(), facts.begin(), facts.end());
  const Type* rhs = check(*binary.rhs);
  narrowed_.resize(mark);
  bool ok = true;
  for (auto [operand, type] : {std::pair{binary.lhs.get(), lhs}, {binary.rhs.get(), rhs}}) {
    if (type->isError()) {
      ok = false;
    } else if (!type->is(TypeKind::Bool) && !type->isDyn()) {
      diagnostics_.report(diag::Code::E0202, operand->range,
                          std::string("`") + ast::spelling(binary.op) +
                              "` needs bool operands, not " + quoted(type))
          .withHelp(type->isOptional() && type->unwrapped()->is(TypeKind::Bool)
                        ? "give a default with `?? false`"
                        : "compare the value to produce a bool");
      ok = false;
    }
  }
  return ok ? types_.boolean() : types_.error();
}

// Makes a numeric literal take the decimal type of the operand it meets, so
// that `o.total >= 500.00` compares decimals exactly.
bool Checker::promoteLiteral(ast::Expr& expr, const Type* target) {
  if (!target->unwrapped()->is(TypeKind::Decimal) || expr.kind != ast::ExprKind::Literal) {
    return false;
  }
  auto& literal = ast::as<ast::Literal>(expr);
  if (literal.literalKind != ast::LiteralKind::Double &&
      literal.literalKind != ast::LiteralKind::Int) {
    return false;
  }
  literal.asDecimal = true;
  literal.type = types_.decimal();
  return true;
}


const Type* Checker::checkComparison(ast::Binary& binary) {
  const Type* lhs = check(*binary.lhs);
  const Type* rhs = check(*binary.rhs, lhs->unwrapped());
  if (promoteLiteral(*binary.lhs, rhs)) lhs = types_.decimal();
  if (promoteLiteral(*binary.rhs, lhs)) rhs = types_.decimal();
  std::string usage = std::string("in a `") + ast::spelling(binary.op) + "` comparison";
  bool ok = requireValue(*binary.lhs, lhs, usage.c_str());
  ok = requireValue(*binary.rhs, rhs, usage.c_str()) && ok;
  if (!ok) {
    return types_.error();
  }
  bool numeric = lhs->isNumeric() && rhs->isNumeric() &&
                 !(lhs->is(TypeKind::Double) && rhs->is(TypeKind::Decimal)) &&
                 !(lhs->is(TypeKind::Decimal) && rhs->is(TypeKind::Double));
  bool dynamic = lhs->isDyn() || rhs->isDyn();
  if ((lhs == rhs && isOrdered(lhs)) || numeric || dynamic) {
    lintConstantComparison(binary);
    return types_.boolean();
  }
  auto& diagnostic = diagnostics_.report(
      diag::Code::E0202, binary.opRange,
      std::string("cannot order ") + quoted(lhs) + " and " + quoted(rhs) + " with `" +
          ast::spelling(binary.op) + "`");
  if (lhs->isNumeric() && rhs->isNumeric()) {
    diagnostic.withHelp("convert one side: `decimal(x)` compares exactly, `double(x)` approximately");
  }
  return types_.error();
}

// Whether `expr` is a bare name that resolves to nothing by itself, so that
// it can only be an enum value typed by the other operand: `gold == tier`.
bool Checker::isContextualName(const ast::Expr& expr) const {
  if (expr.kind != ast::ExprKind::Ident) return false;
  const std::string& name = ast::as<ast::Ident>(expr).name;
  return findVariable(name) == nullptr && findExternal(name) == nullptr &&
         globals_.count(name) == 0 && name != "customer" &&
         name != "catalog" && name != "now" &&
         (implicitElement_ == nullptr || implicitElement_->field(name) == nullptr);
}

const Type* Checker::checkEquality(ast::Binary& binary) {
  const Type* lhs = nullptr;
  const Type* rhs = nullptr;
  // A bare enum value or an empty literal on the left takes its type from
  // the right: `gold == tier`, `[] == customer.orders`.
  bool rightFirst = (isContextualName(*binary.lhs) && !isContextualName(*binary.rhs)) ||
                    (isEmptyLiteral(*binary.lhs) && !isEmptyLiteral(*binary.rhs));
  if (rightFirst) {
    rhs = check(*binary.rhs);
    lhs = check(*binary.lhs, rhs);
  } else {
    lhs = check(*binary.lhs);
    rhs = check(*binary.rhs, lhs);
  }
  if (promoteLiteral(*binary.lhs, rhs)) lhs = types_.decimal();
  if (promoteLiteral(*binary.rhs, lhs)) rhs = types_.decimal();
  if (lhs->isError() || rhs->isError()) {
    return types_.error();
  }
  const Type* a = lhs->unwrapped();
  const Type* b = rhs->unwrapped();
  // A path already known to be present may still be compared with null,
  // as in `x == null || x == null`: the comparison is then simply false.
  auto narrowedPath = [&](const ast::Expr& operand) {
    auto path = pathOf(operand);
    return path && isNarrowed(*path);
  };
  bool nullTest =
      (lhs->is(TypeKind::Null) &&
       (rhs->isOptional() || b->is(TypeKind::Null) || narrowedPath(*binary.rhs))) ||
      (rhs->is(TypeKind::Null) &&
       (lhs->isOptional() || a->is(TypeKind::Null) || narrowedPath(*binary.lhs)));
  bool numeric = a->isNumeric() && b->isNumeric() &&
                 !(a->is(TypeKind::Double) && b->is(TypeKind::Decimal)) &&
                 !(a->is(TypeKind::Decimal) && b->is(TypeKind::Double));
  bool dynamic = a->isDyn() || b->isDyn() || (cel_ && comparable(lhs, rhs));
  if (a == b || nullTest || numeric || dynamic) {
    lintConstantComparison(binary);
    return types_.boolean();
  }
  auto& diagnostic = diagnostics_.report(
      diag::Code::E0202, binary.opRange,
      std::string("cannot compare ") + quoted(lhs) + " with " + quoted(rhs) + " using `" +
          ast::spelling(binary.op) + "`");
  if (lhs->is(TypeKind::Null) || rhs->is(TypeKind::Null)) {
    diagnostic.withHelp("only optional values can be null; this comparison is always " +
                        std::string(binary.op == BinaryOp::Equal ? "false" : "true"));
  } else if (a->is(TypeKind::String) || b->is(TypeKind::String)) {
    diagnostic.withHelp("convert with `string(x)` or parse the string with `int(s)`, `date(s)`...");
  }
  return types_.error();
}

const Type* Checker::checkMembership(ast::Binary& binary) {
  // A list literal on the right takes its element type from the left, so
  // that `tier in [silver, gold]` names enum values. Otherwise the
  // collection types the left, as in `email in customer.consent`.
  const Type* rhs = nullptr;
  const Type* lhs = nullptr;
  const Type* element = nullptr;
  if (binary.rhs->kind == ast::ExprKind::List && !isContextualName(*binary.lhs)) {
    lhs = check(*binary.lhs);
    rhs = check(*binary.rhs, lhs->isError() ? nullptr : types_.list(lhs->unwrapped()));
  } else {
    rhs = check(*binary.rhs);
  }
  if (rhs->is(TypeKind::List) || rhs->is(TypeKind::Set) || rhs->is(TypeKind::Map)) {
    element = rhs->element;
  } else if (rhs->isDyn()) {
    element = rhs;
  }
  if (lhs == nullptr) {
    lhs = check(*binary.lhs, element);
  }
  if (lhs->isError() || rhs->isError()) {
    return types_.error();
  }
  std::string op = ast::spelling(binary.op);
  // A missing value is neither in nor not in a list. The script must decide
  // which it means, so an optional left side is rejected.
  if (!requireValue(*binary.lhs, lhs, ("with `" + op + "`").c_str()) ||
      !requireValue(*binary.rhs, rhs, ("on the right of `" + op + "`").c_str())) {
    return types_.error();
  }
  if (element == nullptr) {
    diagnostics_.report(diag::Code::E0202, binary.rhs->range,
                        "`" + op + "` needs a list, set or map on its right, not " +
                            quoted(rhs))
        .withHelp(rhs->is(TypeKind::String) ? "for a substring test use `s.contains(x)`"
                                            : "write the alternatives as a list: `[a, b]`");
    return types_.error();
  }
  promoteLiteral(*binary.lhs, element);
  lhs = binary.lhs->type;
  bool numeric = lhs->isNumeric() && element->isNumeric() &&
                 numericResult(lhs, element, types_) != nullptr;
  // Nothing is in an empty literal, whatever its type.
  bool anyElement = element->is(TypeKind::Null) || isEmptyLiteral(*binary.rhs) ||
                    lhs->isDyn() || element->isDyn() || (cel_ && comparable(lhs, element));
  if (lhs != element && !numeric && !anyElement) {
    diagnostics_.report(diag::Code::E0202, binary.opRange,
                        "cannot look for " + quoted(lhs) + " in " + quoted(rhs));
    return types_.error();
  }
  return types_.boolean();
}

const Type* Checker::checkArithmetic(ast::Binary& binary) {
  const Type* lhs = nullptr;
  const Type* rhs = nullptr;
  // An empty literal on the left takes its type from the right: `[] + l`.
  if (isEmptyLiteral(*binary.lhs) && !isEmptyLiteral(*binary.rhs)) {
    rhs = check(*binary.rhs);
    lhs = check(*binary.lhs, rhs);
  } else {
    lhs = check(*binary.lhs);
    rhs = check(*binary.rhs, lhs);
  }
  if (promoteLiteral(*binary.lhs, rhs)) lhs = types_.decimal();
  if (promoteLiteral(*binary.rhs, lhs)) rhs = types_.decimal();
  std::string usage = std::string("in arithmetic (`") + ast::spelling(binary.op) + "`)";
  bool ok = requireValue(*binary.lhs, lhs, usage.c_str());
  ok = requireValue(*binary.rhs, rhs, usage.c_str()) && ok;
  if (!ok) {
    return types_.error();
  }
  if (lhs->isDyn() || rhs->isDyn()) {
    return types_.dyn();
  }
  TypeKind a = lhs->kind;
  TypeKind b = rhs->kind;
  BinaryOp op = binary.op;
  if (lhs->isNumeric() && rhs->isNumeric()) {
    const Type* result = numericResult(lhs, rhs, types_);
    if (result != nullptr && !(op == BinaryOp::Modulo && result->is(TypeKind::Double))) {
      return result;
    }
  }
  bool add = op == BinaryOp::Add;
  bool subtract = op == BinaryOp::Subtract;
  if (add && a == TypeKind::String && b == TypeKind::String) return lhs;
  if (add && a == TypeKind::List && b == TypeKind::List) {
    return checkListConcatenation(binary, lhs, rhs);
  }
  if ((add || subtract) && a == TypeKind::Duration && b == TypeKind::Duration) return lhs;
  if ((add || subtract) && (a == TypeKind::Timestamp || a == TypeKind::Date) &&
      b == TypeKind::Duration) {
    return lhs;
  }
  if (add && a == TypeKind::Duration && (b == TypeKind::Timestamp || b == TypeKind::Date)) {
    return rhs;
  }
  if (subtract && a == b && (a == TypeKind::Timestamp || a == TypeKind::Date)) {
    return types_.duration();
  }
  auto& diagnostic = diagnostics_.report(
      diag::Code::E0202, binary.opRange,
      std::string("cannot apply `") + ast::spelling(op) + "` to " + quoted(lhs) + " and " +
          quoted(rhs));
  if (lhs->isNumeric() && rhs->isNumeric()) {
    if (op == BinaryOp::Modulo) {
      diagnostic.withHelp("`%` takes ints or decimals");
    } else {
      diagnostic.withHelp("convert one side explicitly, such as `double(x)` or `decimal(x)`; "
                          "numbers of different types never mix silently");
    }
  }
  return types_.error();
}

// `l + m` on two lists: the same element type, T with T? (giving T?), or
// ints with decimals, which widen to decimal. In CEL mode other element
// types join as in a list literal.
const Type* Checker::checkListConcatenation(ast::Binary& binary, const Type* lhs,
                                            const Type* rhs) {
  if (lhs == rhs) {
    return lhs;
  }
  const Type* left = lhs->element;
  const Type* right = rhs->element;
  if (left->unwrapped() == right->unwrapped()) {
    return types_.list(types_.optional(left->unwrapped()));
  }
  if (const Type* numeric = numericResult(left, right, types_)) {
    return types_.list(numeric);
  }
  if (cel_) {
    return types_.list(joinElements(left, right));
  }
  diagnostics_.report(diag::Code::E0202, binary.opRange,
                      "cannot concatenate " + quoted(lhs) + " and " + quoted(rhs) +
                          ": the elements must have one type");
  return types_.error();
}

}  // namespace crm::sema::internal
