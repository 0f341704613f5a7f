// Binding rules shared by every source format.
#include <algorithm>

#include "compiler/diag/diagnostic.h"
#include "loader/internal.h"

namespace crm::load::internal {

using runtime::ColumnKind;

bool checkRequiredFields(const SourcePlan& source, const std::string& where, LoadReport& report) {
  const auto& entity = *source.entity->entity;
  bool ok = true;
  for (size_t i = 0; i < source.entity->fields.size(); ++i) {
    const FieldPlan& field = source.entity->fields[i];
    bool scalar = field.kind != ColumnKind::Children && field.kind != ColumnKind::Values &&
                  field.kind != ColumnKind::Unfilled;
    bool bound = std::any_of(source.bindings.begin(), source.bindings.end(),
                             [&](const Binding& b) { return b.fieldIndex == i; }) ||
                 source.rowNumberField == i;
    if (scalar && !field.optional && !bound) {
      report.errors.push_back(where + " does not fill the required field `" +
                              entity.fields[i].name.text + "` of `" + entity.name.text +
                              "`; bind a column to it in `columns { ... }` or make it optional");
      ok = false;
    }
  }
  return ok;
}

bool dropAbsentImplicitBindings(SourcePlan& source, const std::vector<std::string>& names,
                                const std::string& where, const std::string& container,
                                LoadReport& report) {
  auto present = [&](const std::string& column) {
    return std::find(names.begin(), names.end(), column) != names.end();
  };
  auto absent = [&](const Binding& binding) {
    return binding.implicit && source.entity->fields[binding.fieldIndex].optional &&
           !present(binding.column);
  };
  // A column that no field reads and whose name is close to an absent
  // field's is most likely that field misspelt, which would otherwise
  // leave the field null in every record without a word.
  std::vector<std::string> unread;
  for (const auto& name : names) {
    bool read = std::any_of(source.bindings.begin(), source.bindings.end(),
                            [&](const Binding& binding) { return binding.column == name; });
    if (!read) unread.push_back(name);
  }
  bool ok = true;
  for (const auto& binding : source.bindings) {
    if (!absent(binding)) continue;
    auto suggestion = diag::closestMatch(binding.column, unread);
    if (!suggestion) continue;
    report.errors.push_back(where + ": the optional field `" + binding.column + "` has no column in " +
                            container + ", so it would be null in every record, and the column '" +
                            *suggestion + "' is read by no field; rename the column, or bind " +
                            "it with `columns { \"" + *suggestion + "\" -> " + binding.column +
                            " ... }`");
    ok = false;
  }
  source.bindings.erase(std::remove_if(source.bindings.begin(), source.bindings.end(), absent),
                        source.bindings.end());
  return ok;
}

void fillRowNumber(const SourcePlan& source, std::vector<Cell>& row, std::vector<bool>& bound,
                   uint64_t number) {
  if (!source.rowNumberField) return;
  Cell& cell = row[*source.rowNumberField];
  cell.clear();
  cell.integer = static_cast<int64_t>(number);
  cell.text = std::to_string(number);
  bound[*source.rowNumberField] = true;
}

void reserveRows(EntityPlan& plan, size_t rows) {
  size_t total = plan.table->rowCount + rows;
  for (size_t i = 0; i < plan.fields.size(); ++i) {
    runtime::Column& column = plan.table->columns[i];
    switch (plan.fields[i].kind) {
      case ColumnKind::Bool: case ColumnKind::Int: case ColumnKind::Date:
      case ColumnKind::Timestamp: case ColumnKind::Duration: case ColumnKind::Enum:
        column.ints.reserve(total);
        break;
      case ColumnKind::Double: column.doubles.reserve(total); break;
      case ColumnKind::Decimal: column.decimals.reserve(total); break;
      case ColumnKind::String: case ColumnKind::Reference: {
        column.strings.reserve(total);
        // Distinct texts in the same proportion as in the rows so far: all
        // rows for a key, few for a column such as a city. Reserved memory
        // that is never written takes no pages.
        size_t distinct = column.pool.size();
        size_t rowsSoFar = plan.table->rowCount;
        if (distinct > 0 && rowsSoFar > 0) {
          size_t strings = rows / rowsSoFar * distinct + rows % rowsSoFar * distinct / rowsSoFar;
          column.pool.reserve(strings, strings * (column.pool.textBytes() / distinct + 1));
        }
        break;
      }
      default: break;
    }
    if (column.optional) column.nullBits.reserve(total / 64 + 1);
  }
}

void reserveForFile(EntityPlan& plan, size_t fileBytes, size_t sampleBytes) {
  size_t estimate = fileBytes / (sampleBytes / kReserveSample + 1);
  reserveRows(plan, estimate + estimate / 32);  // a 3% margin for longer records later
}

std::string rowLocation(const SourcePlan& source, uint64_t line) {
  if (!source.rowLabel.empty()) return source.rowLabel + " row " + std::to_string(line);
  return source.path + ":" + std::to_string(line);
}

}  // namespace crm::load::internal
