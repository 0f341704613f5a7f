// Layouts of JSON Lines records: the key that fills each field, for a source
// and for the entities nested in its records.
#include <algorithm>

#include "loader/jsonl_record.h"

namespace crm::load::internal {
namespace {

using runtime::ColumnKind;

bool isScalar(const FieldPlan& field) {
  return field.kind != ColumnKind::Children && field.kind != ColumnKind::Values &&
         field.kind != ColumnKind::Unfilled;
}

void bindKey(JsonLayout& layout, const std::string& name, size_t fieldIndex) {
  auto found = std::find_if(layout.keys.begin(), layout.keys.end(),
                            [&](const JsonLayout::Key& key) { return key.name == name; });
  if (found == layout.keys.end()) {
    bool plain = name.find_first_of("\"\\") == std::string::npos;
    layout.keys.push_back({name, {}, kNoIndex, nullptr, plain});
    found = layout.keys.end() - 1;
  }
  if (layout.entity->fields[fieldIndex].kind == ColumnKind::Children) {
    found->listField = fieldIndex;
  } else {
    found->fields.push_back(fieldIndex);
  }
  layout.bound[fieldIndex] = true;
}

// The layout of an entity read from objects nested in a parent's record:
// every scalar field and child list reads the key of its own name.
// NOTE: an entity that lists its own rows (a tree) gets a layout here, but
// linkTables then rejects the source, because it joins only distinct entities.
const JsonLayout& nestedLayout(EntityPlan& entity, std::deque<JsonLayout>& layouts) {
  // layouts[0] is the source's own layout, which follows `columns` instead.
  for (size_t i = 1; i < layouts.size(); ++i) {
    if (layouts[i].entity == &entity)
      return layouts[i];
  }
  JsonLayout& layout = layouts.emplace_back();
  layout.entity = &entity;
  layout.bound.assign(entity.fields.size(), false);
  for (size_t i = 0; i < entity.fields.size(); ++i) {
    const FieldPlan& field = entity.fields[i];
    if (isScalar(field) || field.kind == ColumnKind::Children) {
      bindKey(layout, field.field->name.text, i);
    }
  }
  return layout;
}

}  // namespace

bool buildJsonLayouts(const SourcePlan& source, std::deque<JsonLayout>& layouts,
                      LoadReport& report) {
  std::string where = "source `" + source.decl->name.text + "`";
  EntityPlan& entity = *source.entity;
  layouts.clear();
  JsonLayout& top = layouts.emplace_back();
  top.entity = &entity;
  top.bound.assign(entity.fields.size(), false);
  for (const auto& binding : source.bindings)
    bindKey(top, binding.column, binding.fieldIndex);
  if (source.rowNumberField)
    top.bound[*source.rowNumberField] = true;

  bool ok = checkRequiredFields(source, where, report);
  // A child list reads the key of its own name unless `columns` binds that
  // key to another field.
  for (size_t i = 0; i < entity.fields.size(); ++i) {
    const FieldPlan& field = entity.fields[i];
    const std::string& name = field.field->name.text;
    bool keyTaken = std::any_of(top.keys.begin(), top.keys.end(),
                                [&](const JsonLayout::Key& key) { return key.name == name; });
    if (field.kind == ColumnKind::Children && !top.bound[i] && !keyTaken) {
      bindKey(top, name, i);
    }
  }
  for (const auto& key : top.keys) {
    if (key.listField != kNoIndex && !key.fields.empty()) {
      report.errors.push_back(where + ": the key '" + key.name + "' fills the child list `" +
                              entity.fields[key.listField].field->name.text +
                              "` and other fields; a key contains either an array of objects "
                              "or one value");
      ok = false;
    }
  }

  // The deque keeps references valid while nested layouts are appended.
  for (size_t next = 0; next < layouts.size(); ++next) {
    for (auto& key : layouts[next].keys) {
      if (key.listField == kNoIndex)
        continue;
      EntityPlan& child = *layouts[next].entity->fields[key.listField].targetPlan;
      key.children = &nestedLayout(child, layouts);
    }
  }
  return ok;
}

size_t JsonRecord::add(const JsonLayout& layout, size_t parent) {
  if (count == rows.size())
    rows.emplace_back();
  PendingRow& row = rows[count];
  row.layout = &layout;
  row.parent = parent;
  row.cells.resize(layout.entity->fields.size());
  return count++;
}

}  // namespace crm::load::internal
