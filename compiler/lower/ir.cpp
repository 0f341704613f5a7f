#include "compiler/lower/ir.h"

namespace crm::ir {

const char* opName(Op op) {
  switch (op) {
    case Op::Constant: return "constant";
    case Op::Now: return "now";
    case Op::Customer: return "customer";
    case Op::Catalog: return "catalog";
    case Op::Variable: return "variable";
    case Op::External: return "external";
    case Op::Declaration: return "declaration";
    case Op::Field: return "field";
    case Op::RecordField: return "record_field";
    case Op::MapKey: return "map_key";
    case Op::Has: return "has";
    case Op::Index: return "index";
    case Op::MakeList: return "make_list";
    case Op::MakeMap: return "make_map";
    case Op::MakeRecord: return "make_record";
    case Op::Not: return "not";
    case Op::Negate: return "negate";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::Conditional: return "conditional";
    case Op::Coalesce: return "coalesce";
    case Op::Equal: return "equal";
    case Op::NotEqual: return "not_equal";
    case Op::Less: return "less";
    case Op::LessEqual: return "less_equal";
    case Op::Greater: return "greater";
    case Op::GreaterEqual: return "greater_equal";
    case Op::In: return "in";
    case Op::Within: return "within";
    case Op::Add: return "add";
    case Op::Subtract: return "subtract";
    case Op::Multiply: return "multiply";
    case Op::Divide: return "divide";
    case Op::Modulo: return "modulo";
    case Op::Builtin: return "builtin";
    case Op::Macro: return "macro";
    case Op::Recommend: return "recommend";
  }
  return "?";
}

std::vector<uint32_t> Program::segments() const {
  std::vector<uint32_t> indexes;
  for (uint32_t i = 0; i < declarations.size(); ++i) {
    if (declarations[i].segment) indexes.push_back(i);
  }
  return indexes;
}

namespace {

void dumpInto(std::string& out, const Node& node, int depth) {
  out.append(static_cast<size_t>(depth) * 2, ' ');
  out += opName(node.op);
  switch (node.op) {
    case Op::Constant: out += " " + runtime::displayText(node.constant); break;
    case Op::Variable:
    case Op::External:
    case Op::Macro: out += " slot=" + std::to_string(node.slot); break;
    case Op::Field:
    case Op::RecordField:
    case Op::Declaration:
    case Op::Recommend: out += " index=" + std::to_string(node.index); break;
    case Op::MapKey: out += " key=" + runtime::displayText(node.constant); break;
    case Op::Builtin: out += " " + std::string(stdlib::builtinId(node.builtin)); break;
    default: break;
  }
  if (node.nullSafe) out += " null-safe";
  if (node.type != nullptr) out += " : " + ast::toString(node.type);
  out += '\n';
  for (const auto& operand : node.operands) dumpInto(out, *operand, depth + 1);
}

}  // namespace

std::string dump(const Node& node) {
  std::string out;
  dumpInto(out, node, 0);
  return out;
}

}  // namespace crm::ir
