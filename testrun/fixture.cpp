#include "testrun/fixture.h"

#include "interp/interpreter.h"
#include "loader/loader.h"
#include "testrun/internal.h"

namespace crm::testrun {
namespace {

using ast::TypeKind;
using internal::childEntityOf;
using internal::defaultValue;
using internal::entityOf;
using internal::Entries;
using internal::entriesOf;
using runtime::Value;

// A set given as a list literal contains each element once.
Value distinctItems(const Value& list) {
  std::vector<Value> items;
  for (size_t i = 0; i < list.listSize(); ++i) {
    Value item = list.listAt(i);
    bool seen = false;
    for (const Value& kept : items) {
      Value same = runtime::equals(kept, item);
      seen = seen || (same.is(runtime::ValueKind::Bool) && same.asBool());
    }
    if (!seen) items.push_back(std::move(item));
  }
  return Value::list(std::move(items));
}

// Returns `value` with the defaults of the fields that the records given as maps in
// `expr` leave out, in records and lists at any depth, and with each set's
// elements distinct.
Value withDefaults(const Value& value, const ast::Type* type, const ast::Expr& expr) {
  if (type == nullptr || type->isError()) return value;
  const ast::Type* unwrapped = type->unwrapped();
  bool set = unwrapped->is(TypeKind::Set);
  if ((unwrapped->is(TypeKind::List) || set) && value.is(runtime::ValueKind::List)) {
    const ast::ListLiteral* literal =
        expr.kind == ast::ExprKind::List ? &ast::as<ast::ListLiteral>(expr) : nullptr;
    std::vector<Value> items;
    for (size_t i = 0; i < value.listSize(); ++i) {
      bool written = literal != nullptr && literal->elements.size() == value.listSize();
      items.push_back(written ? withDefaults(value.listAt(i), unwrapped->element,
                                             *literal->elements[i])
                              : value.listAt(i));
    }
    Value list = Value::list(std::move(items));
    return set ? distinctItems(list) : list;
  }
  if (!unwrapped->is(TypeKind::Record) || expr.kind != ast::ExprKind::Map ||
      !value.is(runtime::ValueKind::Record)) {
    return value;
  }
  const auto& record = ast::as<ast::RecordDecl>(*unwrapped->decl);
  const auto& data = value.asRecord();
  Entries entries = entriesOf(ast::as<ast::MapLiteral>(expr));
  std::vector<Value> fields = data.fields;
  for (size_t i = 0; i < record.fields.size() && i < fields.size(); ++i) {
    const ast::Type* fieldType = record.fields[i].type;
    if (fieldType == nullptr || fieldType->isError()) continue;
    const ast::Expr* given = nullptr;
    for (const auto& [name, fieldExpr] : entries) {
      if (name == record.fields[i].name.text) given = fieldExpr;
    }
    if (given != nullptr) {
      fields[i] = withDefaults(fields[i], fieldType, *given);
    } else if (auto fallback = defaultValue(fieldType)) {
      fields[i] = *fallback;
    }
  }
  return Value::record(data.info, std::move(fields));
}

// Whether evaluating `node` reads the customer or the catalog, which do
// not exist while the test's data is evaluated.
bool readsData(const ir::Node& node) {
  switch (node.op) {
    case ir::Op::Customer:
    case ir::Op::Catalog:
    case ir::Op::Declaration:
    case ir::Op::Recommend:
      return true;
    default:
      break;
  }
  for (const auto& operand : node.operands) {
    if (operand != nullptr && readsData(*operand)) return true;
  }
  return false;
}

}  // namespace

std::string locationOf(const source::SourceManager& sources, source::SourceRange range) {
  if (!range.valid()) return "?";
  const source::SourceFile& file = sources.file(range.file);
  source::LineColumn at = file.lineColumn(range.begin);
  return file.path() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

std::string showValue(const Value& value) {
  if (value.is(runtime::ValueKind::String)) return "\"" + std::string(value.asString()) + "\"";
  if (value.is(runtime::ValueKind::List)) {
    std::string text = "[";
    for (size_t i = 0; i < value.listSize(); ++i) {
      if (i > 0) text += ", ";
      text += showValue(value.listAt(i));
    }
    return text + "]";
  }
  if (value.isError()) return "error: " + value.asError().message;
  return runtime::displayText(value);
}

std::unique_ptr<runtime::Store> buildFixtureStore(
    const FixturePlan& plan, const Schema& schema, const ir::Program& program,
    const std::map<const ast::Expr*, const ir::Node*>& lowered,
    const source::SourceManager& sources, std::vector<Failure>& problems) {
  interp::Interpreter interpreter(program, nullptr, plan.now);
  std::map<const ast::Expr*, Value> values;
  for (const ast::Expr* expression : plan.expressions) {
    const ir::Node& node = *lowered.at(expression);
    if (readsData(node)) {
      problems.push_back({locationOf(sources, expression->range),
                          "test data cannot read `customer`, `catalog`, lets, segments or "
                          "recommendations; write the value itself"});
      continue;
    }
    Value value = interpreter.evaluate(node);
    if (value.isError()) {
      problems.push_back({locationOf(sources, expression->range),
                          "this value is an error: " + value.asError().message});
    }
    values[expression] = value;
  }
  if (!problems.empty()) return nullptr;

  std::vector<load::GivenRow> rows;
  // The key texts of each entity's rows, with where each was given.
  std::map<const ast::EntityDecl*, std::map<std::string, std::string>> keys;
  for (const PlannedRow& planned : plan.rows) {
    load::GivenRow row;
    row.entity = planned.entity;
    row.parent = planned.parent;
    for (size_t i = 0; i < planned.fields.size(); ++i) {
      const ast::FieldDecl& field = planned.entity->fields[i];
      Value value;
      if (planned.fields[i] != nullptr) {
        value = withDefaults(values.at(planned.fields[i]), field.type, *planned.fields[i]);
      } else if (field.type != nullptr && !field.type->isError() && !childEntityOf(field.type)) {
        value = defaultValue(field.type).value_or(Value::null());
      }
      if (field.name.text == planned.entity->key.text && planned.fields[i] != nullptr) {
        std::string key = runtime::displayText(value);
        std::string where = locationOf(sources, planned.fields[i]->range);
        auto [it, inserted] = keys[planned.entity].emplace(key, where);
        // Elements of a child list may share a key, as the lines of one
        // basket share its id; the loader reads such data the same way.
        if (!inserted && planned.parent == SIZE_MAX) {
          problems.push_back({where, "`" + planned.entity->name.text + "` '" + key +
                                         "' is given twice; the first is at " + it->second});
        }
      }
      row.fields.push_back(std::move(value));
    }
    rows.push_back(std::move(row));
  }
  // A reference by key must name a row of the test.
  for (size_t r = 0; r < plan.rows.size(); ++r) {
    const PlannedRow& planned = plan.rows[r];
    for (size_t i = 0; i < planned.fields.size(); ++i) {
      const ast::EntityDecl* target = entityOf(planned.entity->fields[i].type);
      if (target == nullptr || planned.fields[i] == nullptr || rows[r].fields[i].isNull()) continue;
      std::string key = runtime::displayText(rows[r].fields[i]);
      if (keys[target].count(key) == 0) {
        problems.push_back({locationOf(sources, planned.fields[i]->range),
                            "`" + planned.entity->fields[i].name.text + "` names `" +
                                target->name.text + "` '" + key +
                                "', which the test does not give; add that row or give it "
                                "inline as a `{ field: value }` map"});
      }
    }
  }
  if (!problems.empty()) return nullptr;

  auto built = load::buildStore(schema.scripts, rows);
  for (const auto& error : built.report.errors) problems.push_back({"", error});
  if (!problems.empty()) return nullptr;
  return std::move(built.store);
}

}  // namespace crm::testrun
