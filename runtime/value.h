// The values that evaluation computes. A Value is a small tagged struct:
// scalars inline, strings as views into a column's pool or into text the
// value owns, lists either as a slice of a child table (no copy) or as owned
// elements, and errors as values, so that `&&` and `||` can absorb them as
// CEL requires.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/decimal.h"

namespace crm::runtime {

struct Table;

enum class ValueKind : uint8_t {
  Null,
  Bool,
  Int,
  Double,
  Decimal,
  String,
  Date,       // days since 1970-01-01
  Timestamp,  // microseconds since 1970-01-01T00:00:00Z
  Duration,   // microseconds
  Enum,
  Row,        // one row of an entity's table
  List,
  Map,
  Record,
  Error,
};

const char* valueKindName(ValueKind kind);

// The categories of run-time errors. Messages carry the details; tests and
// the conformance runner compare categories.
enum class ErrorKind : uint8_t {
  Overflow,
  DivideByZero,
  Conversion,
  TimeZone,
  Range,
  NoSuchKey,
  IndexOutOfRange,
  UnresolvedReference,
  InvalidArgument,
  NoMatchingOverload,
};

const char* errorKindName(ErrorKind kind);

// The names behind enum and record values, owned by the program that
// creates the values.
struct EnumInfo {
  std::string name;
  std::vector<std::string> values;
};

struct RecordInfo {
  std::string name;
  std::vector<std::string> fields;
};

class Value;

struct ListData {
  std::vector<Value> items;
};

struct MapData {
  std::vector<std::pair<Value, Value>> entries;  // in insertion order, keys unique
};

struct RecordData {
  const RecordInfo* info = nullptr;
  std::vector<Value> fields;  // in the record's declaration order
};

struct ErrorData {
  ErrorKind kind;
  std::string message;
};

// A reference whose key matched no row: it compares by its key, and
// selecting a field through it is an error with `message`.
struct UnresolvedData {
  std::string key;
  std::string message;
};

class Value {
 public:
  Value() = default;

  static Value null() { return Value(); }
  static Value boolean(bool b) { return scalar(ValueKind::Bool, b ? 1 : 0); }
  static Value integer(int64_t i) { return scalar(ValueKind::Int, i); }
  static Value floating(double d);
  static Value decimal(Decimal d);
  static Value date(int64_t days) { return scalar(ValueKind::Date, days); }
  static Value timestamp(int64_t micros) { return scalar(ValueKind::Timestamp, micros); }
  static Value duration(int64_t micros) { return scalar(ValueKind::Duration, micros); }
  static Value enumValue(const EnumInfo* info, int64_t ordinal);
  // A string the value does not own: the text must outlive the value (a
  // column's pool, a program constant).
  static Value stringView(std::string_view text);
  static Value string(std::string text);
  static Value row(const Table* table, uint32_t row);
  // A row of `table` that the key names but that does not exist.
  static Value unresolvedRow(const Table* table, std::string key, std::string message);
  // Rows [begin, end) of `table`: a customer's orders without a copy.
  static Value slice(const Table* table, uint32_t begin, uint32_t end);
  static Value list(std::vector<Value> items);
  static Value map(std::vector<std::pair<Value, Value>> entries);
  static Value record(const RecordInfo* info, std::vector<Value> fields);
  static Value error(ErrorKind kind, std::string message);

  // Makes this value, in place, the scalar of `kind` (Bool, Int, Double,
  // Date, Timestamp, Duration or Enum) whose 64 bits are `bits`: 0 or 1 for
  // a bool, the bit pattern of a double. `info` is an enum's EnumInfo.
  // Native code writes its results this way, without a temporary Value.
  void setScalar(ValueKind kind, int64_t bits, const void* info = nullptr) {
    heap_.reset();
    kind_ = kind;
    scalar_.i = bits;
    info_ = info;
  }

  ValueKind kind() const { return kind_; }
  bool is(ValueKind kind) const { return kind_ == kind; }
  bool isNull() const { return kind_ == ValueKind::Null; }
  bool isError() const { return kind_ == ValueKind::Error; }

  bool asBool() const { return scalar_.i != 0; }
  int64_t asInt() const { return scalar_.i; }  // Int, Date, Timestamp, Duration, Enum ordinal
  double asDouble() const { return scalar_.d; }
  Decimal asDecimal() const { return scalar_.dec; }
  std::string_view asString() const {
    return std::string_view(static_cast<const char*>(info_), static_cast<size_t>(scalar_.i));
  }
  const EnumInfo* enumInfo() const { return static_cast<const EnumInfo*>(info_); }
  const Table* table() const { return static_cast<const Table*>(info_); }
  uint32_t rowIndex() const { return scalar_.range.begin; }
  bool isUnresolvedRow() const { return kind_ == ValueKind::Row && heap_ != nullptr; }
  const UnresolvedData& asUnresolved() const {
    return *static_cast<const UnresolvedData*>(heap_.get());
  }
  const ErrorData& asError() const { return *static_cast<const ErrorData*>(heap_.get()); }
  const MapData& asMap() const { return *static_cast<const MapData*>(heap_.get()); }
  const RecordData& asRecord() const { return *static_cast<const RecordData*>(heap_.get()); }

  // Lists: a slice or owned items.
  bool isSlice() const { return kind_ == ValueKind::List && info_ != nullptr; }
  size_t listSize() const;
  Value listAt(size_t i) const;
  // The owned items; empty for a slice.
  const std::vector<Value>& listItems() const;

 private:
  static Value scalar(ValueKind kind, int64_t i) {
    Value v;
    v.kind_ = kind;
    v.scalar_.i = i;
    return v;
  }

  ValueKind kind_ = ValueKind::Null;
  union Scalar {
    int64_t i;
    double d;
    Decimal dec;
    struct {
      uint32_t begin;
      uint32_t end;
    } range;  // Row: begin is the row; List slice: [begin, end)
  } scalar_{.i = 0};
  // EnumInfo, the Table of a row or a slice, or the characters of a string
  // (whose length is scalar_.i).
  const void* info_ = nullptr;
  std::shared_ptr<const void> heap_;  // owned string, list, map, record or error
};

// CEL equality: values of different kinds are unequal (never an error),
// numbers compare by value across int, double and decimal, NaN is unequal to
// itself, lists element by element, maps without regard to order. An error
// operand gives that error.
Value equals(const Value& a, const Value& b);

// Ordering of two values of one comparable kind (numbers across kinds):
// negative, zero or positive. `unordered` is set for NaN.
int compare(const Value& a, const Value& b, bool& unordered);

// The text a value shows in messages and in `crm run` output: strings
// unquoted, rows as their key.
std::string displayText(const Value& value);

}  // namespace crm::runtime
