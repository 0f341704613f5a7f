// Planning a test's rows from its AST: which rows it gives, in which lists,
// and which expression gives each field.
#include <algorithm>
#include <tuple>

#include "testrun/fixture.h"
#include "testrun/internal.h"

namespace crm::testrun {

using ast::TypeKind;
using internal::childEntityOf;
using internal::defaultValue;
using internal::entityOf;
using internal::Entries;
using internal::entriesOf;

namespace internal {

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

std::optional<runtime::Value> defaultValue(const ast::Type* type) {
  if (type->isOptional()) return runtime::Value::null();
  switch (type->kind) {
    case TypeKind::List:
    case TypeKind::Set: return runtime::Value::list({});
    case TypeKind::Map: return runtime::Value::map({});
    case TypeKind::Int: return runtime::Value::integer(0);
    case TypeKind::Double: return runtime::Value::floating(0);
    case TypeKind::Decimal: return runtime::Value::decimal(runtime::Decimal{0, 0});
    case TypeKind::String: return runtime::Value::string("");
    case TypeKind::Bool: return runtime::Value::boolean(false);
    default: return std::nullopt;
  }
}

}  // namespace internal

namespace {

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
  // Reports the fields without a default that the records given as maps
  // in `expr` leave out, in records and lists at any depth.
  void checkRecords(const ast::Type* type, const ast::Expr& expr);
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

void Planner::checkRecords(const ast::Type* type, const ast::Expr& expr) {
  if (type == nullptr || type->isError()) return;
  const ast::Type* value = type->unwrapped();
  if ((value->is(TypeKind::List) || value->is(TypeKind::Set)) &&
      expr.kind == ast::ExprKind::List) {
    for (const auto& element : ast::as<ast::ListLiteral>(expr).elements) {
      checkRecords(value->element, *element);
    }
    return;
  }
  if (!value->is(TypeKind::Record) || expr.kind != ast::ExprKind::Map) return;
  const auto& record = ast::as<ast::RecordDecl>(*value->decl);
  Entries entries = entriesOf(ast::as<ast::MapLiteral>(expr));
  for (const auto& field : record.fields) {
    const ast::Expr* given = nullptr;
    for (const auto& [name, fieldValue] : entries) {
      if (name == field.name.text) given = fieldValue;
    }
    if (given != nullptr) {
      checkRecords(field.type, *given);
    } else if (field.type != nullptr && !field.type->isError() && !defaultValue(field.type)) {
      problem(expr.range, "this `" + record.name.text + "` lacks the field `" + field.name.text +
                              "`, which has no default; give it");
    }
  }
}

size_t Planner::addRow(const ast::EntityDecl& entity, const Entries& entries,
                       source::SourceRange range, size_t parent) {
  size_t index = plan_.rows.size();
  PlannedRow row;
  row.entity = &entity;
  row.fields.assign(entity.fields.size(), nullptr);
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
    checkRecords(type, *value);
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

}  // namespace

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

}  // namespace crm::testrun
