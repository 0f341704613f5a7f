#include "compiler/ast/ast.h"

namespace crm::ast {

const char* spelling(BinaryOp op) {
  switch (op) {
    case BinaryOp::Or: return "||";
    case BinaryOp::And: return "&&";
    case BinaryOp::Coalesce: return "??";
    case BinaryOp::Less: return "<";
    case BinaryOp::LessEqual: return "<=";
    case BinaryOp::Greater: return ">";
    case BinaryOp::GreaterEqual: return ">=";
    case BinaryOp::Equal: return "==";
    case BinaryOp::NotEqual: return "!=";
    case BinaryOp::In: return "in";
    case BinaryOp::NotIn: return "not in";
    case BinaryOp::Within: return "within";
    case BinaryOp::Add: return "+";
    case BinaryOp::Subtract: return "-";
    case BinaryOp::Multiply: return "*";
    case BinaryOp::Divide: return "/";
    case BinaryOp::Modulo: return "%";
  }
  return "?";
}

const char* spelling(DeclKind kind) {
  switch (kind) {
    case DeclKind::Import: return "import";
    case DeclKind::Enum: return "enum";
    case DeclKind::Record: return "record";
    case DeclKind::Entity: return "entity";
    case DeclKind::Source: return "source";
    case DeclKind::Let: return "let";
    case DeclKind::Segment: return "segment";
    case DeclKind::Trigger: return "trigger";
    case DeclKind::Recommend: return "recommend";
    case DeclKind::Channel: return "channel";
    case DeclKind::Campaign: return "campaign";
    case DeclKind::Pressure: return "pressure";
    case DeclKind::Test: return "test";
  }
  return "declaration";
}

const FieldDecl* RecordDecl::field(const std::string& fieldName) const {
  for (const auto& f : fields) {
    if (f.name.text == fieldName) {
      return &f;
    }
  }
  return nullptr;
}

}  // namespace crm::ast
