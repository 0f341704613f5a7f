// Reading one CSV source into its entity's table.
#include <algorithm>
#include <chrono>

#include "compiler/diag/diagnostic.h"
#include "loader/csv_reader.h"
#include "loader/file_blocks.h"
#include "loader/internal.h"

namespace crm::load::internal {
namespace {

using runtime::ColumnKind;

std::string joinRecord(const CsvRecord& record, char separator) {
  std::string text;
  for (size_t i = 0; i < record.fields.size(); ++i) {
    if (i > 0) text += separator;
    text += record.fields[i];
  }
  return text;
}

// Binds the source's columns to positions in the file's records.
bool bindColumns(SourcePlan& source, const CsvRecord* header, LoadReport& report) {
  std::string where = "source `" + source.decl->name.text + "`";
  checkRequiredFields(source, where, report);
  if (header == nullptr) {
    // Without a header the `columns` block lists the file's columns in order.
    for (size_t i = 0; i < source.bindings.size(); ++i) source.bindings[i].position = i;
    return report.errors.empty();
  }
  // Header names compare in NFC, as the values do.
  std::vector<std::string> names;
  for (std::string_view name : header->fields) {
    std::string ignored;
    names.push_back(normalizeText(name, ignored).value_or(std::string(name)));
  }
  for (auto& binding : source.bindings) {
    std::string ignored;
    binding.column = normalizeText(binding.column, ignored).value_or(binding.column);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(names.begin(), names.begin() + static_cast<ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<ptrdiff_t>(i)) {
      report.errors.push_back(where + ": column '" + names[i] + "' appears twice in the header of '" +
                              source.path + "'; rename one of them in the file");
      return false;
    }
  }
  dropAbsentImplicitBindings(source, names, where, "the header of '" + source.path + "'", report);
  for (auto& binding : source.bindings) {
    auto found = std::find(names.begin(), names.end(), binding.column);
    if (found == names.end()) {
      std::string list;
      for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
      std::string message = where + ": column '" + binding.column + "' is not in the header of '" +
                            source.path + "'";
      if (auto suggestion = diag::closestMatch(binding.column, names)) {
        message += "; did you mean '" + *suggestion + "'?";
      } else {
        message += "; the header has: " + list;
      }
      report.errors.push_back(message);
      continue;
    }
    binding.position = static_cast<size_t>(found - names.begin());
  }
  return report.errors.empty();
}

// Notes the key of a record about to be rejected, when the key column is
// bound and present.
void rememberRejectedKey(SourcePlan& source, const CsvRecord& record) {
  size_t keyField = source.entity->table->keyColumn;
  for (const auto& binding : source.bindings) {
    if (binding.fieldIndex == keyField && binding.position < record.fields.size()) {
      source.entity->rejectedKeys.emplace(record.fields[binding.position]);
    }
  }
}

}  // namespace

bool isNullMarker(const SourcePlan& source, std::string_view text) {
  return std::find(source.nullValues.begin(), source.nullValues.end(), text) !=
         source.nullValues.end();
}

namespace {

// Converts `text` to the field's type, with no regard to null markers.
bool parseValue(const SourcePlan& source, const FieldPlan& field, std::string_view text,
                Cell& cell, std::string& error) {
  std::optional<int64_t> integer;
  switch (field.kind) {
    case ColumnKind::Bool: {
      auto value = parseBool(text, error);
      if (!value) return false;
      cell.integer = *value ? 1 : 0;
      return true;
    }
    case ColumnKind::Int: integer = parseInt(text, error); break;
    case ColumnKind::Date: integer = parseDateField(text, source.values, error); break;
    case ColumnKind::Timestamp: integer = parseTimestampField(text, source.values, error); break;
    case ColumnKind::Duration: integer = parseDurationField(text, error); break;
    case ColumnKind::Double: {
      // The source's decimal separator applies to doubles as to decimals.
      std::string swapped;
      std::string_view number = text;
      if (source.values.decimalPoint != '.') {
        if (number.find('.') != std::string_view::npos) {
          error = "'" + std::string(text) + "' is not a number with separator '" +
                  std::string(1, source.values.decimalPoint) + "'";
          return false;
        }
        swapped = std::string(text);
        std::replace(swapped.begin(), swapped.end(), source.values.decimalPoint, '.');
        number = swapped;
      }
      auto value = parseDouble(number, error);
      if (!value) return false;
      cell.real = *value;
      return true;
    }
    case ColumnKind::Decimal: {
      auto value = parseDecimalField(text, source.values, error);
      if (!value) return false;
      cell.decimal = *value;
      return true;
    }
    case ColumnKind::String:
    case ColumnKind::Reference: {
      if (isNfcAscii(text)) {
        cell.view = text.data() != nullptr ? text : std::string_view("", 0);
        return true;
      }
      auto value = normalizeText(text, error);
      if (!value) return false;
      cell.text = std::move(*value);
      return true;
    }
    case ColumnKind::Enum: {
      const auto& values = field.enumDecl->values;
      for (size_t i = 0; i < values.size(); ++i) {
        if (values[i].text == text) {
          cell.integer = static_cast<int64_t>(i);
          return true;
        }
      }
      std::string list;
      for (const auto& value : values) list += (list.empty() ? "" : ", ") + value.text;
      error = "'" + std::string(text) + "' is not a value of enum " + field.enumDecl->name.text +
              " (" + list + ")";
      return false;
    }
    default:
      error = "a " + ast::toString(field.field->type) + " field cannot be read from a CSV column";
      return false;
  }
  if (!integer) return false;
  cell.integer = *integer;
  return true;
}

}  // namespace

bool parseTextField(const SourcePlan& source, const FieldPlan& field, std::string_view text,
                    Cell& cell, std::string& error) {
  cell.clear();
  if (text.size() > source.maxTextBytes) {
    error = "the value has " + std::to_string(text.size()) + " bytes, more than the " +
            std::to_string(source.maxTextBytes) +
            " that one field may hold; shorten it, or leave the column out of the source";
    return false;
  }
  bool marker = isNullMarker(source, text);
  if (marker && field.optional) {
    cell.null = true;
    return true;
  }
  // A required field reads a null marker as usual, because a sentinel such
  // as "-1" that means null in one column can be a real value in another.
  if (parseValue(source, field, text, cell, error)) return true;
  if (marker) {
    error = "missing value for the required field; make the field optional (`" +
            field.field->name.text + ": " + ast::toString(field.field->type) +
            "?`) if it may be empty";
  }
  return false;
}

void readCsvSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                   const LoadOptions& options, Rejections& rejected) {
  auto started = std::chrono::steady_clock::now();
  SourceStats stats;
  stats.name = source.decl->name.text;
  stats.path = source.path;
  stats.entity = source.entity->entity->name.text;
  std::string where = "source `" + source.decl->name.text + "`";

  std::string error;
  CsvOptions csvOptions{source.separator, source.quote};
  if (std::string invalid = validateCsvOptions(csvOptions); !invalid.empty()) {
    report.errors.push_back(where + ": " + invalid);
    return;
  }
  // The file is read a block at a time. A record that crosses the end of a
  // block is read again from its start after the next refill.
  FileBlocks blocks(options.readBlockBytes, 0);
  if (!blocks.open(source.path, error) || !blocks.refill(0, error)) {
    report.errors.push_back(where + ": cannot read '" + source.path + "': " + error);
    return;
  }
  CsvReader reader(csvOptions);
  reader.supply(blocks.data(), blocks.atEnd());
  std::string readError;
  auto nextRecord = [&](CsvRecord& into) {
    while (true) {
      if (reader.next(into, error)) return true;
      if (!reader.needsData()) return false;
      if (!blocks.refill(reader.consumed(), readError)) return false;
      reader.supply(blocks.data(), blocks.atEnd());
    }
  };
  auto readFailed = [&] {
    if (readError.empty()) return false;
    report.errors.push_back(where + ": cannot read '" + source.path + "': " + readError);
    return true;
  };
  CsvRecord record;
  size_t expectedFields = 0;
  if (source.header) {
    if (!nextRecord(record) || !error.empty()) {
      if (readFailed()) return;
      report.errors.push_back(where + ": '" + source.path + "' has no readable header line" +
                              (error.empty() ? "" : ": " + error));
      return;
    }
    expectedFields = record.fields.size();
    if (!bindColumns(source, &record, report)) return;
  } else if (!bindColumns(source, nullptr, report)) {
    return;
  }

  const auto& fields = source.entity->fields;
  std::vector<Cell> row(fields.size());
  std::vector<bool> bound(fields.size(), false);
  for (const auto& binding : source.bindings) bound[binding.fieldIndex] = true;
  auto reject = [&](const CsvRecord& bad, uint64_t line, uint32_t column,
                    const std::string& field, const std::string& message) {
    rejected.push_back({stats.name,
                        source.path + ":" + std::to_string(line) + ":" + std::to_string(column),
                        field, message, joinRecord(bad, source.separator)});
    ++stats.rejected;
  };
  // The first records give the average record size, hence an estimate of
  // the rows to come, for which the columns reserve room once.
  size_t sampleBytes = 0;
  while (true) {
    error.clear();
    if (!nextRecord(record)) break;
    ++stats.records;
    if (stats.records <= kReserveSample) {
      for (std::string_view field : record.fields) sampleBytes += field.size() + 1;
      if (stats.records == kReserveSample) reserveForFile(*source.entity, blocks.fileSize(), sampleBytes);
    }
    if (!error.empty()) {
      reject(record, record.errorLine, record.errorColumn, "", error);
      continue;
    }
    if (expectedFields == 0) {
      // Without a header the first record sets the width, which must hold
      // every column the source binds.
      expectedFields = std::max(record.fields.size(), source.bindings.size());
    }
    if (record.fields.size() != expectedFields) {
      reject(record, record.line, 1, "",
             "the record has " + std::to_string(record.fields.size()) + " fields but " +
                 (source.header ? "the header has " : "the first record has ") +
                 std::to_string(expectedFields));
      continue;
    }
    bool valid = true;
    for (const auto& binding : source.bindings) {
      const FieldPlan& field = fields[binding.fieldIndex];
      std::string_view text = record.fields[binding.position];
      Cell& cell = row[binding.fieldIndex];
      if (!parseTextField(source, field, text, cell, error)) {
        rememberRejectedKey(source, record);
        reject(record, record.line, reader.column(record, binding.position), field.field->name.text,
               error);
        valid = false;
        break;
      }
      // Interning a new key misses the cache. Starting the load now lets
      // it overlap with converting the other fields.
      bool interned = field.kind == ColumnKind::String || field.kind == ColumnKind::Reference;
      if (interned && !cell.null) {
        source.entity->table->columns[binding.fieldIndex].pool.prefetch(cell.textValue());
      }
    }
    if (!valid) continue;
    fillRowNumber(source, row, bound, stats.records);
    appendRow(*source.entity, row, bound);
    source.entity->origins.emplace_back(sourceIndex, static_cast<uint32_t>(record.line));
    ++stats.loaded;
  }
  if (readFailed()) return;
  stats.bytes = blocks.bytesRead();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.sources.push_back(stats);
}

void appendRow(EntityPlan& plan, const std::vector<Cell>& row, const std::vector<bool>& bound) {
  runtime::Table& table = *plan.table;
  size_t index = table.rowCount;
  for (size_t i = 0; i < plan.fields.size(); ++i) {
    runtime::Column& column = table.columns[i];
    const FieldPlan& field = plan.fields[i];
    bool null = !bound[i] || row[i].null;
    if (column.optional) {
      if (index % 64 == 0) column.nullBits.push_back(0);
      if (null) column.setNull(index);
    }
    switch (field.kind) {
      case ColumnKind::Bool: case ColumnKind::Int: case ColumnKind::Date:
      case ColumnKind::Timestamp: case ColumnKind::Duration: case ColumnKind::Enum:
        column.ints.push_back(null ? 0 : row[i].integer);
        break;
      case ColumnKind::Double: column.doubles.push_back(null ? 0 : row[i].real); break;
      case ColumnKind::Decimal:
        column.decimals.push_back(null ? runtime::Decimal{} : row[i].decimal);
        break;
      case ColumnKind::String:
      case ColumnKind::Reference:
        // A reference holds its key text until linking resolves it to a row.
        column.strings.push_back(column.pool.intern(null ? std::string_view() : row[i].textValue()));
        break;
      default:
        break;
    }
  }
  ++table.rowCount;
}

}  // namespace crm::load::internal
