// Converts ANTLR parse trees into AST nodes. Internal to compiler/parse: the
// only header outside the generated code that names ANTLR types.
#pragma once

#include <vector>

#include "CrmParser.h"
#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/source/source.h"

namespace crm::parse::internal {

class AstBuilder {
 public:
  // `codePointToByte[i]` is the byte offset of the i-th code point of the
  // lexed text (one extra entry for the end).
  // String literals whose value is longer than `maxStringBytes` are
  // reported (E0008).
  AstBuilder(const source::SourceFile& file, const std::vector<uint32_t>& codePointToByte,
             diag::DiagnosticEngine& diagnostics, size_t maxStringBytes)
      : file_(file),
        codePointToByte_(codePointToByte),
        diagnostics_(diagnostics),
        maxStringBytes_(maxStringBytes) {}

  ast::DeclPtr declaration(CrmParser::DeclarationContext* ctx);
  ast::ExprPtr expression(CrmParser::ExpressionContext* ctx) { return expr(ctx->expr()); }

 private:
  source::SourceRange rangeOf(antlr4::ParserRuleContext* ctx) const;
  source::SourceRange rangeOf(antlr4::Token* token) const;
  source::SourceRange rangeOf(antlr4::tree::TerminalNode* node) const {
    return rangeOf(node->getSymbol());
  }
  ast::Name name(CrmParser::IdentContext* ctx) const;
  ast::TypeRef typeRef(CrmParser::TypeRefContext* ctx) const;

  ast::DeclPtr importDecl(CrmParser::ImportDeclContext* ctx);
  ast::DeclPtr enumDecl(CrmParser::EnumDeclContext* ctx);
  ast::DeclPtr recordDecl(CrmParser::RecordDeclContext* ctx);
  ast::DeclPtr entityDecl(CrmParser::EntityDeclContext* ctx);
  ast::DeclPtr sourceDecl(CrmParser::SourceDeclContext* ctx);
  ast::DeclPtr letDecl(CrmParser::LetDeclContext* ctx);
  ast::DeclPtr segmentDecl(CrmParser::SegmentDeclContext* ctx);
  ast::DeclPtr triggerDecl(CrmParser::TriggerDeclContext* ctx);
  ast::DeclPtr recommendDecl(CrmParser::RecommendDeclContext* ctx);
  ast::DeclPtr channelDecl(CrmParser::ChannelDeclContext* ctx);
  ast::DeclPtr campaignDecl(CrmParser::CampaignDeclContext* ctx);
  ast::DeclPtr pressureDecl(CrmParser::PressureDeclContext* ctx);
  ast::DeclPtr testDecl(CrmParser::TestDeclContext* ctx);

  ast::FieldDecl field(CrmParser::FieldDeclContext* ctx) const;
  ast::Property property(CrmParser::PropertyContext* ctx);
  ast::PressureRule pressureRule(CrmParser::PressureRuleContext* ctx);
  ast::TestItem testItem(CrmParser::TestItemContext* ctx);

  ast::ExprPtr expr(CrmParser::ExprContext* ctx);
  ast::ExprPtr coalesce(CrmParser::CoalesceContext* ctx);
  ast::ExprPtr orExpr(CrmParser::OrExprContext* ctx);
  ast::ExprPtr andExpr(CrmParser::AndExprContext* ctx);
  ast::ExprPtr relation(CrmParser::RelationContext* ctx);
  ast::ExprPtr addition(CrmParser::AdditionContext* ctx);
  ast::ExprPtr multiplication(CrmParser::MultiplicationContext* ctx);
  ast::ExprPtr unary(CrmParser::UnaryContext* ctx);
  ast::ExprPtr member(CrmParser::MemberContext* ctx);
  ast::ExprPtr primary(CrmParser::PrimaryContext* ctx);
  ast::ExprPtr literal(CrmParser::LiteralContext* ctx);
  std::vector<ast::ExprPtr> arguments(CrmParser::ArgsContext* ctx);
  ast::ExprPtr binary(ast::BinaryOp op, antlr4::tree::ParseTree* opNode, ast::ExprPtr lhs,
                      ast::ExprPtr rhs);

  std::string stringValue(antlr4::Token* token);
  std::string decodeString(antlr4::Token* token);

  const source::SourceFile& file_;
  const std::vector<uint32_t>& codePointToByte_;
  diag::DiagnosticEngine& diagnostics_;
  size_t maxStringBytes_;
};

}  // namespace crm::parse::internal
