#include "testrun/fixture.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "interp/interpreter.h"
#include "loader/loader.h"

namespace crm::testrun {
namespace {

using ast::TypeKind;
using runtime::Value;
using Entries = std::vector<std::pair<std::string, const ast::Expr*>>;

Entries entriesOf(const ast::MapLiteral& map) {
  Entries entries;
  for (const auto& [key, value] : map.entries) {
    if (key->kind == ast::ExprKind::Ident) {
      entries.emplace_back(ast::as<ast::Ident>(*key).name, value.get());
    }
  }
  return entries;
}

const ast::EntityDecl* entityOf(const ast::Type* type) {
  if (type == nullptr) return nullptr;
  const ast::Type* value = type->unwrapped();
  return value->is(TypeKind::Entity) ? &ast::as<ast::EntityDecl>(*value->decl) : nullptr;
}

const ast::EntityDecl* childEntityOf(const ast::Type* type) {
  if (type == nullptr || !type->unwrapped()->is(TypeKind::List)) return nullptr;
  return entityOf(type->unwrapped()->element);
}

// The value of a field that a test leaves out; none for the types without
// one (dates, timestamps, durations, enums, records, references).
std::optional<Value> defaultValue(const ast::Type* type) {
  if (type->isOptional()) return Value::null();
  switch (type->kind) {
    case TypeKind::List:
    case TypeKind::Set: return Value::list({});
    case TypeKind::Map: return Value::map({});
    case TypeKind::Int: return Value::integer(0);
    case TypeKind::Double: return Value::floating(0);
    case TypeKind::Decimal: return Value::decimal(runtime::Decimal{0, 0});
    case TypeKind::String: return Value::string("");
    case TypeKind::Bool: return Value::boolean(false);
    default: return std::nullopt;
  }
}

class Planner {
 public:
  Planner(const Schema& schema, const source::SourceManager& sources, FixturePlan& plan)
      : schema_(schema), sources_(sources), plan_(plan) {}

  void plan(const ast::TestDecl& test);

 private:
  size_t addRow(const ast::EntityDecl& entity, const Entries& entries, source::SourceRange range,
                size_t parent);
  void addRows(const ast::EntityDecl& entity, const ast::Expr& list, size_t parent,
               const std::string& what);
  void checkRecord(const ast::RecordDecl& record, const ast::MapLiteral& map);
  // The entity whose child list contains rows of `entity`, if any.
  const ast::EntityDecl* parentOf(const ast::EntityDecl& entity) const;
  void problem(source::SourceRange range, std::string message) {
    problems_.push_back({range, std::move(message)});
  }

  const Schema& schema_;
  const source::SourceManager& sources_;
  FixturePlan& plan_;
  size_t customerRow_ = SIZE_MAX;
  std::vector<std::pair<source::SourceRange, std::string>> problems_;
};

const ast::EntityDecl* Planner::parentOf(const ast::EntityDecl& entity) const {
  for (const ast::EntityDecl* other : schema_.entities) {
    for (const auto& field : other->fields) {
      if (childEntityOf(field.type) == &entity) return other;
    }
  }
  return nullptr;
}

void Planner::checkRecord(const ast::RecordDecl& record, const ast::MapLiteral& map) {
  Entries entries = entriesOf(map);
  for (const auto& field : record.fields) {
    const ast::Expr* given = nullptr;
    for (const auto& [name, value] : entries) {
      if (name == field.name.text) given = value;
    }
    if (field.type == nullptr || field.type->isError()) continue;
    if (given == nullptr && !defaultValue(field.type)) {
      problem(map.range, "this `" + record.name.text + "` lacks the field `" + field.name.text +
                             "`, which has no default; give it");
    }
    const ast::Type* value = field.type->unwrapped();
    if (given != nullptr && given->kind == ast::ExprKind::Map && value->is(TypeKind::Record)) {
      checkRecord(ast::as<ast::RecordDecl>(*value->decl), ast::as<ast::MapLiteral>(*given));
    }
  }
}

size_t Planner::addRow(const ast::EntityDecl& entity, const Entries& entries,
                       source::SourceRange range, size_t parent) {
  size_t index = plan_.rows.size();
  PlannedRow row;
  row.entity = &entity;
  row.fields.assign(entity.fields.size(), nullptr);
  row.records.assign(entity.fields.size(), nullptr);
  row.parent = parent;
  row.range = range;
  plan_.rows.push_back(row);
  std::vector<bool> given(entity.fields.size(), false);
  for (const auto& [name, value] : entries) {
    size_t i = 0;
    while (i < entity.fields.size() && entity.fields[i].name.text != name) ++i;
    if (i == entity.fields.size()) continue;  // the checker reported it
    given[i] = true;
    const ast::Type* type = entity.fields[i].type;
    if (type == nullptr || type->isError()) continue;
    if (const ast::EntityDecl* children = childEntityOf(type)) {
      addRows(*children, *value, index, "`" + name + "`");
      continue;
    }
    const ast::EntityDecl* target = entityOf(type);
    if (target != nullptr && value->kind == ast::ExprKind::Map) {
      if (const ast::EntityDecl* owner = parentOf(*target)) {
        problem(value->range, "a `" + target->name.text + "` row belongs to the list of its `" +
                                  owner->name.text + "`; give it there and refer to it by its key");
        continue;
      }
      size_t inlineRow = addRow(*target, entriesOf(ast::as<ast::MapLiteral>(*value)),
                                value->range, SIZE_MAX);
      size_t key = 0;
      while (key < target->fields.size() && target->fields[key].name.text != target->key.text) ++key;
      if (key < target->fields.size()) plan_.rows[index].fields[i] = plan_.rows[inlineRow].fields[key];
      continue;
    }
    plan_.rows[index].fields[i] = value;
    plan_.expressions.push_back(value);
    const ast::Type* unwrapped = type->unwrapped();
    if (value->kind == ast::ExprKind::Map && unwrapped->is(TypeKind::Record)) {
      plan_.rows[index].records[i] = &ast::as<ast::MapLiteral>(*value);
      checkRecord(ast::as<ast::RecordDecl>(*unwrapped->decl), ast::as<ast::MapLiteral>(*value));
    }
  }
  for (size_t i = 0; i < entity.fields.size(); ++i) {
    const auto& field = entity.fields[i];
    if (given[i] || field.type == nullptr || field.type->isError()) continue;
    if (field.name.text == entity.key.text) {
      problem(range, "this `" + entity.name.text + "` row lacks its key `" + field.name.text + "`");
    } else if (!childEntityOf(field.type) && !defaultValue(field.type)) {
      problem(range, "this `" + entity.name.text + "` row lacks the field `" + field.name.text +
                         "`, which has no default; give it");
    }
  }
  return index;
}

void Planner::addRows(const ast::EntityDecl& entity, const ast::Expr& list, size_t parent,
                      const std::string& what) {
  if (list.kind != ast::ExprKind::List) {
    problem(list.range, "give the rows of " + what + " as a list of `{ field: value }` maps");
    return;
  }
  for (const auto& element : ast::as<ast::ListLiteral>(list).elements) {
    if (element->kind != ast::ExprKind::Map) {
      problem(element->range, "give each row of " + what + " as a `{ field: value }` map");
      continue;
    }
    addRow(entity, entriesOf(ast::as<ast::MapLiteral>(*element)), element->range, parent);
  }
}

void Planner::plan(const ast::TestDecl& test) {
  // The customer first, because event rows and other rows of its lists
  // name it as their parent.
  for (const auto& item : test.items) {
    if (item.kind != ast::TestItemKind::Fixture || schema_.customer == nullptr) continue;
    if (item.target.text != "customer" && item.target.text != schema_.customer->name.text) continue;
    if (customerRow_ != SIZE_MAX) {
      problem(item.target.range, "a test gives one customer; this is a second one");
      continue;
    }
    Entries entries;
    for (const auto& field : item.fields) entries.emplace_back(field.name.text, field.value.get());
    customerRow_ = addRow(*schema_.customer, entries, item.target.range, SIZE_MAX);
  }
  if (customerRow_ == SIZE_MAX) {
    problem(test.name.range, "the test gives no customer; add `customer { ... }` with its key");
  }
  auto parentRow = [&](const ast::EntityDecl& entity, source::SourceRange range) {
    const ast::EntityDecl* owner = parentOf(entity);
    if (owner == nullptr) return std::optional<size_t>(SIZE_MAX);
    if (owner == schema_.customer && customerRow_ != SIZE_MAX) {
      return std::optional<size_t>(customerRow_);
    }
    if (owner != schema_.customer) {
      problem(range, "a `" + entity.name.text + "` row belongs to the list of its `" +
                         owner->name.text + "`; give it there");
    }
    return std::optional<size_t>();
  };
  for (const auto& item : test.items) {
    if (item.kind == ast::TestItemKind::Property) {
      const std::string& name = item.property.name.text;
      if (name == "now") {
        const ast::Expr& value = *item.property.values[0];
        plan_.now = ast::as<ast::Literal>(value).intValue;
        continue;
      }
      const ast::EntityDecl* entity = name == "catalog" ? schema_.catalog : schema_.event;
      if (entity == nullptr || item.property.values.empty()) continue;
      auto parent = parentRow(*entity, item.property.name.range);
      if (parent) addRows(*entity, *item.property.values[0], *parent, "`" + name + "`");
      continue;
    }
    if (item.kind != ast::TestItemKind::Fixture) continue;
    const std::string& name = item.target.text;
    const ast::EntityDecl* entity = name == "product" ? schema_.catalog
                                    : name == "event" ? schema_.event
                                                      : nullptr;
    for (const ast::EntityDecl* declared : schema_.entities) {
      if (entity == nullptr && declared->name.text == name) entity = declared;
    }
    if (entity == nullptr || entity == schema_.customer) continue;
    auto parent = parentRow(*entity, item.target.range);
    if (!parent) continue;
    Entries entries;
    for (const auto& field : item.fields) entries.emplace_back(field.name.text, field.value.get());
    addRow(*entity, entries, item.target.range, *parent);
  }
  // In the order of the text, although a row's own problems are found
  // after those of its child rows.
  std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.file, a.first.begin) < std::tie(b.first.file, b.first.begin);
  });
  for (auto& [range, message] : problems_) {
    plan_.problems.push_back({locationOf(sources_, range), std::move(message)});
  }
}

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

// A record with the defaults of the fields that its map leaves out.
Value withDefaults(const Value& value, const ast::RecordDecl& record, const ast::MapLiteral& map) {
  if (!value.is(runtime::ValueKind::Record)) return value;
  const auto& data = value.asRecord();
  Entries entries = entriesOf(map);
  std::vector<Value> fields = data.fields;
  for (size_t i = 0; i < record.fields.size() && i < fields.size(); ++i) {
    const ast::Type* type = record.fields[i].type;
    if (type == nullptr || type->isError()) continue;
    const ast::Expr* given = nullptr;
    for (const auto& [name, expr] : entries) {
      if (name == record.fields[i].name.text) given = expr;
    }
    if (given == nullptr) {
      if (auto fallback = defaultValue(type)) fields[i] = *fallback;
    } else if (given->kind == ast::ExprKind::Map && type->unwrapped()->is(TypeKind::Record)) {
      fields[i] = withDefaults(fields[i], ast::as<ast::RecordDecl>(*type->unwrapped()->decl),
                               ast::as<ast::MapLiteral>(*given));
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

Schema schemaOf(const std::vector<const ast::Script*>& scripts) {
  Schema schema;
  schema.scripts = scripts;
  for (const ast::Script* script : scripts) {
    for (const auto& decl : script->decls) {
      if (decl->kind != ast::DeclKind::Entity) continue;
      const auto& entity = ast::as<ast::EntityDecl>(*decl);
      schema.entities.push_back(&entity);
      if (entity.role == ast::EntityRole::Customer) schema.customer = &entity;
      if (entity.role == ast::EntityRole::Catalog) schema.catalog = &entity;
      if (entity.role == ast::EntityRole::Event) schema.event = &entity;
    }
  }
  return schema;
}

FixturePlan planFixture(const ast::TestDecl& test, const Schema& schema,
                        const source::SourceManager& sources) {
  FixturePlan plan;
  Planner(schema, sources, plan).plan(test);
  return plan;
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
        value = values.at(planned.fields[i]);
        if (value.is(runtime::ValueKind::List) && field.type->unwrapped()->is(TypeKind::Set)) {
          value = distinctItems(value);
        }
        if (planned.records[i] != nullptr) {
          value = withDefaults(value, ast::as<ast::RecordDecl>(*field.type->unwrapped()->decl),
                               *planned.records[i]);
        }
      } else if (field.type != nullptr && !field.type->isError() && !childEntityOf(field.type)) {
        value = defaultValue(field.type).value_or(Value::null());
      }
      if (field.name.text == planned.entity->key.text && planned.fields[i] != nullptr) {
        std::string key = runtime::displayText(value);
        std::string where = locationOf(sources, planned.fields[i]->range);
        auto [it, inserted] = keys[planned.entity].emplace(key, where);
        if (!inserted) {
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
