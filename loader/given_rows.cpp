// A store built from rows given as values, such as the data of a test
// block. The tables are planned, appended to and linked by the same code as
// a load, so child lists and references behave as they do for loaded data.
#include <algorithm>

#include "loader/internal.h"

namespace crm::load {
namespace {

using internal::Cell;
using internal::EntityPlan;
using runtime::ColumnKind;
using runtime::Value;
using runtime::ValueKind;

// The cell of a scalar column for a value; false when the value does not
// fit the column's kind.
bool toCell(ColumnKind kind, const Value& value, Cell& cell) {
  if (value.isNull()) {
    cell.null = true;
    return true;
  }
  switch (kind) {
    case ColumnKind::Bool:
      cell.integer = value.asBool() ? 1 : 0;
      return value.is(ValueKind::Bool);
    case ColumnKind::Int:
      cell.integer = value.asInt();
      return value.is(ValueKind::Int);
    case ColumnKind::Date:
      cell.integer = value.asInt();
      return value.is(ValueKind::Date);
    case ColumnKind::Timestamp:
      cell.integer = value.asInt();
      return value.is(ValueKind::Timestamp);
    case ColumnKind::Duration:
      cell.integer = value.asInt();
      return value.is(ValueKind::Duration);
    case ColumnKind::Enum:
      cell.integer = value.asInt();
      return value.is(ValueKind::Enum);
    case ColumnKind::Double:
      cell.real = value.is(ValueKind::Int) ? static_cast<double>(value.asInt()) : value.asDouble();
      return value.is(ValueKind::Double) || value.is(ValueKind::Int);
    case ColumnKind::Decimal:
      if (value.is(ValueKind::Int)) {
        cell.decimal = runtime::Decimal{value.asInt(), 0};
        return true;
      }
      cell.decimal = value.asDecimal();
      return value.is(ValueKind::Decimal);
    case ColumnKind::String:
      cell.text = std::string(value.asString());
      return value.is(ValueKind::String);
    case ColumnKind::Reference:
      if (value.is(ValueKind::Int)) {
        cell.text = std::to_string(value.asInt());
        return true;
      }
      cell.text = std::string(value.asString());
      return value.is(ValueKind::String);
    default:
      return true;
  }
}

// The order of the rows in their tables: a child entity's rows sorted by
// their parent's final row, which is the order linking would sort them
// into. Returns each given row's final row in its table.
std::vector<uint32_t> orderRows(const std::vector<GivenRow>& rows,
                                std::vector<std::vector<size_t>>& byDepth) {
  std::vector<size_t> depth(rows.size(), 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].parent != SIZE_MAX) depth[i] = depth[rows[i].parent] + 1;
    if (byDepth.size() <= depth[i]) byDepth.resize(depth[i] + 1);
    byDepth[depth[i]].push_back(i);
  }
  std::vector<uint32_t> finalRow(rows.size(), 0);
  std::vector<std::pair<const ast::EntityDecl*, uint32_t>> counts;
  auto next = [&](const ast::EntityDecl* entity) -> uint32_t {
    for (auto& [e, count] : counts) {
      if (e == entity) return count++;
    }
    counts.emplace_back(entity, 1);
    return 0;
  };
  for (auto& level : byDepth) {
    std::stable_sort(level.begin(), level.end(), [&](size_t a, size_t b) {
      if (rows[a].parent == SIZE_MAX || rows[b].parent == SIZE_MAX) return false;
      return finalRow[rows[a].parent] < finalRow[rows[b].parent];
    });
    for (size_t i : level) finalRow[i] = next(rows[i].entity);
  }
  return finalRow;
}

}  // namespace

LoadResult buildStore(const std::vector<const ast::Script*>& scripts,
                      const std::vector<GivenRow>& rows) {
  LoadResult result;
  result.store = std::make_unique<runtime::Store>();
  std::vector<EntityPlan> entities = internal::planEntities(scripts, *result.store);
  auto planOf = [&](const ast::EntityDecl* entity) -> EntityPlan* {
    for (auto& plan : entities) {
      if (plan.entity == entity) return &plan;
    }
    return nullptr;
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    if (planOf(rows[i].entity) == nullptr || rows[i].fields.size() != rows[i].entity->fields.size() ||
        (rows[i].parent != SIZE_MAX && rows[i].parent >= i)) {
      result.report.errors.push_back("given row " + std::to_string(i) +
                                     " does not match its entity or names a later parent");
      return result;
    }
  }

  // Fields that no source could fill keep whole values.
  for (auto& plan : entities) {
    for (size_t i = 0; i < plan.fields.size(); ++i) {
      const ast::Type* type = plan.entity->fields[i].type;
      if (plan.fields[i].kind != ColumnKind::Unfilled || type == nullptr || type->isError()) {
        continue;
      }
      plan.fields[i].kind = ColumnKind::Boxed;
      plan.table->columns[i].kind = ColumnKind::Boxed;
    }
  }

  std::vector<std::vector<size_t>> byDepth;
  std::vector<uint32_t> finalRow = orderRows(rows, byDepth);
  for (const auto& level : byDepth) {
    for (size_t index : level) {
      const GivenRow& given = rows[index];
      EntityPlan& plan = *planOf(given.entity);
      std::vector<Cell> cells(plan.fields.size());
      std::vector<bool> bound(plan.fields.size(), true);
      for (size_t i = 0; i < plan.fields.size(); ++i) {
        if (!toCell(plan.fields[i].kind, given.fields[i], cells[i])) {
          result.report.errors.push_back(
              "`" + given.entity->name.text + "." + given.entity->fields[i].name.text +
              "` is given a " + runtime::valueKindName(given.fields[i].kind()) + " value");
          return result;
        }
      }
      internal::appendRow(plan, cells, bound);
      for (size_t i = 0; i < plan.fields.size(); ++i) {
        if (plan.fields[i].kind == ColumnKind::Boxed) {
          plan.table->columns[i].boxed.push_back(given.fields[i]);
        }
      }
      plan.origins.emplace_back(UINT32_MAX, 0);
      if (given.parent != SIZE_MAX) {
        plan.nestedParentRows.resize(finalRow[index] + 1, UINT32_MAX);
        plan.nestedParentRows[finalRow[index]] = finalRow[given.parent];
      }
    }
  }

  // An entity that no other lists is read as a whole, so that its
  // references are resolved; a listed one is read through its parents.
  for (auto& plan : entities) {
    bool listed = false;
    for (const auto& other : entities) {
      for (const auto& field : other.fields) {
        listed = listed || (field.kind == ColumnKind::Children && field.target == plan.entity);
      }
    }
    plan.filled = !listed;
  }
  internal::Rejections rejected(20);
  internal::linkTables(entities, {}, result.report, rejected, kMaxListRows);
  for (const auto& problem : rejected.kept()) {
    result.report.errors.push_back(problem.location + ": " + problem.message);
  }
  return result;
}

}  // namespace crm::load
