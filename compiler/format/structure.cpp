#include "compiler/format/structure.h"

#include <sstream>

namespace crm::format {
namespace {

class StructureWriter {
 public:
  StructureWriter() { out_.precision(17); }

  std::string script(const ast::Script& script) {
    for (const auto& decl : script.decls) declaration(*decl);
    return out_.str();
  }

 private:
  void expr(const ast::Expr* expr) {
    if (expr == nullptr) {
      out_ << "_";
      return;
    }
    switch (expr->kind) {
      case ast::ExprKind::Literal: {
        const auto& literal = ast::as<ast::Literal>(*expr);
        out_ << "lit" << static_cast<int>(literal.literalKind) << "(" << literal.intValue << ","
             << literal.doubleValue << "," << quoted(literal.text) << ")";
        break;
      }
      case ast::ExprKind::Ident:
        out_ << "id(" << ast::as<ast::Ident>(*expr).name << ")";
        break;
      case ast::ExprKind::Select: {
        const auto& select = ast::as<ast::Select>(*expr);
        out_ << (select.optionalChain ? "sel?(" : "sel(");
        this->expr(select.operand.get());
        out_ << "," << quoted(select.field.text) << ")";
        break;
      }
      case ast::ExprKind::Index: {
        const auto& index = ast::as<ast::Index>(*expr);
        out_ << "index(";
        this->expr(index.operand.get());
        out_ << ",";
        this->expr(index.index.get());
        out_ << ")";
        break;
      }
      case ast::ExprKind::Call: {
        const auto& call = ast::as<ast::Call>(*expr);
        out_ << (call.optionalChain ? "call?(" : "call(") << call.function.text << ",";
        this->expr(call.target.get());
        list(call.arguments);
        out_ << ")";
        break;
      }
      case ast::ExprKind::List:
        out_ << "list(";
        list(ast::as<ast::ListLiteral>(*expr).elements);
        out_ << ")";
        break;
      case ast::ExprKind::Map:
        out_ << "map(";
        for (const auto& [key, value] : ast::as<ast::MapLiteral>(*expr).entries) {
          this->expr(key.get());
          out_ << ":";
          this->expr(value.get());
          out_ << ";";
        }
        out_ << ")";
        break;
      case ast::ExprKind::Unary: {
        const auto& unary = ast::as<ast::Unary>(*expr);
        out_ << (unary.op == ast::UnaryOp::Not ? "not(" : "neg(");
        this->expr(unary.operand.get());
        out_ << ")";
        break;
      }
      case ast::ExprKind::Binary: {
        const auto& binary = ast::as<ast::Binary>(*expr);
        out_ << "bin(" << ast::spelling(binary.op) << ",";
        this->expr(binary.lhs.get());
        out_ << ",";
        this->expr(binary.rhs.get());
        out_ << ")";
        break;
      }
      case ast::ExprKind::Conditional: {
        const auto& conditional = ast::as<ast::Conditional>(*expr);
        out_ << "cond(";
        this->expr(conditional.condition.get());
        out_ << ",";
        this->expr(conditional.then.get());
        out_ << ",";
        this->expr(conditional.otherwise.get());
        out_ << ")";
        break;
      }
    }
  }

  void list(const std::vector<ast::ExprPtr>& exprs) {
    for (const auto& e : exprs) {
      out_ << ",";
      expr(e.get());
    }
  }

  static std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }

  void type(const ast::TypeRef& ref) {
    out_ << ref.name.text;
    if (!ref.arguments.empty()) {
      out_ << "<";
      for (const auto& argument : ref.arguments) {
        type(argument);
        out_ << ",";
      }
      out_ << ">";
    }
    if (ref.optional) out_ << "?";
  }

  void property(const ast::Property& property) {
    out_ << "  prop " << property.name.text << " " << static_cast<int>(property.form) << " "
         << property.unit.text << " " << property.startMinute << " " << property.endMinute << " "
         << property.local;
    list(property.values);
    out_ << "\n";
  }

  void declaration(const ast::Decl& decl) {
    out_ << ast::spelling(decl.kind) << " " << quoted(decl.name.text) << "\n";
    switch (decl.kind) {
      case ast::DeclKind::Import:
        out_ << "  " << quoted(ast::as<ast::ImportDecl>(decl).path) << "\n";
        break;
      case ast::DeclKind::Enum:
        for (const auto& value : ast::as<ast::EnumDecl>(decl).values) {
          out_ << "  " << value.text << "\n";
        }
        break;
      case ast::DeclKind::Record:
      case ast::DeclKind::Entity:
        record(ast::as<ast::RecordDecl>(decl));
        break;
      case ast::DeclKind::Source:
        source(ast::as<ast::SourceDecl>(decl));
        break;
      case ast::DeclKind::Let: {
        const auto& let = ast::as<ast::LetDecl>(decl);
        out_ << "  ";
        if (let.typeRef) type(*let.typeRef);
        out_ << " = ";
        expr(let.value.get());
        out_ << "\n";
        break;
      }
      case ast::DeclKind::Segment:
        out_ << "  ";
        expr(ast::as<ast::SegmentDecl>(decl).condition.get());
        out_ << "\n";
        break;
      case ast::DeclKind::Trigger:
        trigger(ast::as<ast::TriggerDecl>(decl));
        break;
      case ast::DeclKind::Recommend:
        recommend(ast::as<ast::RecommendDecl>(decl));
        break;
      case ast::DeclKind::Channel:
        for (const auto& p : ast::as<ast::ChannelDecl>(decl).properties) property(p);
        break;
      case ast::DeclKind::Campaign:
        for (const auto& p : ast::as<ast::CampaignDecl>(decl).properties) property(p);
        break;
      case ast::DeclKind::Pressure:
        for (const auto& rule : ast::as<ast::PressureDecl>(decl).rules) pressureRule(rule);
        break;
      case ast::DeclKind::Test:
        for (const auto& item : ast::as<ast::TestDecl>(decl).items) testItem(item);
        break;
    }
  }

  void record(const ast::RecordDecl& decl) {
    if (decl.kind == ast::DeclKind::Entity) {
      const auto& entity = ast::as<ast::EntityDecl>(decl);
      out_ << "  role " << static_cast<int>(entity.role) << " key " << entity.key.text;
      for (const auto& level : entity.levels) out_ << " " << level.text;
      out_ << "\n";
    }
    for (const auto& field : decl.fields) {
      out_ << "  " << field.name.text << ": ";
      type(field.typeRef);
      out_ << "\n";
    }
  }

  void source(const ast::SourceDecl& decl) {
    out_ << "  " << decl.entity.text << " ";
    expr(decl.format.get());
    out_ << "\n";
    for (const auto& option : decl.options) property(option);
    for (const auto& column : decl.columns) {
      out_ << "  column " << quoted(column.column.text) << " -> " << column.field.text << " ";
      if (column.typeRef) type(*column.typeRef);
      out_ << "\n";
    }
  }

  void trigger(const ast::TriggerDecl& decl) {
    out_ << "  " << decl.stream.text << " as " << decl.binder.text << " ";
    expr(decl.onCondition.get());
    out_ << " ";
    expr(decl.when.get());
    out_ << " ";
    expr(decl.after.get());
    out_ << " " << (decl.unlessStream ? decl.unlessStream->text : "_") << " ";
    expr(decl.unlessCondition.get());
    out_ << " ";
    expr(decl.unlessWindow.get());
    out_ << "\n";
  }

  void recommend(const ast::RecommendDecl& decl) {
    for (const auto& param : decl.params) {
      out_ << "  param " << param.name.text << ": ";
      type(param.typeRef);
      out_ << " = ";
      expr(param.defaultValue.get());
      out_ << "\n";
    }
    out_ << "  : ";
    type(decl.resultRef);
    out_ << " = ";
    expr(decl.body.get());
    out_ << "\n";
  }

  void pressureRule(const ast::PressureRule& rule) {
    out_ << "  rule " << static_cast<int>(rule.kind) << " ";
    expr(rule.limit.get());
    out_ << " " << rule.calendarCount << " " << (rule.calendarUnit ? rule.calendarUnit->text : "_")
         << " ";
    expr(rule.window.get());
    out_ << " " << rule.rolling;
    for (const auto& scope : rule.scopes) out_ << " " << scope.group << scope.name.text;
    for (const auto& key : rule.rankKeys) out_ << " " << key.name.text << key.descending;
    for (const auto& name : rule.exempt) out_ << " " << name.text;
    out_ << "\n";
  }

  void testItem(const ast::TestItem& item) {
    out_ << "  item " << static_cast<int>(item.kind) << " " << item.target.text << " "
         << (item.channel ? item.channel->text : "_") << " " << quoted(item.errorText) << " ";
    expr(item.expr.get());
    out_ << "\n";
    if (item.kind == ast::TestItemKind::Property) property(item.property);
    for (const auto& field : item.fields) {
      out_ << "  field " << field.name.text << " ";
      expr(field.value.get());
      out_ << "\n";
    }
  }

  std::ostringstream out_;
};

}  // namespace

std::string dumpStructure(const ast::Script& script) { return StructureWriter().script(script); }

}  // namespace crm::format
