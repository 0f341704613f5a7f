#include "runtime/field_read.h"

#include <algorithm>

namespace crm::runtime {

bool fieldPresent(const Table& table, uint32_t column, uint32_t row) {
  const Column& c = table.columns[column];
  if (c.kind == ColumnKind::Unfilled) return !c.optional;
  return !(c.optional && !c.nullBits.empty() && c.isNull(row));
}

namespace {

Value unresolved(const Table& table, const Column& column, uint32_t row) {
  auto it = std::lower_bound(
      column.unresolvedKeys.begin(), column.unresolvedKeys.end(), row,
      [](const std::pair<uint32_t, std::string>& entry, uint32_t r) { return entry.first < r; });
  std::string key = it != column.unresolvedKeys.end() && it->first == row ? it->second : "?";
  std::string target = column.target != nullptr ? column.target->name : "the target entity";
  std::string message = table.name + " " + table.keyText(row) + ": `" + column.name + "` names " +
                        target + " '" + key + "', which has no row";
  return Value::unresolvedRow(column.target, key, std::move(message));
}

Value readColumn(const Table& table, const Column& c, uint32_t row, const EnumInfo* enumInfo) {
  if (c.kind == ColumnKind::Unfilled) return c.optional ? Value::null() : Value::list({});
  if (c.optional && !c.nullBits.empty() && c.isNull(row)) return Value::null();
  switch (c.kind) {
    case ColumnKind::Bool: return Value::boolean(c.ints[row] != 0);
    case ColumnKind::Int: return Value::integer(c.ints[row]);
    case ColumnKind::Double: return Value::floating(c.doubles[row]);
    case ColumnKind::Decimal: return Value::decimal(c.decimals[row]);
    case ColumnKind::String: return Value::stringView(c.pool.text(c.strings[row]));
    case ColumnKind::Date: return Value::date(c.ints[row]);
    case ColumnKind::Timestamp: return Value::timestamp(c.ints[row]);
    case ColumnKind::Duration: return Value::duration(c.ints[row]);
    case ColumnKind::Enum: return Value::enumValue(enumInfo, c.ints[row]);
    case ColumnKind::Reference:
      if (c.ints[row] == Column::kUnresolved) return unresolved(table, c, row);
      return Value::row(c.target, static_cast<uint32_t>(c.ints[row]));
    case ColumnKind::Children:
      if (c.offsets.size() <= row + 1) return Value::slice(c.target, 0, 0);
      return Value::slice(c.target, c.offsets[row], c.offsets[row + 1]);
    case ColumnKind::Values: {
      std::vector<Value> items;
      if (c.offsets.size() > row + 1 && c.elements != nullptr) {
        for (uint32_t i = c.offsets[row]; i < c.offsets[row + 1]; ++i) {
          items.push_back(readColumn(table, *c.elements, i, enumInfo));
        }
      }
      return Value::list(std::move(items));
    }
    case ColumnKind::Boxed: return c.boxed[row];
    case ColumnKind::Unfilled: break;
  }
  return Value::null();
}

}  // namespace

Value readField(const Table& table, uint32_t column, uint32_t row, const EnumInfo* enumInfo) {
  return readColumn(table, table.columns[column], row, enumInfo);
}

}  // namespace crm::runtime
