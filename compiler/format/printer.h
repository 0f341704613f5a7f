// Turns a parsed script and its comments into a layout document. Internal
// to compiler/format: format.h is the entry point.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/format/doc.h"
#include "compiler/source/source.h"

namespace crm::format::internal {

// Where an expression sits decides how its continuation lines are placed.
// The value of a declaration or property continues two columns in from its
// first line; inside brackets and arguments, lines align with its start.
enum class Context { Statement, Nested };

class Printer {
 public:
  Printer(const source::SourceFile& file, const std::vector<ast::Comment>& comments)
      : file_(file), comments_(comments) {}

  Doc script(const ast::Script& script);

 private:
  // One member of a block, built when it is reached so that comments are
  // taken in source order.
  struct Item {
    uint32_t begin;
    std::function<Doc()> build;
  };

  // ------------------------------------------------------------ comments
  std::string slice(source::SourceRange range) const;
  bool hasComment(uint32_t before) const;
  bool startsLine(uint32_t offset) const;
  bool blankLineBefore(uint32_t offset) const;
  bool lineBreakAfter(uint32_t offset) const;
  // The offset of the first `}` at or after `offset` outside comments, for
  // a block whose end the tree does not record.
  uint32_t closingBraceAfter(uint32_t offset) const;
  // Comments before `offset` on the line of the code before them. With
  // `forceBreak`, used just before a possible line break of the enclosing
  // group, a line comment forces that break, so that it stays beside its
  // code inside the group.
  Doc trailingComments(uint32_t offset, bool forceBreak = false);
  // Every remaining comment before `offset`, inside an expression.
  Doc leadingComments(uint32_t offset);
  Doc commentsBefore(uint32_t offset);
  // Items on lines of their own, with the comments between them and one
  // empty line kept wherever the source has at least one.
  Doc blockLines(const std::vector<Item>& items, uint32_t end, bool fileStart);
  // `{`, the items one per line, `}`; `{}` when there is nothing inside.
  Doc block(const std::vector<Item>& items, uint32_t end);

  // --------------------------------------------------------- declarations
  Doc declaration(const ast::Decl& decl);
  Doc enumDecl(const ast::EnumDecl& decl);
  Doc recordDecl(const ast::RecordDecl& decl);
  Doc sourceDecl(const ast::SourceDecl& decl);
  Doc columnsBlock(const ast::SourceDecl& decl, uint32_t end);
  Doc triggerDecl(const ast::TriggerDecl& decl);
  Doc recommendDecl(const ast::RecommendDecl& decl);
  Doc pressureRule(const ast::PressureRule& rule);
  Doc testDecl(const ast::TestDecl& decl);
  Doc testItem(const ast::TestItem& item);
  Doc property(const ast::Property& property);
  Doc typeRef(const ast::TypeRef& ref) const;
  std::vector<Item> propertyItems(const std::vector<ast::Property>& properties);

  // ---------------------------------------------------------- expressions
  Doc expr(const ast::Expr& expr, Context context);
  Doc unparenthesized(const ast::Expr& expr, Context context);
  Doc operand(const ast::Expr& expr, int minimumLevel, Context context = Context::Nested);
  Doc binaryChain(const ast::Binary& binary, Context context);
  Doc conditionalChain(const ast::Conditional& conditional, Context context);
  Doc memberChain(const ast::Expr& expr, Context context);
  Doc postfix(const ast::Expr& link);
  Doc arguments(const std::vector<ast::ExprPtr>& arguments, uint32_t end);
  Doc listLiteral(const ast::ListLiteral& list);
  Doc mapLiteral(const ast::MapLiteral& map);
  Doc literal(const ast::Literal& literal) const;

  const source::SourceFile& file_;
  const std::vector<ast::Comment>& comments_;
  size_t nextComment_ = 0;
  // Whether a trailing line comment was placed and no line break is certain
  // to have ended it yet.
  bool lineCommentWaits_ = false;
};

// Binding strength of an expression's outermost operator, from the
// conditional (0) to member access and primaries (8).
int precedence(const ast::Expr& expr);

}  // namespace crm::format::internal
