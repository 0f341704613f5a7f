#include "compiler/lower/activity.h"

namespace crm::lower {
namespace {

using ast::Type;
using ast::TypeKind;

// The position of the first field of `record` that references the catalog.
std::optional<size_t> catalogField(const ast::RecordDecl& record, const ast::EntityDecl& catalog) {
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const Type* type = record.fields[i].type;
    if (type != nullptr && type->unwrapped()->is(TypeKind::Entity) &&
        type->unwrapped()->decl == &catalog) {
      return i;
    }
  }
  return std::nullopt;
}

// The element's time: its timestamp field `at`, else its first timestamp
// field.
std::optional<size_t> timeField(const ast::RecordDecl& record) {
  std::optional<size_t> first;
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const Type* type = record.fields[i].type;
    if (type == nullptr || !type->unwrapped()->is(TypeKind::Timestamp)) continue;
    if (record.fields[i].name.text == "at") return i;
    if (!first) first = i;
  }
  return first;
}

// The element's catalog reference and time, or, for an order, its time and
// its list of lines that reference the catalog; nullopt without them.
std::optional<ActivityFieldList> activityList(const ast::RecordDecl& element,
                                              const ast::EntityDecl& catalog) {
  ActivityFieldList list;
  auto time = timeField(element);
  if (!time) return std::nullopt;
  list.timeField = *time;
  if (auto product = catalogField(element, catalog)) {
    list.productField = *product;
    return list;
  }
  for (size_t i = 0; i < element.fields.size(); ++i) {
    const Type* type = element.fields[i].type;
    if (type == nullptr || !type->unwrapped()->is(TypeKind::List)) continue;
    const Type* line = type->unwrapped()->element;
    if (line == nullptr || !line->is(TypeKind::Entity) || line->decl == nullptr) continue;
    if (auto product = catalogField(ast::as<ast::RecordDecl>(*line->decl), catalog)) {
      list.linesField = static_cast<int>(i);
      list.productField = *product;
      return list;
    }
  }
  return std::nullopt;
}

void findEventType(const ast::RecordDecl& element, ActivityFieldList& list) {
  for (const char* name : {"type", "event_type", "kind"}) {
    const ast::FieldDecl* field = element.field(name);
    if (field == nullptr || field->type == nullptr) continue;
    const Type* type = field->type->unwrapped();
    if (!type->is(TypeKind::String) && !type->is(TypeKind::Enum)) continue;
    list.typeField = static_cast<int>(field - element.fields.data());
    if (type->is(TypeKind::Enum)) list.typeEnum = type->decl;
    return;
  }
}

}  // namespace

ActivityFields findActivityFields(const ast::EntityDecl* customer,
                                  const ast::EntityDecl* catalog) {
  ActivityFields result;
  if (customer == nullptr || catalog == nullptr) return result;
  for (size_t i = 0; i < customer->fields.size(); ++i) {
    const Type* type = customer->fields[i].type;
    if (type == nullptr || !type->unwrapped()->is(TypeKind::List)) continue;
    const Type* element = type->unwrapped()->element;
    if (element == nullptr || !element->is(TypeKind::Entity) || element->decl == nullptr) continue;
    const auto& entity = ast::as<ast::EntityDecl>(*element->decl);
    auto list = activityList(entity, *catalog);
    if (!list) continue;
    list->customerField = i;
    if (entity.role == ast::EntityRole::Event) {
      if (result.events) continue;
      findEventType(entity, *list);
      result.events = list;
    } else {
      result.purchases.push_back(*list);
    }
  }
  return result;
}

}  // namespace crm::lower
