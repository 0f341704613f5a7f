// Variables in scope, and the presence facts that guard optionals.
#include <algorithm>

#include "compiler/sema/checker.h"
#include "compiler/sema/helpers.h"

namespace crm::sema::internal {

void Checker::pushVariable(const ast::Name& name, const ast::Type* type) {
  const Variable* outer = findVariable(name.text);
  auto global = globals_.find(name.text);
  bool builtin = name.text == "now" ||
                 (hasSchema() && (name.text == "customer" || name.text == "catalog"));
  if (outer != nullptr) {
    diagnostics_.report(diag::Code::W0104, name.range,
                        "variable `" + name.text + "` hides an outer variable of the same name")
        .note(outer->range, "the outer variable is declared here")
        .withHelp("rename one of them");
  } else if (global != globals_.end()) {
    diagnostics_.report(diag::Code::W0104, name.range,
                        "variable `" + name.text + "` hides the " +
                            ast::spelling(global->second->kind) + " of the same name")
        .note(global->second->name.range, "declared here")
        .withHelp("rename the variable");
  } else if (findExternal(name.text) != nullptr) {
    diagnostics_.report(diag::Code::W0104, name.range,
                        "variable `" + name.text + "` hides the declared variable of the same name")
        .withHelp("rename the variable");
  } else if (builtin) {
    diagnostics_.report(diag::Code::W0104, name.range,
                        "variable `" + name.text + "` hides the built-in `" + name.text + "`")
        .withHelp("rename the variable");
  }
  variables_.push_back({name.text, type, name.range});
}

const Variable* Checker::findVariable(const std::string& name) const {
  for (auto it = variables_.rbegin(); it != variables_.rend(); ++it) {
    if (it->name == name) {
      return &*it;
    }
  }
  return nullptr;
}

std::vector<std::string> Checker::visibleNames() const {
  std::vector<std::string> names = {"now"};
  if (hasSchema()) {
    names.insert(names.end(), {"customer", "catalog"});
  }
  for (const auto& variable : variables_) {
    names.push_back(variable.name);
  }
  for (const auto& [name, external] : externals_) {
    names.push_back(name);
  }
  for (const auto& [name, decl] : globals_) {
    if (decl->kind == ast::DeclKind::Segment || decl->kind == ast::DeclKind::Let ||
        decl->kind == ast::DeclKind::Enum) {
      names.push_back(name);
    }
  }
  if (implicitElement_ != nullptr) {
    for (const auto& field : implicitElement_->fields) {
      names.push_back(field.name.text);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool Checker::isNarrowed(const std::string& path) const {
  return std::find(narrowed_.begin(), narrowed_.end(), path) != narrowed_.end();
}

// The access path of `customer.address.city` or `o.total`, used as the key
// of presence facts. Only plain identifiers and field selections have one.
// A field name that is no identifier keeps its backquotes, so that
// m.`a.b` and m.a.b have different paths.
std::optional<std::string> Checker::pathOf(const ast::Expr& expr) const {
  if (expr.kind == ast::ExprKind::Ident) {
    return ast::as<ast::Ident>(expr).name;
  }
  if (expr.kind == ast::ExprKind::Select) {
    const auto& select = ast::as<ast::Select>(expr);
    if (auto base = pathOf(*select.operand)) {
      const std::string& field = select.field.text;
      return *base + "." + (isIdentifier(field) ? field : "`" + field + "`");
    }
  }
  return std::nullopt;
}

namespace {

bool isNullLiteral(const ast::Expr& expr) {
  return expr.kind == ast::ExprKind::Literal &&
         ast::as<ast::Literal>(expr).literalKind == ast::LiteralKind::Null;
}

// `has(path)` or `path != null` (or `null != path`): the path that is
// present when the test holds, if the test has that shape.
const ast::Expr* presenceTested(const ast::Expr& expr, bool whenEqualToNull) {
  if (!whenEqualToNull && expr.kind == ast::ExprKind::Call) {
    const auto& call = ast::as<ast::Call>(expr);
    if (call.target == nullptr && call.function.text == "has" && call.arguments.size() == 1) {
      return call.arguments[0].get();
    }
  }
  if (expr.kind == ast::ExprKind::Binary) {
    const auto& binary = ast::as<ast::Binary>(expr);
    auto op = whenEqualToNull ? ast::BinaryOp::Equal : ast::BinaryOp::NotEqual;
    if (binary.op == op) {
      if (isNullLiteral(*binary.rhs)) return binary.lhs.get();
      if (isNullLiteral(*binary.lhs)) return binary.rhs.get();
    }
  }
  return nullptr;
}

}  // namespace

Facts Checker::factsWhenTrue(const ast::Expr& expr) const {
  auto known = factsWhenTrue_.find(&expr);
  if (known != factsWhenTrue_.end()) return known->second;
  Facts facts;
  if (const ast::Expr* tested = presenceTested(expr, false)) {
    if (auto path = pathOf(*tested)) {
      facts.push_back(*path);
    }
  } else if (expr.kind == ast::ExprKind::Binary &&
             ast::as<ast::Binary>(expr).op == ast::BinaryOp::And) {
    const auto& binary = ast::as<ast::Binary>(expr);
    facts = factsWhenTrue(*binary.lhs);
    Facts more = factsWhenTrue(*binary.rhs);
    facts.insert(facts.end(), more.begin(), more.end());
  } else if (expr.kind == ast::ExprKind::Unary &&
             ast::as<ast::Unary>(expr).op == ast::UnaryOp::Not) {
    facts = factsWhenFalse(*ast::as<ast::Unary>(expr).operand);
  }
  factsWhenTrue_.emplace(&expr, facts);
  return facts;
}

Facts Checker::factsWhenFalse(const ast::Expr& expr) const {
  auto known = factsWhenFalse_.find(&expr);
  if (known != factsWhenFalse_.end()) return known->second;
  Facts facts;
  if (const ast::Expr* tested = presenceTested(expr, true)) {
    if (auto path = pathOf(*tested)) {
      facts.push_back(*path);
    }
  } else if (expr.kind == ast::ExprKind::Binary &&
             ast::as<ast::Binary>(expr).op == ast::BinaryOp::Or) {
    const auto& binary = ast::as<ast::Binary>(expr);
    facts = factsWhenFalse(*binary.lhs);
    Facts more = factsWhenFalse(*binary.rhs);
    facts.insert(facts.end(), more.begin(), more.end());
  } else if (expr.kind == ast::ExprKind::Unary &&
             ast::as<ast::Unary>(expr).op == ast::UnaryOp::Not) {
    facts = factsWhenTrue(*ast::as<ast::Unary>(expr).operand);
  }
  factsWhenFalse_.emplace(&expr, facts);
  return facts;
}

std::string describe(const ast::Expr& expr) {
  if (expr.kind == ast::ExprKind::Ident) {
    return "`" + ast::as<ast::Ident>(expr).name + "`";
  }
  if (expr.kind == ast::ExprKind::Select) {
    const auto& select = ast::as<ast::Select>(expr);
    std::string base = describe(*select.operand);
    if (base.size() >= 2 && base.front() == '`') {
      return base.substr(0, base.size() - 1) + (select.optionalChain ? "?." : ".") +
             select.field.text + "`";
    }
    return "field `" + select.field.text + "`";
  }
  if (expr.kind == ast::ExprKind::Literal) {
    return "the literal";
  }
  if (expr.kind == ast::ExprKind::Call) {
    return "the result of `" + ast::as<ast::Call>(expr).function.text + "(...)`";
  }
  return "this expression";
}

}  // namespace crm::sema::internal
