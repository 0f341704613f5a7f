#include "compiler/lower/activity.h"

namespace crm::lower {
namespace {

using ast::Type;
using ast::TypeKind;

// The element entity's catalog reference and `at`, or nullopt without them.
std::optional<ActivityFieldList> activityList(const ast::RecordDecl& element,
                                              const ast::EntityDecl& catalog) {
  ActivityFieldList list;
  bool product = false;
  bool time = false;
  for (size_t i = 0; i < element.fields.size(); ++i) {
    const Type* type = element.fields[i].type;
    if (type == nullptr) continue;
    type = type->unwrapped();
    if (!product && type->is(TypeKind::Entity) && type->decl == &catalog) {
      list.productField = i;
      product = true;
    }
    if (element.fields[i].name.text == "at" && type->is(TypeKind::Timestamp)) {
      list.timeField = i;
      time = true;
    }
  }
  if (!product || !time) return std::nullopt;
  return list;
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
