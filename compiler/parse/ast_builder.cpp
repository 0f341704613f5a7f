#include "compiler/parse/ast_builder.h"

#include <utf8proc.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "runtime/time.h"

namespace crm::parse::internal {

namespace {

// `text` in Unicode normalisation form C, as the loader stores text, so
// that a literal typed with combining marks equals the same text in the
// data. Text that is not valid UTF-8 is returned as it is.
// NOTE: load::normalizeText does the same for loaded text; both belong in
// one runtime function.
std::string composed(const std::string& text) {
  bool ascii = std::all_of(text.begin(), text.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return text;
  utf8proc_uint8_t* output = nullptr;
  utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &output,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (length < 0) return text;
  std::string result(reinterpret_cast<char*>(output), static_cast<size_t>(length));
  std::free(output);
  return result;
}

}  // namespace

using ast::ExprPtr;

source::SourceRange AstBuilder::rangeOf(antlr4::Token* token) const {
  if (token == nullptr || token->getType() == antlr4::Token::EOF) {
    auto end = static_cast<uint32_t>(file_.text().size());
    return {file_.id(), end, end};
  }
  size_t start = std::min(token->getStartIndex(), codePointToByte_.size() - 1);
  size_t stop = std::min(token->getStopIndex() + 1, codePointToByte_.size() - 1);
  return {file_.id(), codePointToByte_[start], codePointToByte_[std::max(start, stop)]};
}

source::SourceRange AstBuilder::rangeOf(antlr4::ParserRuleContext* ctx) const {
  source::SourceRange start = rangeOf(ctx->getStart());
  antlr4::Token* stopToken = ctx->getStop();
  if (stopToken == nullptr || stopToken->getTokenIndex() < ctx->getStart()->getTokenIndex()) {
    return start;
  }
  source::SourceRange stop = rangeOf(stopToken);
  return {file_.id(), start.begin, std::max(start.begin, stop.end)};
}

ast::Name AstBuilder::name(CrmParser::IdentContext* ctx) const {
  return {ctx->getText(), rangeOf(ctx)};
}

ast::TypeRef AstBuilder::typeRef(CrmParser::TypeRefContext* ctx) const {
  ast::TypeRef ref;
  ref.range = rangeOf(ctx);
  ref.name = name(ctx->ident());
  for (auto* argument : ctx->typeRef()) {
    ref.arguments.push_back(typeRef(argument));
  }
  ref.optional = ctx->QUESTION() != nullptr;
  return ref;
}

ast::DeclPtr AstBuilder::declaration(CrmParser::DeclarationContext* ctx) {
  if (auto* d = ctx->importDecl()) return importDecl(d);
  if (auto* d = ctx->enumDecl()) return enumDecl(d);
  if (auto* d = ctx->recordDecl()) return recordDecl(d);
  if (auto* d = ctx->entityDecl()) return entityDecl(d);
  if (auto* d = ctx->sourceDecl()) return sourceDecl(d);
  if (auto* d = ctx->letDecl()) return letDecl(d);
  if (auto* d = ctx->segmentDecl()) return segmentDecl(d);
  if (auto* d = ctx->triggerDecl()) return triggerDecl(d);
  if (auto* d = ctx->recommendDecl()) return recommendDecl(d);
  if (auto* d = ctx->channelDecl()) return channelDecl(d);
  if (auto* d = ctx->campaignDecl()) return campaignDecl(d);
  if (auto* d = ctx->pressureDecl()) return pressureDecl(d);
  if (auto* d = ctx->testDecl()) return testDecl(d);
  return nullptr;
}

ast::DeclPtr AstBuilder::importDecl(CrmParser::ImportDeclContext* ctx) {
  auto decl = std::make_unique<ast::ImportDecl>(rangeOf(ctx));
  decl->path = stringValue(ctx->STRING()->getSymbol());
  decl->pathRange = rangeOf(ctx->STRING());
  return decl;
}

ast::DeclPtr AstBuilder::enumDecl(CrmParser::EnumDeclContext* ctx) {
  auto decl = std::make_unique<ast::EnumDecl>(rangeOf(ctx));
  decl->name = name(ctx->name);
  for (auto* value : ctx->ident()) {
    if (value != ctx->name) {
      decl->values.push_back(name(value));
    }
  }
  return decl;
}

ast::FieldDecl AstBuilder::field(CrmParser::FieldDeclContext* ctx) const {
  ast::FieldDecl result;
  result.name = name(ctx->ident());
  result.typeRef = typeRef(ctx->typeRef());
  return result;
}

ast::DeclPtr AstBuilder::recordDecl(CrmParser::RecordDeclContext* ctx) {
  auto decl = std::make_unique<ast::RecordDecl>(rangeOf(ctx));
  decl->name = name(ctx->name);
  for (auto* f : ctx->fieldDecl()) {
    decl->fields.push_back(field(f));
  }
  return decl;
}

ast::DeclPtr AstBuilder::entityDecl(CrmParser::EntityDeclContext* ctx) {
  auto decl = std::make_unique<ast::EntityDecl>(rangeOf(ctx));
  decl->name = name(ctx->name);
  decl->key = name(ctx->keyField);
  if (ctx->CUSTOMER() != nullptr) {
    decl->role = ast::EntityRole::Customer;
  } else if (ctx->CATALOG() != nullptr) {
    decl->role = ast::EntityRole::Catalog;
  } else if (ctx->EVENT() != nullptr) {
    decl->role = ast::EntityRole::Event;
  }
  for (auto* level : ctx->ident()) {
    if (level != ctx->name && level != ctx->keyField) {
      decl->levels.push_back(name(level));
    }
  }
  for (auto* f : ctx->fieldDecl()) {
    decl->fields.push_back(field(f));
  }
  return decl;
}

ast::DeclPtr AstBuilder::sourceDecl(CrmParser::SourceDeclContext* ctx) {
  auto decl = std::make_unique<ast::SourceDecl>(rangeOf(ctx));
  decl->name = name(ctx->name);
  decl->entity = name(ctx->entity);
  decl->format = expr(ctx->expr());
  for (auto* item : ctx->sourceItem()) {
    if (item->property() != nullptr) {
      decl->options.push_back(property(item->property()));
      continue;
    }
    for (auto* binding : item->columnBinding()) {
      ast::ColumnBinding column;
      column.range = rangeOf(binding);
      column.field = name(binding->field);
      if (binding->column == nullptr) {
        column.column = column.field;
      } else if (binding->column->STRING() != nullptr) {
        column.column = {stringValue(binding->column->STRING()->getSymbol()),
                         rangeOf(binding->column)};
      } else {
        column.column = name(binding->column->ident());
      }
      if (binding->typeRef() != nullptr) {
        column.typeRef = typeRef(binding->typeRef());
      }
      decl->columns.push_back(std::move(column));
    }
  }
  return decl;
}

ast::DeclPtr AstBuilder::letDecl(CrmParser::LetDeclContext* ctx) {
  auto decl = std::make_unique<ast::LetDecl>(rangeOf(ctx));
  decl->name = name(ctx->ident());
  if (ctx->typeRef() != nullptr) {
    decl->typeRef = typeRef(ctx->typeRef());
  }
  decl->value = expr(ctx->expr());
  return decl;
}

ast::DeclPtr AstBuilder::segmentDecl(CrmParser::SegmentDeclContext* ctx) {
  auto decl = std::make_unique<ast::SegmentDecl>(rangeOf(ctx));
  decl->name = name(ctx->ident());
  decl->condition = expr(ctx->expr());
  return decl;
}

ast::DeclPtr AstBuilder::triggerDecl(CrmParser::TriggerDeclContext* ctx) {
  auto decl = std::make_unique<ast::TriggerDecl>(rangeOf(ctx));
  decl->name = name(ctx->name);
  decl->stream = name(ctx->stream);
  decl->binder = name(ctx->binder);
  if (ctx->onCondition != nullptr) decl->onCondition = expr(ctx->onCondition);
  if (ctx->whenCondition != nullptr) decl->when = expr(ctx->whenCondition);
  if (ctx->delay != nullptr) decl->after = expr(ctx->delay);
  if (ctx->unlessStream != nullptr) {
    decl->unlessStream = name(ctx->unlessStream);
    if (ctx->unlessCondition != nullptr) decl->unlessCondition = expr(ctx->unlessCondition);
    decl->unlessWindow = expr(ctx->unlessWindow);
  }
  return decl;
}

ast::DeclPtr AstBuilder::recommendDecl(CrmParser::RecommendDeclContext* ctx) {
  auto decl = std::make_unique<ast::RecommendDecl>(rangeOf(ctx));
  decl->name = name(ctx->ident());
  for (auto* p : ctx->param()) {
    ast::Param param;
    param.name = name(p->ident());
    param.typeRef = typeRef(p->typeRef());
    if (p->expr() != nullptr) {
      param.defaultValue = expr(p->expr());
    }
    decl->params.push_back(std::move(param));
  }
  decl->resultRef = typeRef(ctx->typeRef());
  decl->body = expr(ctx->expr());
  return decl;
}

ast::Property AstBuilder::property(CrmParser::PropertyContext* ctx) {
  ast::Property result;
  result.name = name(ctx->ident());
  result.range = rangeOf(ctx);
  auto* value = ctx->propertyValue();
  if (auto* list = dynamic_cast<CrmParser::ExprListValueContext*>(value)) {
    for (auto* e : list->expr()) {
      result.values.push_back(expr(e));
    }
  } else if (auto* rate = dynamic_cast<CrmParser::RateValueContext*>(value)) {
    result.form = ast::PropertyForm::Rate;
    result.values.push_back(expr(rate->expr()));
    result.unit = name(rate->ident());
  } else if (auto* times = dynamic_cast<CrmParser::TimeRangeValueContext*>(value)) {
    result.form = ast::PropertyForm::TimeRange;
    result.local = times->LOCAL() != nullptr;
    auto bounds = times->TIME_OF_DAY();
    auto start = runtime::parseTimeOfDay(bounds[0]->getText());
    auto end = runtime::parseTimeOfDay(bounds[1]->getText());
    for (size_t i = 0; i < 2; ++i) {
      if (!(i == 0 ? start : end)) {
        diagnostics_.report(diag::Code::E0013, rangeOf(bounds[i]),
                            "invalid time of day `" + bounds[i]->getText() + "`")
            .withHelp("write hours 00 to 24 and minutes 00 to 59, such as 21:00");
      }
    }
    result.startMinute = start.value_or(0);
    result.endMinute = end.value_or(0);
  } else if (auto* time = dynamic_cast<CrmParser::TimeOfDayValueContext*>(value)) {
    result.form = ast::PropertyForm::TimeOfDay;
    result.local = time->LOCAL() != nullptr;
    auto minute = runtime::parseTimeOfDay(time->TIME_OF_DAY()->getText());
    if (!minute || *minute >= 24 * 60) {
      diagnostics_.report(diag::Code::E0013, rangeOf(time->TIME_OF_DAY()),
                          "invalid time of day `" + time->TIME_OF_DAY()->getText() + "`")
          .withHelp("write hours 00 to 23 and minutes 00 to 59, such as 14:00");
    }
    result.startMinute = minute.value_or(0);
  }
  return result;
}

ast::DeclPtr AstBuilder::channelDecl(CrmParser::ChannelDeclContext* ctx) {
  auto decl = std::make_unique<ast::ChannelDecl>(rangeOf(ctx));
  decl->name = name(ctx->ident());
  for (auto* p : ctx->property()) {
    decl->properties.push_back(property(p));
  }
  return decl;
}

ast::DeclPtr AstBuilder::campaignDecl(CrmParser::CampaignDeclContext* ctx) {
  auto decl = std::make_unique<ast::CampaignDecl>(rangeOf(ctx));
  decl->name = name(ctx->ident());
  for (auto* p : ctx->property()) {
    decl->properties.push_back(property(p));
  }
  return decl;
}

ast::PressureRule AstBuilder::pressureRule(CrmParser::PressureRuleContext* ctx) {
  ast::PressureRule rule;
  rule.range = rangeOf(ctx);
  if (auto* cap = dynamic_cast<CrmParser::CapRuleContext*>(ctx)) {
    rule.kind = ast::PressureRuleKind::Cap;
    rule.limit = expr(cap->expr());
    if (auto* calendar = dynamic_cast<CrmParser::CalendarWindowContext*>(cap->window)) {
      rule.calendarUnit = name(calendar->ident());
      if (calendar->count != nullptr) {
        // The lexer only makes INT of digits; a count too large for int64
        // is caught by the range check below.
        const std::string digits = calendar->count->getText();
        rule.calendarCount = digits.size() > 6 ? 1000000 : std::stoll(digits);
      }
    } else if (auto* rolling = dynamic_cast<CrmParser::RollingWindowContext*>(cap->window)) {
      rule.window = expr(rolling->expr());
      rule.rolling = rolling->ROLLING() != nullptr;
    }
    for (auto* scope : cap->pressureScope()) {
      if (auto* group = dynamic_cast<CrmParser::GroupScopeContext*>(scope)) {
        rule.scopes.push_back({true, name(group->ident())});
      } else if (auto* channel = dynamic_cast<CrmParser::ChannelScopeContext*>(scope)) {
        rule.scopes.push_back({false, name(channel->ident())});
      }
    }
  } else if (auto* rank = dynamic_cast<CrmParser::RankRuleContext*>(ctx)) {
    rule.kind = ast::PressureRuleKind::Rank;
    for (auto* key : rank->rankKey()) {
      rule.rankKeys.push_back({name(key->ident()), key->DESC() != nullptr});
    }
  } else if (auto* exempt = dynamic_cast<CrmParser::ExemptRuleContext*>(ctx)) {
    rule.kind = ast::PressureRuleKind::Exempt;
    for (auto* id : exempt->ident()) {
      rule.exempt.push_back(name(id));
    }
  }
  return rule;
}

ast::DeclPtr AstBuilder::pressureDecl(CrmParser::PressureDeclContext* ctx) {
  auto decl = std::make_unique<ast::PressureDecl>(rangeOf(ctx));
  if (ctx->ident() != nullptr) {
    decl->name = name(ctx->ident());
  }
  for (auto* rule : ctx->pressureRule()) {
    decl->rules.push_back(pressureRule(rule));
  }
  return decl;
}

ast::TestItem AstBuilder::testItem(CrmParser::TestItemContext* ctx) {
  ast::TestItem item;
  item.range = rangeOf(ctx);
  if (auto* p = dynamic_cast<CrmParser::TestPropertyContext*>(ctx)) {
    item.kind = ast::TestItemKind::Property;
    item.property = property(p->property());
  } else if (auto* fixture = dynamic_cast<CrmParser::TestFixtureContext*>(ctx)) {
    item.kind = ast::TestItemKind::Fixture;
    item.target = name(fixture->fixture);
    for (auto* init : fixture->fieldInit()) {
      item.fields.push_back({name(init->ident()), expr(init->expr())});
    }
  } else if (auto* send = dynamic_cast<CrmParser::ExpectSendContext*>(ctx)) {
    item.kind = send->NO() != nullptr ? ast::TestItemKind::ExpectNoSend
                                      : ast::TestItemKind::ExpectSend;
    item.target = name(send->campaign);
    if (send->channel != nullptr) {
      item.channel = name(send->channel);
    }
  } else if (auto* segment = dynamic_cast<CrmParser::ExpectSegmentContext*>(ctx)) {
    item.kind = ast::TestItemKind::ExpectSegment;
    item.target = name(segment->ident());
  } else if (auto* offer = dynamic_cast<CrmParser::ExpectOfferContext*>(ctx)) {
    item.kind = ast::TestItemKind::ExpectOffer;
    item.target = name(offer->campaign);
    item.expr = expr(offer->expr());
  } else if (auto* error = dynamic_cast<CrmParser::ExpectErrorContext*>(ctx)) {
    item.kind = ast::TestItemKind::ExpectError;
    if (error->STRING() != nullptr) {
      item.errorText = stringValue(error->STRING()->getSymbol());
    }
  } else if (auto* check = dynamic_cast<CrmParser::ExpectExprContext*>(ctx)) {
    item.kind = ast::TestItemKind::ExpectExpr;
    item.expr = expr(check->expr());
  }
  return item;
}

ast::DeclPtr AstBuilder::testDecl(CrmParser::TestDeclContext* ctx) {
  auto decl = std::make_unique<ast::TestDecl>(rangeOf(ctx));
  decl->name = {stringValue(ctx->STRING()->getSymbol()), rangeOf(ctx->STRING())};
  for (auto* item : ctx->testItem()) {
    decl->items.push_back(testItem(item));
  }
  return decl;
}

// ---------------------------------------------------------------- expressions

ExprPtr AstBuilder::binary(ast::BinaryOp op, antlr4::tree::ParseTree* opNode, ExprPtr lhs,
                           ExprPtr rhs) {
  source::SourceRange range{file_.id(), lhs->range.begin, rhs->range.end};
  auto node = std::make_unique<ast::Binary>(range);
  node->op = op;
  if (auto* terminal = dynamic_cast<antlr4::tree::TerminalNode*>(opNode)) {
    node->opRange = rangeOf(terminal);
  } else if (auto* rule = dynamic_cast<antlr4::ParserRuleContext*>(opNode)) {
    node->opRange = rangeOf(rule);
  }
  node->lhs = std::move(lhs);
  node->rhs = std::move(rhs);
  return node;
}

ExprPtr AstBuilder::expr(CrmParser::ExprContext* ctx) {
  ExprPtr condition = coalesce(ctx->cond);
  if (ctx->then == nullptr) {
    return condition;
  }
  auto node = std::make_unique<ast::Conditional>(rangeOf(ctx));
  node->condition = std::move(condition);
  node->then = expr(ctx->then);
  node->otherwise = expr(ctx->otherwise);
  return node;
}

// The operator rules are flat lists `operand (op operand)*`; folding them to
// the left gives CEL's left associativity.
ExprPtr AstBuilder::coalesce(CrmParser::CoalesceContext* ctx) {
  auto operands = ctx->orExpr();
  // One list of the operators: asking for the i-th scans the children from
  // the first, which is quadratic over a long chain.
  auto ops = ctx->COALESCE();
  ExprPtr result = orExpr(operands[0]);
  for (size_t i = 1; i < operands.size(); ++i) {
    result = binary(ast::BinaryOp::Coalesce, ops[i - 1], std::move(result),
                    orExpr(operands[i]));
  }
  return result;
}

ExprPtr AstBuilder::orExpr(CrmParser::OrExprContext* ctx) {
  auto operands = ctx->andExpr();
  auto ops = ctx->LOGICAL_OR();
  ExprPtr result = andExpr(operands[0]);
  for (size_t i = 1; i < operands.size(); ++i) {
    result = binary(ast::BinaryOp::Or, ops[i - 1], std::move(result), andExpr(operands[i]));
  }
  return result;
}

ExprPtr AstBuilder::andExpr(CrmParser::AndExprContext* ctx) {
  auto operands = ctx->relation();
  auto ops = ctx->LOGICAL_AND();
  ExprPtr result = relation(operands[0]);
  for (size_t i = 1; i < operands.size(); ++i) {
    result = binary(ast::BinaryOp::And, ops[i - 1], std::move(result), relation(operands[i]));
  }
  return result;
}

ExprPtr AstBuilder::relation(CrmParser::RelationContext* ctx) {
  auto operands = ctx->addition();
  auto ops = ctx->relOp();
  ExprPtr result = addition(operands[0]);
  for (size_t i = 1; i < operands.size(); ++i) {
    auto* op = ops[i - 1];
    ast::BinaryOp kind = ast::BinaryOp::Equal;
    if (op->LT() != nullptr) kind = ast::BinaryOp::Less;
    else if (op->LE() != nullptr) kind = ast::BinaryOp::LessEqual;
    else if (op->GT() != nullptr) kind = ast::BinaryOp::Greater;
    else if (op->GE() != nullptr) kind = ast::BinaryOp::GreaterEqual;
    else if (op->NE() != nullptr) kind = ast::BinaryOp::NotEqual;
    else if (op->NOT() != nullptr) kind = ast::BinaryOp::NotIn;
    else if (op->IN() != nullptr) kind = ast::BinaryOp::In;
    else if (op->WITHIN() != nullptr) kind = ast::BinaryOp::Within;
    result = binary(kind, op, std::move(result), addition(operands[i]));
  }
  return result;
}

namespace {

// The operator terminals of a flat rule, in source order.
std::vector<antlr4::tree::TerminalNode*> operatorsOf(antlr4::ParserRuleContext* ctx) {
  std::vector<antlr4::tree::TerminalNode*> result;
  for (auto* child : ctx->children) {
    if (auto* terminal = dynamic_cast<antlr4::tree::TerminalNode*>(child)) {
      result.push_back(terminal);
    }
  }
  return result;
}

}  // namespace

ExprPtr AstBuilder::addition(CrmParser::AdditionContext* ctx) {
  auto operands = ctx->multiplication();
  auto ops = operatorsOf(ctx);
  ExprPtr result = multiplication(operands[0]);
  for (size_t i = 1; i < operands.size(); ++i) {
    auto kind = ops[i - 1]->getSymbol()->getType() == CrmParser::PLUS ? ast::BinaryOp::Add
                                                                       : ast::BinaryOp::Subtract;
    result = binary(kind, ops[i - 1], std::move(result), multiplication(operands[i]));
  }
  return result;
}

ExprPtr AstBuilder::multiplication(CrmParser::MultiplicationContext* ctx) {
  auto operands = ctx->unary();
  auto ops = operatorsOf(ctx);
  ExprPtr result = unary(operands[0]);
  for (size_t i = 1; i < operands.size(); ++i) {
    size_t type = ops[i - 1]->getSymbol()->getType();
    auto kind = type == CrmParser::STAR    ? ast::BinaryOp::Multiply
                : type == CrmParser::SLASH ? ast::BinaryOp::Divide
                                           : ast::BinaryOp::Modulo;
    result = binary(kind, ops[i - 1], std::move(result), unary(operands[i]));
  }
  return result;
}

ExprPtr AstBuilder::unary(CrmParser::UnaryContext* ctx) {
  if (ctx->member() != nullptr) {
    return member(ctx->member());
  }
  ExprPtr operand = unary(ctx->unary());
  // `-9223372036854775808` is the only way to write the smallest int64, so a
  // minus applied straight to an integer literal folds into the literal.
  if (ctx->MINUS() != nullptr && operand->kind == ast::ExprKind::Literal) {
    auto& literal = ast::as<ast::Literal>(*operand);
    bool folds = literal.literalKind == ast::LiteralKind::Double ||
                 literal.literalKind == ast::LiteralKind::Int;
    if (folds && literal.text.rfind("-", 0) != 0) {
      literal.range.begin = rangeOf(ctx).begin;
      literal.text = "-" + literal.text;
      if (literal.literalKind == ast::LiteralKind::Double) {
        literal.doubleValue = -literal.doubleValue;
        return operand;
      }
      if (literal.text == "-9223372036854775808") {
        literal.intValue = std::numeric_limits<int64_t>::min();
        return operand;
      }
      if (literal.intValue >= 0) {
        literal.intValue = -literal.intValue;
        return operand;
      }
    }
  }
  auto node = std::make_unique<ast::Unary>(rangeOf(ctx));
  node->op = ctx->BANG() != nullptr ? ast::UnaryOp::Not : ast::UnaryOp::Negate;
  node->operand = std::move(operand);
  return node;
}

ExprPtr AstBuilder::member(CrmParser::MemberContext* ctx) {
  ExprPtr result = primary(ctx->primary());
  for (auto* postfix : ctx->postfix()) {
    source::SourceRange range{file_.id(), result->range.begin, rangeOf(postfix).end};
    if (auto* index = dynamic_cast<CrmParser::IndexContext*>(postfix)) {
      auto node = std::make_unique<ast::Index>(range);
      node->operand = std::move(result);
      node->index = expr(index->expr());
      result = std::move(node);
      continue;
    }
    if (auto* quoted = dynamic_cast<CrmParser::QuotedSelectContext*>(postfix)) {
      auto node = std::make_unique<ast::Select>(range);
      node->operand = std::move(result);
      std::string text = quoted->QUOTED_IDENT()->getText();
      node->field = {text.substr(1, text.size() - 2), rangeOf(quoted->QUOTED_IDENT())};
      node->optionalChain = quoted->OPTIONAL_DOT() != nullptr;
      result = std::move(node);
      continue;
    }
    auto* select = dynamic_cast<CrmParser::SelectOrCallContext*>(postfix);
    bool optionalChain = select->OPTIONAL_DOT() != nullptr;
    if (select->LPAREN() != nullptr) {
      auto node = std::make_unique<ast::Call>(range);
      node->target = std::move(result);
      node->function = name(select->ident());
      node->optionalChain = optionalChain;
      node->arguments = arguments(select->args());
      result = std::move(node);
    } else {
      auto node = std::make_unique<ast::Select>(range);
      node->operand = std::move(result);
      node->field = name(select->ident());
      node->optionalChain = optionalChain;
      result = std::move(node);
    }
  }
  return result;
}

std::vector<ExprPtr> AstBuilder::arguments(CrmParser::ArgsContext* ctx) {
  std::vector<ExprPtr> result;
  if (ctx != nullptr) {
    for (auto* e : ctx->expr()) {
      result.push_back(expr(e));
    }
  }
  return result;
}

ExprPtr AstBuilder::primary(CrmParser::PrimaryContext* ctx) {
  source::SourceRange range = rangeOf(ctx);
  if (auto* call = dynamic_cast<CrmParser::GlobalCallContext*>(ctx)) {
    auto node = std::make_unique<ast::Call>(range);
    node->function = name(call->ident());
    node->arguments = arguments(call->args());
    return node;
  }
  if (auto* ident = dynamic_cast<CrmParser::IdentifierContext*>(ctx)) {
    auto node = std::make_unique<ast::Ident>(range);
    node->name = ident->getText();
    return node;
  }
  if (auto* paren = dynamic_cast<CrmParser::ParenthesizedContext*>(ctx)) {
    ExprPtr inner = expr(paren->expr());
    inner->parentheses += 1;
    return inner;
  }
  if (auto* list = dynamic_cast<CrmParser::ListLiteralContext*>(ctx)) {
    auto node = std::make_unique<ast::ListLiteral>(range);
    for (auto* e : list->expr()) {
      node->elements.push_back(expr(e));
    }
    return node;
  }
  if (auto* map = dynamic_cast<CrmParser::MapLiteralContext*>(ctx)) {
    auto node = std::make_unique<ast::MapLiteral>(range);
    for (auto* entry : map->mapEntry()) {
      node->entries.emplace_back(expr(entry->key), expr(entry->value));
    }
    return node;
  }
  auto* literalExpr = dynamic_cast<CrmParser::LiteralExprContext*>(ctx);
  return literal(literalExpr->literal());
}

ExprPtr AstBuilder::literal(CrmParser::LiteralContext* ctx) {
  auto node = std::make_unique<ast::Literal>(rangeOf(ctx));
  antlr4::Token* token = ctx->getStart();
  std::string text = token->getText();
  node->text = text;
  switch (token->getType()) {
    case CrmParser::INT: {
      errno = 0;
      bool hex = text.size() > 2 && text[1] == 'x';
      unsigned long long value = std::strtoull(text.c_str() + (hex ? 2 : 0), nullptr, hex ? 16 : 10);
      // 9223372036854775808 is allowed here only to be negated by a unary minus.
      if (errno == ERANGE || value > 9223372036854775808ULL) {
        diagnostics_.report(diag::Code::E0012, node->range,
                            "integer literal `" + text + "` is out of the int range")
            .withHelp("int holds -9223372036854775808 to 9223372036854775807; "
                      "use a decimal or a string for larger values");
        value = 0;
      }
      node->literalKind = ast::LiteralKind::Int;
      node->intValue = static_cast<int64_t>(value);
      break;
    }
    case CrmParser::FLOAT: {
      // `.5` is spelled `0.5`, so that the spelling reads as a decimal too.
      if (text.front() == '.') {
        node->text = "0" + text;
      }
      node->literalKind = ast::LiteralKind::Double;
      node->doubleValue = std::strtod(text.c_str(), nullptr);
      if (std::isinf(node->doubleValue)) {
        diagnostics_.report(diag::Code::E0012, node->range,
                            "number `" + text + "` is out of the double range")
            .withHelp("doubles hold magnitudes up to about 1.8e308");
      }
      break;
    }
    case CrmParser::STRING:
      node->literalKind = ast::LiteralKind::String;
      node->text = composed(stringValue(token));
      break;
    case CrmParser::TRUE_LITERAL:
    case CrmParser::FALSE_LITERAL:
      node->literalKind = ast::LiteralKind::Bool;
      node->intValue = token->getType() == CrmParser::TRUE_LITERAL ? 1 : 0;
      break;
    case CrmParser::DURATION: {
      node->literalKind = ast::LiteralKind::Duration;
      auto value = runtime::parseDurationLiteral(text);
      if (!value) {
        bool fraction = text.size() > 2 && text.compare(text.size() - 2, 2, "ns") == 0;
        diagnostics_.report(diag::Code::E0015, node->range,
                            fraction ? "duration `" + text + "` is not a whole number of "
                                       "microseconds"
                                     : "duration `" + text + "` is out of range or its units "
                                       "are out of order")
            .withHelp(fraction ? "durations have microsecond precision"
                               : "write each unit once, largest first (1h30m), within about "
                                 "292,000 years");
      }
      node->intValue = value.value_or(0);
      break;
    }
    case CrmParser::DATE: {
      node->literalKind = ast::LiteralKind::Date;
      auto value = runtime::parseDate(text);
      if (!value) {
        diagnostics_.report(diag::Code::E0013, node->range, "date `" + text + "` does not exist")
            .withHelp("write a calendar date from 0001-01-01 to 9999-12-31 as YYYY-MM-DD");
      }
      node->intValue = value.value_or(0);
      break;
    }
    case CrmParser::TIMESTAMP: {
      node->literalKind = ast::LiteralKind::Timestamp;
      auto value = runtime::parseTimestamp(text);
      if (!value) {
        diagnostics_.report(diag::Code::E0013, node->range,
                            "timestamp `" + text + "` does not exist")
            .withHelp("write an RFC 3339 instant such as 2026-12-01T09:00:00Z, with at most "
                      "six fractional digits");
      }
      node->intValue = value.value_or(0);
      break;
    }
    default:
      node->literalKind = ast::LiteralKind::Null;
      break;
  }
  return node;
}

namespace {

void appendUtf8(std::string& out, uint32_t codePoint) {
  if (codePoint < 0x80) {
    out += static_cast<char>(codePoint);
  } else if (codePoint < 0x800) {
    out += static_cast<char>(0xC0 | (codePoint >> 6));
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  } else if (codePoint < 0x10000) {
    out += static_cast<char>(0xE0 | (codePoint >> 12));
    out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (codePoint >> 18));
    out += static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// The value of a string token, which may be at most maxStringBytes_ long:
// a longer one is reported at its opening quote and read as "".
std::string AstBuilder::stringValue(antlr4::Token* token) {
  std::string value = decodeString(token);
  if (value.size() <= maxStringBytes_) return value;
  source::SourceRange range = rangeOf(token);
  std::string text = token->getText();
  size_t opening = text.find_first_of("\"'");
  bool triple = text.compare(opening, 3, "\"\"\"") == 0 || text.compare(opening, 3, "'''") == 0;
  range.end = range.begin + static_cast<uint32_t>(opening + (triple ? 3 : 1));
  diagnostics_.report(diag::Code::E0008, range,
                      "string is longer than " + std::to_string(maxStringBytes_) + " bytes (" +
                          std::to_string(value.size()) + " bytes)")
      .withHelp("shorten it: one string value, in a script or in the data, holds at most " +
                std::to_string(maxStringBytes_) + " bytes");
  return "";
}

// Decodes a string token with CEL's escapes: \n \r \t \\ \" \' \` \? \a \b \f
// \v, \xHH, \uHHHH, \UHHHHHHHH and octal \ooo. Triple-quoted strings may span
// lines; raw strings (r"...") keep every backslash, as in CEL.
std::string AstBuilder::decodeString(antlr4::Token* token) {
  std::string text = token->getText();
  bool raw = !text.empty() && (text[0] == 'r' || text[0] == 'R');
  std::string_view quoted(text);
  if (raw) quoted.remove_prefix(1);
  bool triple = quoted.rfind("\"\"\"", 0) == 0 || quoted.rfind("\'\'\'", 0) == 0;
  size_t quote = triple ? 3 : 1;
  std::string_view body = quoted.substr(quote, quoted.size() - 2 * quote);
  if (raw) {
    return std::string(body);
  }
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    size_t escapeStart = i;
    char c = i + 1 < body.size() ? body[++i] : '\0';
    auto invalid = [&](const std::string& why) {
      source::SourceRange range = rangeOf(token);
      range.begin += static_cast<uint32_t>(quote + escapeStart);
      range.end = range.begin + 2;
      diagnostics_.report(diag::Code::E0014, range, why)
          .withHelp("valid escapes are \\n \\r \\t \\a \\b \\f \\v \\\\ \\\" \\' \\` \\?, "
                    "\\xHH, \\uHHHH, \\UHHHHHHHH and octal \\ooo");
    };
    switch (c) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': case '"': case '\'': case '`': case '?': out += c; break;
      case 'x': case 'u': case 'U': {
        size_t digits = 8;  // \U
        if (c == 'x') {
          digits = 2;
        } else if (c == 'u') {
          digits = 4;
        }
        uint32_t value = 0;
        for (size_t k = 0; k < digits; ++k) {
          int h = i + 1 < body.size() ? hexValue(body[i + 1]) : -1;
          if (h < 0) {
            invalid(std::string("escape \\") + c + " needs " + std::to_string(digits) +
                    " hexadecimal digits");
            value = 0xFFFD;
            break;
          }
          value = value * 16 + static_cast<uint32_t>(h);
          ++i;
        }
        if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
          invalid("escape names an invalid code point");
          value = 0xFFFD;
        }
        appendUtf8(out, value);
        break;
      }
      default:
        if (c >= '0' && c <= '3' && i + 2 < body.size() && body[i + 1] >= '0' &&
            body[i + 1] <= '7' && body[i + 2] >= '0' && body[i + 2] <= '7') {
          appendUtf8(out, static_cast<uint32_t>((c - '0') * 64 + (body[i + 1] - '0') * 8 +
                                                (body[i + 2] - '0')));
          i += 2;
        } else {
          invalid(std::string("invalid escape `\\") + c + "` in a string");
        }
        break;
    }
  }
  return out;
}

}  // namespace crm::parse::internal
