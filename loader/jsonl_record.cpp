// Reading one JSON object into pending rows with simdjson's On Demand API.
// JSON strings and the exact text of JSON numbers go through parseTextField,
// like CSV fields. Values of keys that no field reads are validated too, so
// an invalid line is rejected wherever it breaks.
#include "loader/jsonl_record.h"

#include <utility>

namespace crm::load::internal {
namespace {

namespace ondemand = simdjson::ondemand;
using runtime::ColumnKind;

std::string jsonTypeName(ondemand::json_type type) {
  switch (type) {
    case ondemand::json_type::array:
      return "a JSON array";
    case ondemand::json_type::object:
      return "a JSON object";
    case ondemand::json_type::number:
      return "a JSON number";
    case ondemand::json_type::string:
      return "a JSON string";
    case ondemand::json_type::boolean:
      return "a JSON boolean";
    case ondemand::json_type::null:
      return "JSON null";
  }
  return "a JSON value";
}

// simdjson's raw token of a scalar runs up to the next token, spaces included.
std::string_view trimToken(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\r' ||
                            token.back() == '\n')) {
    token.remove_suffix(1);
  }
  return token;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Whether `text` is a number in RFC 8259 syntax: no '+' sign, no leading
// zeros, and digits on both sides of a decimal point.
bool isJsonNumber(std::string_view text) {
  size_t i = 0;
  auto skipDigits = [&] {
    size_t start = i;
    while (i < text.size() && isDigit(text[i]))
      ++i;
    return i > start;
  };
  if (i < text.size() && text[i] == '-')
    ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!skipDigits()) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!skipDigits())
      return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-'))
      ++i;
    if (!skipDigits())
      return false;
  }
  return i == text.size();
}

// Returns the first key from `hint` on, cyclically, that `matches` accepts.
// Records usually list their keys in the same order, so the search is short.
template <typename Matches>
size_t findKey(const JsonLayout& layout, size_t hint, Matches matches) {
  size_t count = layout.keys.size();
  for (size_t i = 0, k = hint; i < count; ++i, ++k) {
    if (k >= count)
      k = 0;
    if (matches(layout.keys[k]))
      return k;
  }
  return kNoIndex;
}

}  // namespace

JsonRecordReader::JsonRecordReader(const SourcePlan& source) : source_(source) {
  numberSource_.values = source.values;
  numberSource_.values.decimalPoint = '.';
}

bool JsonRecordReader::read(std::string_view line, size_t capacity, const JsonLayout& layout,
                            JsonRecord& record, JsonError& error) {
  line_ = line;
  record_ = &record;
  error_ = &error;
  record.count = 0;
  seen_.clear();
  path_.clear();
  documentStarted_ = false;
  if (auto code = parser_.iterate(line.data(), line.size(), capacity).get(document_)) {
    return failJson(code, nullptr, nullptr);
  }
  documentStarted_ = true;
  ondemand::json_type type;
  if (auto code = document_.type().get(type))
    return failJson(code, line.data(), nullptr);
  if (type != ondemand::json_type::object) {
    return fail(line.data(), nullptr, "expected a JSON object, found " + jsonTypeName(type));
  }
  ondemand::object object;
  if (auto code = document_.get_object().get(object)) {
    return failJson(code, line.data(), nullptr);
  }
  size_t row = record.add(layout, kNoIndex);
  if (!readObject(object, layout, row, line.data()))
    return false;
  // At the end of the document simdjson has no current location.
  const char* rest = nullptr;
  if (document_.current_location().get(rest) == simdjson::SUCCESS) {
    return fail(rest, nullptr, "invalid JSON: text follows the end of the object");
  }
  return true;
}

bool JsonRecordReader::readObject(ondemand::object object, const JsonLayout& layout, size_t row,
                                  const char* start) {
  size_t seenBase = seen_.size();
  seen_.resize(seenBase + layout.keys.size(), 0);
  size_t hint = 0;
  for (auto result : object) {
    ondemand::field field;
    if (auto code = std::move(result).get(field))
      return failJson(code, nullptr, nullptr);
    ondemand::raw_json_string rawKey = field.key();
    const char* keyAt = rawKey.raw() - 1;  // the key's opening quote
    // Comparing the raw key spares unescaping it, which only a key that
    // matched no plain name needs.
    size_t found = findKey(layout, hint, [&](const JsonLayout::Key& key) {
      return key.plain && rawKey.unsafe_is_equal(key.name);
    });
    if (found == kNoIndex) {
      std::string_view name;
      if (auto code = field.unescaped_key().get(name))
        return failJson(code, keyAt, nullptr);
      found = findKey(layout, hint, [&](const JsonLayout::Key& key) { return key.name == name; });
    }
    if (found == kNoIndex) {
      if (!skipValue(field.value()))
        return false;
      continue;
    }
    hint = found + 1;
    const JsonLayout::Key& key = layout.keys[found];
    if (seen_[seenBase + found] != 0) {
      size_t fieldIndex = key.fields.empty() ? key.listField : key.fields[0];
      return fail(keyAt, &fieldName(record_->rows[row], fieldIndex),
                  "the key '" + key.name + "' occurs twice in the object");
    }
    seen_[seenBase + found] = 1;
    if (!readKeyValue(field.value(), key, row))
      return false;
  }
  if (!fillMissingKeys(layout, row, seenBase, start))
    return false;
  seen_.resize(seenBase);
  return true;
}

// A missing key is null for an optional field and an empty list for a child
// list, and rejects the record for a required field.
bool JsonRecordReader::fillMissingKeys(const JsonLayout& layout, size_t row, size_t seenBase,
                                       const char* start) {
  PendingRow& pending = record_->rows[row];
  for (size_t k = 0; k < layout.keys.size(); ++k) {
    if (seen_[seenBase + k] != 0)
      continue;
    for (size_t fieldIndex : layout.keys[k].fields) {
      const FieldPlan& field = layout.entity->fields[fieldIndex];
      if (!field.optional) {
        return fail(start, &field.field->name.text,
                    "missing key '" + layout.keys[k].name +
                        "' for the required field; make the field optional (`" +
                        field.field->name.text + ": " + ast::toString(field.field->type) +
                        "?`) if the key may be absent");
      }
      pending.cells[fieldIndex].clear();
      pending.cells[fieldIndex].null = true;
    }
  }
  return true;
}

bool JsonRecordReader::readKeyValue(Value& value, const JsonLayout::Key& key, size_t row) {
  const char* at = value.raw_json_token().data();
  ondemand::json_type type;
  if (auto code = value.type().get(type))
    return failJson(code, at, nullptr);
  if (key.children != nullptr)
    return readList(value, type, key, row, at);
  PendingRow& pending = record_->rows[row];
  switch (type) {
    case ondemand::json_type::string:
      return readString(value, key, pending, at);
    case ondemand::json_type::number:
      return readNumber(value, key, pending, at);
    case ondemand::json_type::boolean:
      return readBool(value, key, pending, at);
    case ondemand::json_type::null:
      return readNull(value, key, pending, at);
    case ondemand::json_type::array:
    case ondemand::json_type::object:
      break;
  }
  const FieldPlan& field = pending.layout->entity->fields[key.fields[0]];
  return fail(at, &field.field->name.text,
              "expected a value of type `" + ast::toString(field.field->type->unwrapped()) +
                  "`, found " + jsonTypeName(type));
}

bool JsonRecordReader::readString(Value& value, const JsonLayout::Key& key, PendingRow& row,
                                  const char* at) {
  std::string_view text;
  if (auto code = value.get_string().get(text)) {
    return failJson(code, at, &fieldName(row, key.fields[0]));
  }
  for (size_t fieldIndex : key.fields) {
    const FieldPlan& field = row.layout->entity->fields[fieldIndex];
    Cell& cell = row.cells[fieldIndex];
    bool isText = field.kind == ColumnKind::String || field.kind == ColumnKind::Reference;
    if (text.empty() && isText && source_.nullValues.empty()) {
      // JSON has null for a missing value, so "" is a text unless the
      // source lists it in `null_values`.
      cell.clear();
      continue;
    }
    if (!parseTextField(source_, field, text, cell, message_)) {
      return fail(at, &field.field->name.text, message_);
    }
  }
  return true;
}

bool JsonRecordReader::readNumber(Value& value, const JsonLayout::Key& key, PendingRow& row,
                                  const char* at) {
  // The token's own text keeps integers past 2^53 and decimals such as 0.1
  // exact; simdjson's binary conversions would round them.
  std::string_view text = trimToken(value.raw_json_token());
  if (!isJsonNumber(text)) {
    return fail(at, &fieldName(row, key.fields[0]),
                "invalid JSON: '" + std::string(text) + "' is not a number");
  }
  for (size_t fieldIndex : key.fields) {
    const FieldPlan& field = row.layout->entity->fields[fieldIndex];
    // A number fills numeric fields only: turning 42 into the text "42" or
    // 1 into true would be a silent coercion.
    bool numeric = field.kind == ColumnKind::Int || field.kind == ColumnKind::Double ||
                   field.kind == ColumnKind::Decimal;
    if (!numeric) {
      return fail(at, &field.field->name.text,
                  "expected a value of type `" + ast::toString(field.field->type->unwrapped()) +
                      "`, found a JSON number");
    }
    if (!parseTextField(numberSource_, field, text, row.cells[fieldIndex], message_)) {
      return fail(at, &field.field->name.text, message_);
    }
  }
  return true;
}

bool JsonRecordReader::readBool(Value& value, const JsonLayout::Key& key, PendingRow& row,
                                const char* at) {
  bool flag = false;
  if (value.get_bool().get(flag) != simdjson::SUCCESS) {
    return failLiteral(at, &fieldName(row, key.fields[0]));
  }
  for (size_t fieldIndex : key.fields) {
    const FieldPlan& field = row.layout->entity->fields[fieldIndex];
    if (field.kind != ColumnKind::Bool) {
      return fail(at, &field.field->name.text,
                  "expected a value of type `" + ast::toString(field.field->type->unwrapped()) +
                      "`, found a JSON boolean");
    }
    row.cells[fieldIndex].clear();
    row.cells[fieldIndex].integer = flag ? 1 : 0;
  }
  return true;
}

bool JsonRecordReader::readNull(Value& value, const JsonLayout::Key& key, PendingRow& row,
                                const char* at) {
  bool null = false;
  if (value.is_null().get(null) != simdjson::SUCCESS || !null) {
    return failLiteral(at, &fieldName(row, key.fields[0]));
  }
  for (size_t fieldIndex : key.fields) {
    const FieldPlan& field = row.layout->entity->fields[fieldIndex];
    if (!field.optional) {
      return fail(at, &field.field->name.text,
                  "missing value (JSON null) for the required field; make the field optional (`" +
                      field.field->name.text + ": " + ast::toString(field.field->type) +
                      "?`) if it may be null");
    }
    row.cells[fieldIndex].clear();
    row.cells[fieldIndex].null = true;
  }
  return true;
}

// Reads an array of objects into child rows of `row`. JSON null is an empty
// list.
bool JsonRecordReader::readList(Value& value, JsonType type, const JsonLayout::Key& key, size_t row,
                                const char* at) {
  const std::string& name = fieldName(record_->rows[row], key.listField);
  if (type == ondemand::json_type::null) {
    bool null = false;
    if (value.is_null().get(null) != simdjson::SUCCESS || !null)
      return failLiteral(at, &name);
    return true;
  }
  if (type != ondemand::json_type::array) {
    return fail(at, &name,
                "expected an array of `" + key.children->entity->entity->name.text +
                    "` objects, found " + jsonTypeName(type));
  }
  ondemand::array array;
  if (auto code = value.get_array().get(array))
    return failJson(code, at, &name);
  size_t index = 0;
  for (auto result : array) {
    Value element;
    if (auto code = result.get(element))
      return failJson(code, nullptr, &name);
    path_.push_back({&name, index});
    const char* elementAt = element.raw_json_token().data();
    ondemand::json_type elementType;
    if (auto code = element.type().get(elementType))
      return failJson(code, elementAt, nullptr);
    if (elementType != ondemand::json_type::object) {
      return fail(elementAt, nullptr, "expected a JSON object, found " + jsonTypeName(elementType));
    }
    ondemand::object object;
    if (auto code = element.get_object().get(object))
      return failJson(code, elementAt, nullptr);
    size_t child = record_->add(*key.children, row);
    if (!readObject(object, *key.children, child, elementAt))
      return false;
    path_.pop_back();
    ++index;
  }
  return true;
}

// Validates the value of a key that no field reads.
bool JsonRecordReader::skipValue(Value& value) {
  const char* at = value.raw_json_token().data();
  ondemand::json_type type;
  if (auto code = value.type().get(type))
    return failJson(code, at, nullptr);
  switch (type) {
    case ondemand::json_type::object: {
      ondemand::object object;
      if (auto code = value.get_object().get(object))
        return failJson(code, at, nullptr);
      for (auto result : object) {
        ondemand::field field;
        std::string_view name;
        if (auto code = std::move(result).get(field))
          return failJson(code, nullptr, nullptr);
        if (auto code = field.unescaped_key().get(name))
          return failJson(code, nullptr, nullptr);
        if (!skipValue(field.value()))
          return false;
      }
      return true;
    }
    case ondemand::json_type::array: {
      ondemand::array array;
      if (auto code = value.get_array().get(array))
        return failJson(code, at, nullptr);
      for (auto result : array) {
        Value element;
        if (auto code = result.get(element))
          return failJson(code, nullptr, nullptr);
        if (!skipValue(element))
          return false;
      }
      return true;
    }
    case ondemand::json_type::string: {
      std::string_view text;
      if (auto code = value.get_string().get(text))
        return failJson(code, at, nullptr);
      return true;
    }
    case ondemand::json_type::number: {
      std::string_view text = trimToken(value.raw_json_token());
      if (isJsonNumber(text))
        return true;
      return fail(at, nullptr, "invalid JSON: '" + std::string(text) + "' is not a number");
    }
    case ondemand::json_type::boolean: {
      bool flag = false;
      return value.get_bool().get(flag) == simdjson::SUCCESS || failLiteral(at, nullptr);
    }
    case ondemand::json_type::null: {
      bool null = false;
      return (value.is_null().get(null) == simdjson::SUCCESS && null) || failLiteral(at, nullptr);
    }
  }
  return true;
}

const std::string& JsonRecordReader::fieldName(const PendingRow& row, size_t field) const {
  return row.layout->entity->fields[field].field->name.text;
}

}  // namespace crm::load::internal
