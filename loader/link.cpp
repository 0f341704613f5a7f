// Linking loaded tables: key indexes, child rows joined to their parents and
// sorted by parent, references resolved to rows, and the statistics.
#include <algorithm>
#include <charconv>
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
  return rowLocation(sources[source], line);
}

bool buildKeyIndex(EntityPlan& plan, const std::vector<SourcePlan>& sources, LoadReport& report) {
  runtime::Table& table = *plan.table;
  // An empty text key names no one: children cannot join it, and a
  // customer without an id would still get messages.
  const Column& key = table.columns[table.keyColumn];
  if (key.kind != ColumnKind::Int) {
    size_t empty = 0;
    for (size_t row = 0; row < table.rowCount; ++row) {
      if (key.isNull(row) || !key.pool.text(key.strings[row]).empty()) continue;
      if (++empty <= 5) {
        report.errors.push_back("empty key in `" + table.name + "` at " +
                                locationOf(plan, row, sources) + "; every row needs a key: fill "
                                "it in, or remove the record");
      }
    }
    if (empty > 5) {
      report.errors.push_back(std::to_string(empty - 5) + " more empty keys in `" + table.name +
                              "`");
    }
    if (empty > 0) return false;
  }
  auto duplicates = table.buildKeyIndex();
  for (size_t i = 0; i < duplicates.size() && i < 5; ++i) {
    auto [row, first] = duplicates[i];
    report.errors.push_back("duplicate key '" + table.keyText(row) + "' in `" + table.name +
                            "` at " + locationOf(plan, row, sources) + "; first at " +
                            locationOf(plan, first, sources));
  }
  if (duplicates.size() > 5) {
    report.errors.push_back(std::to_string(duplicates.size() - 5) + " more duplicate keys in `" +
                            table.name + "`");
  }
  return duplicates.empty();
}

// The row of `target` that each row's key names, or kUnresolved. Keys held
// as pool ids are looked up once per distinct key, not once per row.
std::vector<int64_t> resolveKeys(const Column& column, size_t rowCount,
                                 const runtime::Table& target) {
  std::vector<int64_t> rows(rowCount, Column::kUnresolved);
  if (column.kind == ColumnKind::Int) {
    for (size_t row = 0; row < rowCount; ++row) {
      auto found = target.findRow(std::to_string(column.ints[row]));
      if (found) rows[row] = *found;
    }
    return rows;
  }
  // Pool ids follow the order in which keys first appear, so when both
  // files are sorted by key each key is usually at the row after the last.
  std::vector<int64_t> byId(column.pool.size(), Column::kUnresolved);
  size_t hintRow = 0;
  for (uint32_t id = 0; id < column.pool.size(); ++id) {
    if (auto found = target.findRow(column.pool.text(id), hintRow)) {
      byId[id] = *found;
      hintRow = *found + 1;
    }
  }
  for (size_t row = 0; row < rowCount; ++row) rows[row] = byId[column.strings[row]];
  return rows;
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

// Whether a child row was read nested inside its parent's record, which
// gives its parent row without a key.
bool isNested(const EntityPlan& child, size_t row) {
  return row < child.nestedParentRows.size() && child.nestedParentRows[row] != UINT32_MAX;
}

void createImplicitRow(EntityPlan& parent, const std::string& key) {
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
}

// Reports the rows of `table` whose child list `list` is longer than
// `maxListRows`: the first five by row, then how many more.
void checkListLengths(const runtime::Table& table, const Column& list, size_t maxListRows,
                      LoadReport& report) {
  size_t found = 0;
  for (size_t row = 0; row + 1 < list.offsets.size(); ++row) {
    size_t rows = list.offsets[row + 1] - list.offsets[row];
    if (rows <= maxListRows) continue;
    if (++found > 5) continue;
    report.errors.push_back("`" + table.name + "` '" + table.keyText(row) + "' has " +
                            std::to_string(rows) + " rows in `" + list.name +
                            "`, more than the " + std::to_string(maxListRows) +
                            " that one list may hold; leave out or aggregate some of its rows "
                            "in the data");
  }
  if (found > 5) {
    report.errors.push_back("`" + table.name + "`: " + std::to_string(found - 5) +
                            " more rows have more than " + std::to_string(maxListRows) +
                            " rows in `" + list.name + "`");
  }
}

}  // namespace

void linkTables(std::vector<EntityPlan>& entities, const std::vector<SourcePlan>& sources,
                LoadReport& report, Rejections& rejected, size_t maxListRows) {
  // The parent links: the parent of a child source is the entity with a
  // list of the child's rows.
  std::vector<ChildLink> links;
  for (auto& child : entities) {
    if (!child.filled && child.nestedParentRows.empty()) continue;
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
    if (!child.parentField && child.filled) {
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
  // Rows are sorted by parent one entity after another, so the lists must
  // form a forest of entities: no entity may list its own kind, directly or
  // through others.
  for (const auto& link : links) {
    const EntityPlan* at = link.parent;
    for (size_t steps = 0; at != nullptr && steps <= links.size(); ++steps) {
      if (at == link.child) {
        report.errors.push_back("`" + link.child->entity->name.text +
                                "` is listed by its own rows, directly or through other "
                                "entities; a list holds rows of another entity, so a tree of "
                                "one entity cannot be loaded as child lists");
        return;
      }
      auto up = std::find_if(links.begin(), links.end(),
                             [&](const ChildLink& l) { return l.child == at; });
      at = up == links.end() ? nullptr : up->parent;
    }
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

  auto rejectRow = [&](EntityPlan& child, uint32_t row, const std::string& field,
                       const std::string& message) {
    uint32_t source = child.origins[row].first;
    std::string name = source < sources.size() ? sources[source].decl->name.text : "";
    rejected.push_back({name, locationOf(child, row, sources), field, message, ""});
    // The record was read and counted as loaded; it is rejected after all.
    for (auto& stats : report.sources) {
      if (stats.name == name && stats.loaded > 0) {
        --stats.loaded;
        ++stats.rejected;
        break;
      }
    }
  };

  // Each child row finds its parent; a customer missing from the customer
  // sources is created from its key when possible.
  for (auto& link : links) {
    EntityPlan& child = *link.child;
    link.parentRow.assign(child.table->rowCount, UINT32_MAX);
    for (size_t row = 0; row < child.nestedParentRows.size(); ++row) {
      link.parentRow[row] = child.nestedParentRows[row];
    }
    if (!child.parentField) continue;  // every row was read nested
    const Column& parentKey = child.table->columns[*child.parentField];
    std::vector<int64_t> rows = resolveKeys(parentKey, child.table->rowCount, *link.parent->table);
    bool created = false;
    bool intKeys = link.parent->fields[link.parent->table->keyColumn].kind == ColumnKind::Int;
    if (canCreateImplicitly(*link.parent)) {
      std::vector<std::string> missing;
      for (size_t row = 0; row < rows.size(); ++row) {
        if (rows[row] != Column::kUnresolved || isNested(child, row) || parentKey.isNull(row)) {
          continue;
        }
        std::string key = keyOf(parentKey, row);
        if (key.empty()) continue;  // an empty key names no parent
        if (link.parent->rejectedKeys.count(key) != 0) continue;
        if (intKeys) {
          // The key in the parent's own form: "007" names customer 7.
          int64_t value = 0;
          auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), value);
          if (error != std::errc() || end != key.data() + key.size()) continue;
          key = std::to_string(value);
        }
        missing.push_back(key);
      }
      std::sort(missing.begin(), missing.end());
      missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
      // Created in key order, after the rows the customer sources gave.
      for (const auto& key : missing) createImplicitRow(*link.parent, key);
      created = !missing.empty();
    }
    if (created) {
      buildKeyIndex(*link.parent, sources, report);
      rows = resolveKeys(parentKey, child.table->rowCount, *link.parent->table);
    }
    const std::string& keyField = child.entity->fields[*child.parentField].name.text;
    for (uint32_t row = 0; row < child.table->rowCount; ++row) {
      if (isNested(child, row)) continue;
      bool emptyKey = parentKey.kind != ColumnKind::Int &&
                      parentKey.pool.text(parentKey.strings[row]).empty();
      if (parentKey.isNull(row) || emptyKey) {
        rejectRow(child, row, keyField, "the parent key is empty, so the row belongs to no `" +
                                            link.parent->entity->name.text + "`");
        continue;
      }
      if (rows[row] != Column::kUnresolved) {
        link.parentRow[row] = static_cast<uint32_t>(rows[row]);
        continue;
      }
      std::string key = keyOf(parentKey, row);
      rejectRow(child, row, keyField,
                link.parent->rejectedKeys.count(key) != 0
                    ? "its parent `" + link.parent->entity->name.text + "` record '" + key +
                          "' was rejected"
                    : "parent key '" + key + "' matches no `" + link.parent->entity->name.text +
                          "`");
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
  std::vector<const EntityPlan*> moved;
  for (auto& link : links) {
    EntityPlan& child = *link.child;
    // A counting sort by parent row: stable, so children keep file order.
    Column& list = link.parent->table->columns[link.listColumn];
    list.offsets.assign(link.parent->table->rowCount + 1, 0);
    for (uint32_t parent : link.parentRow) {
      if (parent != UINT32_MAX) ++list.offsets[parent + 1];
    }
    std::partial_sum(list.offsets.begin(), list.offsets.end(), list.offsets.begin());
    checkListLengths(*link.parent->table, list, maxListRows, report);
    // Rows that come sorted by parent, as exports often are, stay where
    // they are: moving them would copy every column for nothing.
    bool sorted = list.offsets.back() == child.table->rowCount;
    for (uint32_t row = 1; sorted && row < child.table->rowCount; ++row) {
      sorted = link.parentRow[row - 1] <= link.parentRow[row];
    }
    if (sorted) continue;
    std::vector<uint32_t> order(list.offsets.back());
    std::vector<uint32_t> next(list.offsets.begin(), list.offsets.end() - 1);
    for (uint32_t row = 0; row < child.table->rowCount; ++row) {
      if (link.parentRow[row] != UINT32_MAX) order[next[link.parentRow[row]]++] = row;
    }
    moved.push_back(&child);
    std::vector<uint32_t> newIndex(child.table->rowCount, UINT32_MAX);
    for (uint32_t i = 0; i < order.size(); ++i) newIndex[order[i]] = i;
    for (auto& column : child.table->columns) permuteColumn(column, order);
    permuteVector(child.origins, order);
    child.table->rowCount = order.size();
    // The child's own children point at its rows by their old positions;
    // those whose parent row was rejected are rejected in turn.
    for (auto& grandchild : links) {
      if (grandchild.parent != &child) continue;
      for (uint32_t row = 0; row < grandchild.parentRow.size(); ++row) {
        uint32_t& parentRow = grandchild.parentRow[row];
        if (parentRow == UINT32_MAX) continue;
        parentRow = newIndex[parentRow];
        if (parentRow == UINT32_MAX) {
          const EntityPlan& grand = *grandchild.child;
          rejectRow(*grandchild.child, row,
                    grand.parentField ? grand.entity->fields[*grand.parentField].name.text : "",
                    "its parent `" + child.entity->name.text + "` row was rejected");
        }
      }
    }
  }

  // Rebuild the indexes of the tables whose rows moved, then resolve
  // references by key.
  for (auto& plan : entities) {
    bool rowsMoved = std::find(moved.begin(), moved.end(), &plan) != moved.end();
    if (rowsMoved && plan.table->hasKeyIndex()) buildKeyIndex(plan, sources, report);
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
      bool rowsRead = plan.filled || !plan.nestedParentRows.empty();
      if (column.kind == ColumnKind::Reference && rowsRead) {
        column.ints = resolveKeys(column, plan.table->rowCount, *column.target);
        for (uint32_t row = 0; row < plan.table->rowCount; ++row) {
          if (column.ints[row] == Column::kUnresolved && !column.isNull(row)) {
            ++field.unresolved;
            column.unresolvedKeys.emplace_back(row, column.pool.text(column.strings[row]));
          }
        }
        // The key texts served only the lookup; rows are what rules read.
        column.strings = {};
        column.pool = runtime::StringPool();
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
