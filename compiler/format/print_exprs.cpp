// Expressions: operator chains broken before their operators, method chains
// broken one call per line, arguments that hug the last one.
#include <algorithm>

#include "compiler/format/printer.h"

namespace crm::format::internal {
namespace {

int binaryPrecedence(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::Coalesce: return 1;
    case ast::BinaryOp::Or: return 2;
    case ast::BinaryOp::And: return 3;
    case ast::BinaryOp::Add:
    case ast::BinaryOp::Subtract: return 5;
    case ast::BinaryOp::Multiply:
    case ast::BinaryOp::Divide:
    case ast::BinaryOp::Modulo: return 6;
    default: return 4;  // relations, `in`, `not in` and `within`
  }
}

bool isPostfix(const ast::Expr& expr) {
  return expr.kind == ast::ExprKind::Select || expr.kind == ast::ExprKind::Index ||
         (expr.kind == ast::ExprKind::Call && ast::as<ast::Call>(expr).target != nullptr);
}

const ast::Expr& postfixOperand(const ast::Expr& expr) {
  switch (expr.kind) {
    case ast::ExprKind::Select: return *ast::as<ast::Select>(expr).operand;
    case ast::ExprKind::Index: return *ast::as<ast::Index>(expr).operand;
    default: return *ast::as<ast::Call>(expr).target;
  }
}

// Returns where the comments before a postfix are taken: at its name, or
// at its index.
uint32_t postfixStart(const ast::Expr& expr) {
  switch (expr.kind) {
    case ast::ExprKind::Select: return ast::as<ast::Select>(expr).field.range.begin;
    case ast::ExprKind::Index: return ast::as<ast::Index>(expr).index->range.begin;
    default: return ast::as<ast::Call>(expr).function.range.begin;
  }
}

uint32_t lastByte(source::SourceRange range) { return range.end > 0 ? range.end - 1 : 0; }

}  // namespace

int precedence(const ast::Expr& expr) {
  switch (expr.kind) {
    case ast::ExprKind::Conditional: return 0;
    case ast::ExprKind::Binary: return binaryPrecedence(ast::as<ast::Binary>(expr).op);
    case ast::ExprKind::Unary: return 7;
    default: return 8;
  }
}

Doc Printer::expr(const ast::Expr& expr, Context context) {
  Doc comments = commentsBefore(expr.range.begin);
  if (expr.parentheses == 0) {
    return concat({comments, unparenthesized(expr, context)});
  }
  Doc inner = unparenthesized(expr, Context::Nested);
  // In `-(5)` the parser folded the minus into the literal, whose range
  // then starts at the minus, outside the parentheses.
  bool minusOutside = expr.kind == ast::ExprKind::Literal &&
                      file_.text().compare(expr.range.begin, 1, "-") == 0 &&
                      slice(expr.range).find('(') != std::string::npos;
  if (minusOutside) {
    inner = text(ast::as<ast::Literal>(expr).text.substr(1));
  }
  for (uint32_t i = 0; i < expr.parentheses; ++i) {
    inner = concat({text("("), align(inner), text(")")});
  }
  if (minusOutside) {
    inner = concat({text("-"), inner});
  }
  return concat({comments, inner});
}

// Adds the parentheses that the tree needs and the source lacks; a tree
// parsed from text has them already, so this only guards the printer.
Doc Printer::operand(const ast::Expr& operand, int minimumLevel, Context context) {
  Doc doc = expr(operand, context);
  if (operand.parentheses == 0 && precedence(operand) < minimumLevel) {
    return concat({text("("), align(doc), text(")")});
  }
  return doc;
}

Doc Printer::unparenthesized(const ast::Expr& expr, Context context) {
  switch (expr.kind) {
    case ast::ExprKind::Literal:
      return literal(ast::as<ast::Literal>(expr));
    case ast::ExprKind::Ident:
      return text(ast::as<ast::Ident>(expr).name);
    case ast::ExprKind::Select:
    case ast::ExprKind::Index:
      return memberChain(expr, context);
    case ast::ExprKind::Call: {
      const auto& call = ast::as<ast::Call>(expr);
      if (call.target != nullptr) return memberChain(expr, context);
      return concat({text(call.function.text), arguments(call.arguments, lastByte(call.range))});
    }
    case ast::ExprKind::List:
      return listLiteral(ast::as<ast::ListLiteral>(expr));
    case ast::ExprKind::Map:
      return mapLiteral(ast::as<ast::MapLiteral>(expr));
    case ast::ExprKind::Unary: {
      const auto& unary = ast::as<ast::Unary>(expr);
      return concat({text(unary.op == ast::UnaryOp::Not ? "!" : "-"), operand(*unary.operand, 7)});
    }
    case ast::ExprKind::Binary:
      return binaryChain(ast::as<ast::Binary>(expr), context);
    case ast::ExprKind::Conditional:
      return conditionalChain(ast::as<ast::Conditional>(expr), context);
  }
  return text("");
}

Doc Printer::literal(const ast::Literal& literal) const {
  switch (literal.literalKind) {
    case ast::LiteralKind::Int:
    case ast::LiteralKind::Double:
      // The spelling, with a minus that the parser folded into the literal.
      return text(literal.text);
    default:
      return text(slice(literal.range));
  }
}

// `a && b && c` is one chain: one operand per line when it does not fit,
// each line but the first starting with its operator. Only `??`, `||` and
// `&&` break; around the other operators the operands break instead, so
// that `x.f().g() >= 3` keeps `>= 3` beside the chain's last call.
Doc Printer::binaryChain(const ast::Binary& binary, Context context) {
  int level = precedence(binary);
  bool breaks = level <= binaryPrecedence(ast::BinaryOp::And);
  std::vector<const ast::Binary*> links;
  const ast::Expr* left = &binary;
  while (left->kind == ast::ExprKind::Binary && precedence(*left) == level &&
         (left == &binary || left->parentheses == 0)) {
    links.push_back(&ast::as<ast::Binary>(*left));
    left = ast::as<ast::Binary>(*left).lhs.get();
  }
  std::reverse(links.begin(), links.end());
  Doc first = operand(*left, level, breaks ? Context::Nested : context);
  std::vector<Doc> rest;
  for (const ast::Binary* link : links) {
    // Comments between the operator and its operand move before the
    // operator, which starts the line.
    rest.push_back(trailingComments(link->rhs->range.begin, breaks));
    rest.push_back(breaks ? line() : text(" "));
    rest.push_back(leadingComments(link->rhs->range.begin));
    rest.push_back(text(std::string(ast::spelling(link->op)) + " "));
    rest.push_back(operand(*link->rhs, level + 1, Context::Nested));
  }
  if (!breaks) {
    return concat({first, concat(std::move(rest))});
  }
  if (context == Context::Statement) {
    return group(concat({first, indent(concat(std::move(rest)))}));
  }
  return group(align(concat({first, concat(std::move(rest))})));
}

// `a ? b : c ? d : e` breaks into `a ? b`, `: c ? d`, `: e`.
Doc Printer::conditionalChain(const ast::Conditional& conditional, Context context) {
  std::vector<Doc> parts;
  const ast::Expr* tail = &conditional;
  bool first = true;
  while (tail->kind == ast::ExprKind::Conditional && (first || tail->parentheses == 0)) {
    const auto& link = ast::as<ast::Conditional>(*tail);
    if (!first) {
      parts.push_back(trailingComments(link.range.begin, true));
      parts.push_back(line());
      parts.push_back(text(": "));
    }
    parts.push_back(operand(*link.condition, 1));
    parts.push_back(text(" ? "));
    parts.push_back(expr(*link.then, Context::Nested));
    tail = link.otherwise.get();
    first = false;
  }
  parts.push_back(trailingComments(tail->range.begin, true));
  parts.push_back(line());
  parts.push_back(text(": "));
  parts.push_back(expr(*tail, Context::Nested));
  Doc head = parts.front();
  std::vector<Doc> rest(parts.begin() + 1, parts.end());
  if (context == Context::Statement) {
    return group(concat({head, indent(concat(std::move(rest)))}));
  }
  return group(align(concat({head, concat(std::move(rest))})));
}

// `a.b.f(x).g(y)`: with two calls or more, each call starts a line of its
// own when the chain does not fit. The head and the field selections before
// the first call stay on the first line.
Doc Printer::memberChain(const ast::Expr& chain, Context context) {
  std::vector<const ast::Expr*> links;
  const ast::Expr* node = &chain;
  while (isPostfix(*node) && (node == &chain || node->parentheses == 0)) {
    links.push_back(node);
    node = &postfixOperand(*node);
  }
  std::reverse(links.begin(), links.end());
  Doc head = operand(*node, 8);
  size_t calls = std::count_if(links.begin(), links.end(), [](const ast::Expr* link) {
    return link->kind == ast::ExprKind::Call;
  });
  std::vector<Doc> firstLine{head};
  std::vector<Doc> rest;
  // One call breaks off too, in a declaration's or property's value, when
  // something precedes it: `customer.orders` then `.exists(...)`.
  bool breakable = calls >= 2 || (calls == 1 && links.size() >= 2 &&
                                   context == Context::Statement);
  bool seenCall = false;
  for (const ast::Expr* link : links) {
    uint32_t start = postfixStart(*link);
    bool newLine = breakable && link->kind == ast::ExprKind::Call;
    seenCall = seenCall || newLine;
    std::vector<Doc>& target = seenCall ? rest : firstLine;
    if (newLine) {
      target.push_back(trailingComments(start, true));
      target.push_back(softline());
      target.push_back(leadingComments(start));
    } else if (link->kind != ast::ExprKind::Index) {
      target.push_back(commentsBefore(start));
    }
    target.push_back(postfix(*link));
  }
  if (!breakable) {
    return concat(std::move(firstLine));
  }
  Doc body = concat({concat(std::move(firstLine)), indent(concat(std::move(rest)))});
  return group(context == Context::Statement ? body : align(body));
}

// One postfix of a chain: `.field`, `?.field`, `[index]` or `.call(...)`.
Doc Printer::postfix(const ast::Expr& link) {
  std::vector<Doc> parts;
  switch (link.kind) {
    case ast::ExprKind::Select: {
      const auto& select = ast::as<ast::Select>(link);
      parts.push_back(text((select.optionalChain ? "?." : ".") + slice(select.field.range)));
      break;
    }
    case ast::ExprKind::Index: {
      const auto& index = ast::as<ast::Index>(link);
      parts.push_back(text("["));
      parts.push_back(expr(*index.index, Context::Nested));
      parts.push_back(commentsBefore(lastByte(index.range)));
      parts.push_back(text("]"));
      break;
    }
    default: {
      const auto& call = ast::as<ast::Call>(link);
      parts.push_back(text((call.optionalChain ? "?." : ".") + call.function.text));
      parts.push_back(arguments(call.arguments, lastByte(call.range)));
      break;
    }
  }
  return concat(std::move(parts));
}

// `(a, b, c)` on one line when it fits. Otherwise the arguments stay on the
// line up to the first break inside the last one, which breaks aligned with
// its own start. When even that line is too long, each argument gets a
// line of its own, aligned after `(`.
Doc Printer::arguments(const std::vector<ast::ExprPtr>& arguments, uint32_t end) {
  if (arguments.empty()) {
    return concat({text("("), commentsBefore(end), text(")")});
  }
  Doc opening = trailingComments(arguments[0]->range.begin);
  std::vector<Doc> hugged{opening};
  std::vector<Doc> broken{opening};
  for (size_t i = 0; i < arguments.size(); ++i) {
    const ast::Expr& argument = *arguments[i];
    if (i > 0) {
      Doc trailing = trailingComments(argument.range.begin);
      hugged.push_back(concat({trailing, text(", ")}));
      broken.push_back(concat({trailing, text(","), line()}));
    }
    Doc doc = concat({leadingComments(argument.range.begin), expr(argument, Context::Nested)});
    hugged.push_back(doc);
    broken.push_back(doc);
  }
  Doc closing = commentsBefore(end);
  hugged.push_back(closing);
  broken.push_back(closing);
  return conditional({concat({text("("), align(concat(std::move(hugged))), text(")")}),
                      concat({text("("), align(concat(std::move(broken))), text(")")})});
}

// `[a, b]`, or one element per line with a trailing comma.
Doc Printer::listLiteral(const ast::ListLiteral& list) {
  uint32_t end = lastByte(list.range);
  if (list.elements.empty() && !hasComment(end)) {
    return text("[]");
  }
  // A comment after `[` stays on its line, before the first break.
  uint32_t first = list.elements.empty() ? end : list.elements[0]->range.begin;
  std::vector<Doc> parts{trailingComments(first, true), softline()};
  for (size_t i = 0; i < list.elements.size(); ++i) {
    const ast::Expr& element = *list.elements[i];
    if (i > 0) {
      parts.push_back(trailingComments(element.range.begin, true));
      parts.push_back(text(","));
      parts.push_back(line());
    }
    parts.push_back(leadingComments(element.range.begin));
    parts.push_back(expr(element, Context::Nested));
  }
  if (!list.elements.empty()) {
    parts.push_back(ifBreak(text(","), text("")));
  }
  parts.push_back(commentsBefore(end));
  return group(concat({text("["), indent(concat(std::move(parts))), softline(), text("]")}));
}

// `{ a: 1, b: 2 }`, or as many entries per line as fit, aligned after `{ `.
Doc Printer::mapLiteral(const ast::MapLiteral& map) {
  uint32_t end = lastByte(map.range);
  if (map.entries.empty() && !hasComment(end)) {
    return text("{}");
  }
  Doc opening = trailingComments(map.entries.empty() ? end : map.entries[0].first->range.begin);
  std::vector<Doc> items;
  for (size_t i = 0; i < map.entries.size(); ++i) {
    const auto& [key, value] = map.entries[i];
    if (i > 0) {
      items.push_back(concat({trailingComments(key->range.begin, true), text(","), line()}));
    }
    Doc keyDoc = concat({leadingComments(key->range.begin), expr(*key, Context::Nested)});
    items.push_back(group(concat({keyDoc, text(": "), expr(*value, Context::Nested)})));
  }
  Doc closing = commentsBefore(end);
  return group(concat({text("{ "), opening, align(concat({fill(std::move(items)), closing})),
                       text(" }")}));
}

}  // namespace crm::format::internal
