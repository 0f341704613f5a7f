// Linking loaded tables: key indexes, child rows joined to their parents and
// sorted by parent, references resolved to rows, and the statistics.
#include <algorithm>
#include <numeric>

#include "loader/internal.h"

namespace crm::load::internal {
namespace {

using runtime::Column;
using runtime::ColumnKind;

template <typename T>
void permuteVector(std::vector<T>& values, const std::vector<uint32_t>& order) {
  if (values.empty()) return;
  std::vector<T> permuted;
  permuted.reserve(order.size());
  for (uint32_t old : order) permuted.push_back(std::move(values[old]));
  values = std::move(permuted);
}

void permuteColumn(Column& column, const std::vector<uint32_t>& order) {
  permuteVector(column.ints, order);
  permuteVector(column.doubles, order);
  permuteVector(column.decimals, order);
  permuteVector(column.strings, order);
  if (column.optional) {
    std::vector<uint64_t> bits((order.size() + 63) / 64, 0);
    for (size_t row = 0; row < order.size(); ++row) {
      if (column.isNull(order[row])) bits[row / 64] |= uint64_t{1} << (row % 64);
    }
    column.nullBits = std::move(bits);
  }
}

// The text of a row's value in a key-like column (string or int).
std::string keyOf(const Column& column, size_t row) {
  if (column.kind == ColumnKind::Int) return std::to_string(column.ints[row]);
  return std::string(column.pool.text(column.strings[row]));
}

struct ChildLink {
  EntityPlan* child = nullptr;
  EntityPlan* parent = nullptr;
  size_t listColumn = 0;           // the parent's Children column
  std::vector<uint32_t> parentRow; // per child row; UINT32_MAX when rejected
  int depth = 0;
};

std::string locationOf(const EntityPlan& plan, size_t row, const std::vector<SourcePlan>& sources) {
  auto [source, line] = plan.origins[row];
  if (source >= sources.size()) return "(created from a child row)";
  return sources[source].path + ":" + std::to_string(line);
}

bool buildKeyIndex(EntityPlan& plan, const std::vector<SourcePlan>& sources, LoadReport& report) {
  runtime::Table& table = *plan.table;
  table.keyIndex.clear();
  table.keyIndex.reserve(table.rowCount);
  const Column& key = table.columns[table.keyColumn];
  size_t duplicates = 0;
  for (uint32_t row = 0; row < table.rowCount; ++row) {
    auto [it, inserted] = table.keyIndex.emplace(keyOf(key, row), row);
    if (!inserted && ++duplicates <= 5) {
      report.errors.push_back("duplicate key '" + it->first + "' in `" + table.name + "` at " +
                              locationOf(plan, row, sources) + "; first at " +
                              locationOf(plan, it->second, sources));
    }
  }
  if (duplicates > 5) {
    report.errors.push_back(std::to_string(duplicates - 5) + " more duplicate keys in `" +
                            table.name + "`");
  }
  return duplicates == 0;
}

// A customer created from a child row: only its key, every other field
// null. Possible only when every other field may be null.
bool canCreateImplicitly(const EntityPlan& parent) {
  if (parent.entity->role != ast::EntityRole::Customer) return false;
  for (size_t i = 0; i < parent.fields.size(); ++i) {
    if (i == parent.table->keyColumn) continue;
    const FieldPlan& field = parent.fields[i];
    bool scalar = field.kind != ColumnKind::Children && field.kind != ColumnKind::Values &&
                  field.kind != ColumnKind::Unfilled;
    if (scalar && !field.optional) return false;
  }
  return true;
}

uint32_t createImplicitRow(EntityPlan& parent, const std::string& key) {
  std::vector<Cell> row(parent.fields.size());
  std::vector<bool> bound(parent.fields.size(), false);
  size_t keyColumn = parent.table->keyColumn;
  bound[keyColumn] = true;
  if (parent.fields[keyColumn].kind == ColumnKind::Int) {
    row[keyColumn].integer = std::stoll(key);
  } else {
    row[keyColumn].text = key;
  }
  appendRow(parent, row, bound);
  parent.origins.emplace_back(UINT32_MAX, 0);
  ++parent.implicitRows;
  auto row_index = static_cast<uint32_t>(parent.table->rowCount - 1);
  parent.table->keyIndex.emplace(key, row_index);
  return row_index;
}

}  // namespace

void linkTables(std::vector<EntityPlan>& entities, const std::vector<SourcePlan>& sources,
                LoadReport& report, std::vector<Problem>& rejected) {
  // Which entity lists which: the parent of a child source is the entity
  // with a list of the child's rows.
  std::vector<ChildLink> links;
  for (auto& child : entities) {
    if (!child.filled) continue;
    std::vector<std::pair<EntityPlan*, size_t>> lists;
    for (auto& parent : entities) {
      for (size_t i = 0; i < parent.fields.size(); ++i) {
        if (parent.fields[i].kind == ColumnKind::Children &&
            parent.fields[i].target == child.entity) {
          lists.emplace_back(&parent, i);
        }
      }
    }
    std::string name = child.entity->name.text;
    if (!child.parentField && lists.empty()) continue;
    if (!child.parentField) {
      report.errors.push_back("`" + lists[0].first->entity->name.text + "." +
                              lists[0].first->entity->fields[lists[0].second].name.text +
                              "` lists `" + name + "` rows, but the source of `" + name +
                              "` does not say which field holds the parent key; add "
                              "`parent: FIELD` to it");
      continue;
    }
    if (lists.size() != 1) {
      report.errors.push_back(lists.empty()
                                  ? "the source of `" + name + "` names a parent key, but no "
                                    "entity has a list of `" + name + "`"
                                  : "several entities list `" + name + "`; a child entity "
                                    "belongs to one parent list");
      continue;
    }
    ChildLink link;
    link.child = &child;
    link.parent = lists[0].first;
    link.listColumn = lists[0].second;
    links.push_back(std::move(link));
  }
  if (!report.errors.empty()) return;

  // Key indexes of the parents, of the customers and catalog, and of
  // referenced entities.
  for (auto& plan : entities) {
    bool needed = plan.entity->role == ast::EntityRole::Customer ||
                  plan.entity->role == ast::EntityRole::Catalog;
    for (const auto& link : links) needed = needed || link.parent == &plan;
    for (const auto& other : entities) {
      for (const auto& field : other.fields) {
        needed = needed || (field.kind == ColumnKind::Reference && field.target == plan.entity);
      }
    }
    if (needed) buildKeyIndex(plan, sources, report);
  }
  if (!report.errors.empty()) return;

  // Each child row finds its parent; a customer missing from the customer
  // sources is created from its key when possible.
  for (auto& link : links) {
    EntityPlan& child = *link.child;
    const Column& parentKey = child.table->columns[*child.parentField];
    link.parentRow.resize(child.table->rowCount);
    for (uint32_t row = 0; row < child.table->rowCount; ++row) {
      std::string key = keyOf(parentKey, row);
      auto found = link.parent->table->keyIndex.find(key);
      if (found != link.parent->table->keyIndex.end()) {
        link.parentRow[row] = found->second;
      } else if (canCreateImplicitly(*link.parent)) {
        link.parentRow[row] = createImplicitRow(*link.parent, key);
      } else {
        link.parentRow[row] = UINT32_MAX;
        uint32_t source = child.origins[row].first;
        rejected.push_back({source < sources.size() ? sources[source].decl->name.text : "",
                            locationOf(child, row, sources),
                            child.entity->fields[*child.parentField].name.text,
                            "parent key '" + key + "' matches no `" +
                                link.parent->entity->name.text + "`",
                            ""});
      }
    }
  }

  // Parents are sorted before their children, so that a child's parent rows
  // are final when it is sorted.
  for (auto& link : links) {
    int depth = 0;
    for (const EntityPlan* at = link.parent; depth < 64; ++depth) {
      auto up = std::find_if(links.begin(), links.end(),
                             [&](const ChildLink& l) { return l.child == at; });
      if (up == links.end()) break;
      at = up->parent;
    }
    link.depth = depth;
  }
  std::stable_sort(links.begin(), links.end(),
                   [](const ChildLink& a, const ChildLink& b) { return a.depth < b.depth; });
  for (auto& link : links) {
    EntityPlan& child = *link.child;
    std::vector<uint32_t> order;
    for (uint32_t row = 0; row < child.table->rowCount; ++row) {
      if (link.parentRow[row] != UINT32_MAX) order.push_back(row);
    }
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return link.parentRow[a] < link.parentRow[b];
    });
    std::vector<uint32_t> newIndex(child.table->rowCount, UINT32_MAX);
    for (uint32_t i = 0; i < order.size(); ++i) newIndex[order[i]] = i;
    for (auto& column : child.table->columns) permuteColumn(column, order);
    permuteVector(child.origins, order);
    std::vector<uint32_t> parents;
    parents.reserve(order.size());
    for (uint32_t old : order) parents.push_back(link.parentRow[old]);
    child.table->rowCount = order.size();
    // The child's own children point at its rows by their old positions.
    for (auto& grandchild : links) {
      if (grandchild.parent != &child) continue;
      for (auto& parentRow : grandchild.parentRow) {
        if (parentRow != UINT32_MAX) parentRow = newIndex[parentRow];
      }
    }
    Column& list = link.parent->table->columns[link.listColumn];
    list.offsets.assign(link.parent->table->rowCount + 1, 0);
    for (uint32_t parent : parents) ++list.offsets[parent + 1];
    std::partial_sum(list.offsets.begin(), list.offsets.end(), list.offsets.begin());
  }

  // Rows moved; rebuild the indexes, then resolve references by key.
  for (auto& plan : entities) {
    if (!plan.table->keyIndex.empty()) buildKeyIndex(plan, sources, report);
  }
  for (auto& plan : entities) {
    TableStats stats;
    stats.entity = plan.entity->name.text;
    stats.rows = plan.table->rowCount;
    stats.implicitRows = plan.implicitRows;
    for (size_t i = 0; i < plan.fields.size(); ++i) {
      Column& column = plan.table->columns[i];
      FieldStats field;
      field.name = column.name;
      field.kind = runtime::columnKindName(column.kind);
      if (column.kind == ColumnKind::Reference && plan.filled) {
        runtime::Table& target = *column.target;
        column.ints.resize(plan.table->rowCount);
        for (size_t row = 0; row < plan.table->rowCount; ++row) {
          if (column.isNull(row)) continue;
          auto found = target.keyIndex.find(std::string(column.pool.text(column.strings[row])));
          column.ints[row] = found == target.keyIndex.end() ? Column::kUnresolved : found->second;
          if (found == target.keyIndex.end()) ++field.unresolved;
        }
      }
      if (column.kind == ColumnKind::Children && column.offsets.empty()) {
        column.offsets.assign(plan.table->rowCount + 1, 0);
      }
      if (column.optional) {
        if (column.nullBits.size() < (plan.table->rowCount + 63) / 64) {
          column.nullBits.resize((plan.table->rowCount + 63) / 64, 0);
        }
        for (size_t row = 0; row < plan.table->rowCount; ++row) {
          field.nulls += column.isNull(row) ? 1 : 0;
        }
      }
      stats.bytes += column.bytes();
      stats.fields.push_back(field);
    }
    report.tables.push_back(std::move(stats));
  }
}

}  // namespace crm::load::internal
