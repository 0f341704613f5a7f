#include "repl/evaluation.h"

#include <algorithm>
#include <functional>
#include <set>

#include "runtime/operators.h"
#include "runtime/value_literal.h"

namespace crm::repl {
namespace {

using runtime::Value;

// Visits `node` and, once each, the bodies of the lets, segments and
// recommendations it uses.
void visit(const ir::Program& program, const ir::Node& node, std::set<const ir::Node*>& seen,
           const std::function<void(const ir::Node&)>& action) {
  if (!seen.insert(&node).second)
    return;
  action(node);
  for (const auto& operand : node.operands)
    visit(program, *operand, seen, action);
  if (node.op == ir::Op::Declaration && node.index < program.declarations.size()) {
    visit(program, *program.declarations[node.index].value, seen, action);
  }
  if (node.op == ir::Op::Recommend && node.index < program.recommends.size()) {
    visit(program, *program.recommends[node.index].body, seen, action);
  }
}

constexpr size_t kDistinctShown = 10;
// Distinct values counted one by one; later new values are only counted.
constexpr size_t kDistinctKept = 100000;

}  // namespace

bool readsCustomer(const ir::Program& program, const ir::Node& node) {
  bool reads = false;
  std::set<const ir::Node*> seen;
  visit(program, node, seen, [&](const ir::Node& each) {
    if (each.op == ir::Op::Customer)
      reads = true;
  });
  return reads;
}

std::vector<const ir::Node*> customerFields(const ir::Program& program, const ir::Node& node) {
  std::map<uint32_t, const ir::Node*> fields;
  std::set<const ir::Node*> seen;
  visit(program, node, seen, [&](const ir::Node& each) {
    if (each.op == ir::Op::Field && !each.operands.empty() &&
        each.operands[0]->op == ir::Op::Customer) {
      fields.emplace(each.index, &each);
    }
  });
  std::vector<const ir::Node*> result;
  for (const auto& [column, field] : fields)
    result.push_back(field);
  return result;
}

std::string describeValue(const Value& value, const ast::Type* type) {
  if (value.isError())
    return "error: " + value.asError().message;
  return runtime::literalText(value) + "  : " + (type != nullptr ? ast::toString(type) : "dyn");
}

Summary::Summary(const ast::Type* type) : type_(type) {
  const ast::Type* inner = type != nullptr ? type->unwrapped() : nullptr;
  if (inner != nullptr && inner->is(ast::TypeKind::Bool)) {
    shape_ = Shape::Bool;
  } else if (inner != nullptr && inner->isNumeric()) {
    shape_ = Shape::Number;
  } else {
    shape_ = Shape::Distinct;
  }
}

void Summary::add(const Value& value, const std::string& customerKey) {
  ++customers_;
  if (value.isError()) {
    if (errors_++ == 0)
      firstError_ = "customer " + customerKey + ": " + value.asError().message;
    return;
  }
  if (shape_ == Shape::Bool && value.is(runtime::ValueKind::Bool)) {
    ++(value.asBool() ? trues_ : falses_);
    return;
  }
  if (value.isNull() && shape_ != Shape::Distinct) {
    ++nulls_;
    return;
  }
  if (shape_ == Shape::Number) {
    if (numbers_++ == 0) {
      sum_ = min_ = max_ = value;
      return;
    }
    if (!sum_.isError())
      sum_ = runtime::add(sum_, value);
    bool unordered = false;
    if (runtime::compare(value, min_, unordered) < 0 && !unordered)
      min_ = value;
    if (runtime::compare(value, max_, unordered) > 0 && !unordered)
      max_ = value;
    return;
  }
  std::string text = runtime::literalText(value);
  auto found = distinctIndex_.find(text);
  if (found != distinctIndex_.end()) {
    ++distinct_[found->second].second;
  } else if (distinct_.size() < kDistinctKept) {
    distinctIndex_.emplace(text, distinct_.size());
    distinct_.emplace_back(std::move(text), 1);
  } else {
    ++distinctDropped_;
  }
}

void Summary::print(std::ostream& out) const {
  out << customers_ << " customer" << (customers_ == 1 ? "" : "s") << "  : "
      << (type_ != nullptr ? ast::toString(type_) : "dyn") << "\n";
  auto line = [&](const std::string& label, const std::string& value) {
    out << "  " << label << std::string(label.size() < 8 ? 8 - label.size() : 1, ' ') << value
        << "\n";
  };
  switch (shape_) {
    case Shape::Bool:
      line("true", std::to_string(trues_));
      line("false", std::to_string(falses_));
      if (nulls_ > 0)
        line("null", std::to_string(nulls_));
      break;
    case Shape::Number:
      line("count", std::to_string(numbers_));
      if (numbers_ > 0) {
        line("sum",
             sum_.isError() ? "error: " + sum_.asError().message : runtime::literalText(sum_));
        line("min", runtime::literalText(min_));
        line("max", runtime::literalText(max_));
      }
      if (nulls_ > 0)
        line("null", std::to_string(nulls_));
      break;
    case Shape::Distinct: {
      size_t shown = std::min(distinct_.size(), kDistinctShown);
      size_t width = 0;
      for (size_t i = 0; i < shown; ++i)
        width = std::max(width, distinct_[i].first.size());
      for (size_t i = 0; i < shown; ++i) {
        out << "  " << distinct_[i].first << std::string(width - distinct_[i].first.size() + 2, ' ')
            << distinct_[i].second << "\n";
      }
      size_t more = distinct_.size() - shown;
      if (more > 0 || distinctDropped_ > 0) {
        out << "  ... " << more << (distinctDropped_ > 0 ? " or more" : "")
            << " other distinct value" << (more == 1 ? "" : "s") << "\n";
      }
      break;
    }
  }
  std::string errors = std::to_string(errors_);
  if (errors_ > 0)
    errors += "  (first: " + firstError_ + ")";
  line("error", errors);
}

}  // namespace crm::repl
