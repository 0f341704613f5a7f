#include "runtime/value.h"

#include <charconv>
#include <cmath>

#include "runtime/store.h"
#include "runtime/time.h"

namespace crm::runtime {

const char* valueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::Null: return "null";
    case ValueKind::Bool: return "bool";
    case ValueKind::Int: return "int";
    case ValueKind::Double: return "double";
    case ValueKind::Decimal: return "decimal";
    case ValueKind::String: return "string";
    case ValueKind::Date: return "date";
    case ValueKind::Timestamp: return "timestamp";
    case ValueKind::Duration: return "duration";
    case ValueKind::Enum: return "enum";
    case ValueKind::Row: return "row";
    case ValueKind::List: return "list";
    case ValueKind::Map: return "map";
    case ValueKind::Record: return "record";
    case ValueKind::Error: return "error";
  }
  return "?";
}

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Overflow: return "overflow";
    case ErrorKind::DivideByZero: return "division by zero";
    case ErrorKind::Conversion: return "invalid conversion";
    case ErrorKind::TimeZone: return "invalid time zone";
    case ErrorKind::Range: return "out of range";
    case ErrorKind::NoSuchKey: return "no such key";
    case ErrorKind::IndexOutOfRange: return "index out of range";
    case ErrorKind::UnresolvedReference: return "unresolved reference";
    case ErrorKind::InvalidArgument: return "invalid argument";
    case ErrorKind::NoMatchingOverload: return "no matching overload";
  }
  return "?";
}

Value Value::floating(double d) {
  Value v;
  v.kind_ = ValueKind::Double;
  v.scalar_.d = d;
  return v;
}

Value Value::decimal(Decimal d) {
  Value v;
  v.kind_ = ValueKind::Decimal;
  v.scalar_.dec = d;
  return v;
}

Value Value::enumValue(const EnumInfo* info, int64_t ordinal) {
  Value v = scalar(ValueKind::Enum, ordinal);
  v.info_ = info;
  return v;
}

Value Value::stringView(std::string_view text) {
  Value v;
  v.kind_ = ValueKind::String;
  v.info_ = text.data();
  v.scalar_.i = static_cast<int64_t>(text.size());
  return v;
}

Value Value::string(std::string text) {
  auto owned = std::make_shared<const std::string>(std::move(text));
  Value v;
  v.kind_ = ValueKind::String;
  v.info_ = owned->data();
  v.scalar_.i = static_cast<int64_t>(owned->size());
  v.heap_ = std::move(owned);
  return v;
}

Value Value::row(const Table* table, uint32_t row) {
  Value v;
  v.kind_ = ValueKind::Row;
  v.info_ = table;
  v.scalar_.range = {row, row + 1};
  return v;
}

Value Value::unresolvedRow(const Table* table, std::string key, std::string message) {
  Value v;
  v.kind_ = ValueKind::Row;
  v.info_ = table;
  v.scalar_.range = {UINT32_MAX, UINT32_MAX};
  v.heap_ = std::make_shared<const UnresolvedData>(UnresolvedData{std::move(key), std::move(message)});
  return v;
}

Value Value::slice(const Table* table, uint32_t begin, uint32_t end) {
  Value v;
  v.kind_ = ValueKind::List;
  v.info_ = table;
  v.scalar_.range = {begin, end};
  return v;
}

Value Value::list(std::vector<Value> items) {
  Value v;
  v.kind_ = ValueKind::List;
  v.heap_ = std::make_shared<const ListData>(ListData{std::move(items)});
  return v;
}

Value Value::map(std::vector<std::pair<Value, Value>> entries) {
  Value v;
  v.kind_ = ValueKind::Map;
  v.heap_ = std::make_shared<const MapData>(MapData{std::move(entries)});
  return v;
}

Value Value::record(const RecordInfo* info, std::vector<Value> fields) {
  Value v;
  v.kind_ = ValueKind::Record;
  v.heap_ = std::make_shared<const RecordData>(RecordData{info, std::move(fields)});
  return v;
}

Value Value::error(ErrorKind kind, std::string message) {
  Value v;
  v.kind_ = ValueKind::Error;
  v.heap_ = std::make_shared<const ErrorData>(ErrorData{kind, std::move(message)});
  return v;
}

size_t Value::listSize() const {
  if (info_ != nullptr) return scalar_.range.end - scalar_.range.begin;
  return heap_ == nullptr ? 0 : static_cast<const ListData*>(heap_.get())->items.size();
}

Value Value::listAt(size_t i) const {
  if (info_ != nullptr) {
    return row(static_cast<const Table*>(info_), scalar_.range.begin + static_cast<uint32_t>(i));
  }
  return static_cast<const ListData*>(heap_.get())->items[i];
}

const std::vector<Value>& Value::listItems() const {
  static const std::vector<Value> kEmpty;
  if (info_ != nullptr || heap_ == nullptr) return kEmpty;
  return static_cast<const ListData*>(heap_.get())->items;
}

namespace {

bool isNumber(ValueKind kind) {
  return kind == ValueKind::Int || kind == ValueKind::Double || kind == ValueKind::Decimal;
}

// Compares an int with a double exactly: converting the int to a double
// would round above 2^53.
int compareIntDouble(int64_t i, double d, bool& unordered) {
  if (std::isnan(d)) {
    unordered = true;
    return 0;
  }
  if (d >= 9223372036854775808.0) return -1;
  if (d < -9223372036854775808.0) return 1;
  double truncated = std::trunc(d);
  auto whole = static_cast<int64_t>(truncated);
  if (i != whole) return i < whole ? -1 : 1;
  if (d == truncated) return 0;
  return d > truncated ? -1 : 1;
}

int compareNumbers(const Value& a, const Value& b, bool& unordered) {
  ValueKind x = a.kind();
  ValueKind y = b.kind();
  if (x == ValueKind::Int && y == ValueKind::Int) {
    return a.asInt() < b.asInt() ? -1 : a.asInt() > b.asInt() ? 1 : 0;
  }
  if (x == ValueKind::Double && y == ValueKind::Double) {
    if (std::isnan(a.asDouble()) || std::isnan(b.asDouble())) {
      unordered = true;
      return 0;
    }
    return a.asDouble() < b.asDouble() ? -1 : a.asDouble() > b.asDouble() ? 1 : 0;
  }
  if (x == ValueKind::Int && y == ValueKind::Double) {
    return compareIntDouble(a.asInt(), b.asDouble(), unordered);
  }
  if (x == ValueKind::Double && y == ValueKind::Int) {
    return -compareIntDouble(b.asInt(), a.asDouble(), unordered);
  }
  if (x == ValueKind::Double || y == ValueKind::Double) {
    double da = x == ValueKind::Double ? a.asDouble() : decimalToDouble(a.asDecimal());
    double db = y == ValueKind::Double ? b.asDouble() : decimalToDouble(b.asDecimal());
    if (std::isnan(da) || std::isnan(db)) {
      unordered = true;
      return 0;
    }
    if (da < db) return -1;
    return da > db ? 1 : 0;
  }
  Decimal da = x == ValueKind::Int ? decimalFromInt(a.asInt()) : a.asDecimal();
  Decimal db = y == ValueKind::Int ? decimalFromInt(b.asInt()) : b.asDecimal();
  auto order = compareDecimal(da, db);
  if (order < 0) return -1;
  return order > 0 ? 1 : 0;
}

// Rows of one table are the same when their keys are. A row that exists
// and one that a key names but that does not exist compare by key.
bool sameRow(const Value& a, const Value& b) {
  if (a.table() != b.table()) return false;
  if (!a.isUnresolvedRow() && !b.isUnresolvedRow()) return a.rowIndex() == b.rowIndex();
  auto key = [](const Value& v) {
    return v.isUnresolvedRow() ? v.asUnresolved().key : v.table()->keyText(v.rowIndex());
  };
  return key(a) == key(b);
}

}  // namespace

int compare(const Value& a, const Value& b, bool& unordered) {
  if (isNumber(a.kind()) && isNumber(b.kind())) return compareNumbers(a, b, unordered);
  switch (a.kind()) {
    case ValueKind::Bool:
    case ValueKind::Date:
    case ValueKind::Timestamp:
    case ValueKind::Duration:
    case ValueKind::Enum:
      return a.asInt() < b.asInt() ? -1 : a.asInt() > b.asInt() ? 1 : 0;
    case ValueKind::String: {
      // Byte order of UTF-8 is code point order.
      int c = a.asString().compare(b.asString());
      if (c < 0) return -1;
      return c > 0 ? 1 : 0;
    }
    default:
      unordered = true;
      return 0;
  }
}

Value equals(const Value& a, const Value& b) {
  if (a.isError()) return a;
  if (b.isError()) return b;
  if (isNumber(a.kind()) && isNumber(b.kind())) {
    bool unordered = false;
    int c = compareNumbers(a, b, unordered);
    return Value::boolean(!unordered && c == 0);
  }
  if (a.kind() != b.kind()) return Value::boolean(false);
  switch (a.kind()) {
    case ValueKind::Null:
      return Value::boolean(true);
    case ValueKind::Bool:
    case ValueKind::Date:
    case ValueKind::Timestamp:
    case ValueKind::Duration:
      return Value::boolean(a.asInt() == b.asInt());
    case ValueKind::Enum:
      return Value::boolean(a.enumInfo() == b.enumInfo() && a.asInt() == b.asInt());
    case ValueKind::String:
      return Value::boolean(a.asString() == b.asString());
    case ValueKind::Row:
      return Value::boolean(sameRow(a, b));
    case ValueKind::List: {
      size_t n = a.listSize();
      if (n != b.listSize()) return Value::boolean(false);
      // CEL: false wins over an error in another element.
      Value firstError;
      for (size_t i = 0; i < n; ++i) {
        Value e = equals(a.listAt(i), b.listAt(i));
        if (e.isError()) {
          if (firstError.isNull()) firstError = e;
        } else if (!e.asBool()) {
          return e;
        }
      }
      return firstError.isNull() ? Value::boolean(true) : firstError;
    }
    case ValueKind::Map: {
      const auto& x = a.asMap().entries;
      const auto& y = b.asMap().entries;
      if (x.size() != y.size()) return Value::boolean(false);
      for (const auto& [key, value] : x) {
        const Value* other = nullptr;
        for (const auto& entry : y) {
          Value same = equals(key, entry.first);
          if (!same.isError() && same.asBool()) {
            other = &entry.second;
            break;
          }
        }
        if (other == nullptr) return Value::boolean(false);
        Value e = equals(value, *other);
        if (e.isError() || !e.asBool()) return e;
      }
      return Value::boolean(true);
    }
    case ValueKind::Record: {
      const auto& x = a.asRecord();
      const auto& y = b.asRecord();
      if (x.info != y.info) return Value::boolean(false);
      for (size_t i = 0; i < x.fields.size(); ++i) {
        Value e = equals(x.fields[i], y.fields[i]);
        if (e.isError() || !e.asBool()) return e;
      }
      return Value::boolean(true);
    }
    default:
      return Value::boolean(false);
  }
}

std::string displayText(const Value& value) {
  switch (value.kind()) {
    case ValueKind::Null: return "null";
    case ValueKind::Bool: return value.asBool() ? "true" : "false";
    case ValueKind::Int: return std::to_string(value.asInt());
    case ValueKind::Double: {
      // As the tagged JSON encoding writes them.
      if (std::isnan(value.asDouble())) return "NaN";
      if (std::isinf(value.asDouble())) return value.asDouble() > 0 ? "Infinity" : "-Infinity";
      char buffer[64];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value.asDouble());
      return ec == std::errc() ? std::string(buffer, end) : "?";
    }
    case ValueKind::Decimal: return formatDecimal(value.asDecimal());
    case ValueKind::String: return std::string(value.asString());
    case ValueKind::Date: return formatDate(value.asInt());
    case ValueKind::Timestamp: return formatTimestamp(value.asInt());
    case ValueKind::Duration: return formatDuration(value.asInt());
    case ValueKind::Enum: {
      const EnumInfo* info = value.enumInfo();
      auto ordinal = static_cast<size_t>(value.asInt());
      return info != nullptr && ordinal < info->values.size() ? info->values[ordinal]
                                                              : std::to_string(value.asInt());
    }
    case ValueKind::Row:
      if (value.isUnresolvedRow()) return value.asUnresolved().key;
      return value.table()->keyText(value.rowIndex());
    case ValueKind::List: {
      std::string text = "[";
      for (size_t i = 0; i < value.listSize(); ++i) {
        if (i > 0) text += ", ";
        text += displayText(value.listAt(i));
      }
      return text + "]";
    }
    case ValueKind::Map: {
      std::string text = "{";
      bool first = true;
      for (const auto& [key, item] : value.asMap().entries) {
        if (!first) text += ", ";
        first = false;
        text += displayText(key) + ": " + displayText(item);
      }
      return text + "}";
    }
    case ValueKind::Record: {
      const auto& record = value.asRecord();
      std::string text = "{";
      for (size_t i = 0; i < record.fields.size(); ++i) {
        if (i > 0) text += ", ";
        text += record.info->fields[i] + ": " + displayText(record.fields[i]);
      }
      return text + "}";
    }
    case ValueKind::Error: return "error: " + value.asError().message;
  }
  return "?";
}

}  // namespace crm::runtime
