#include "runtime/operators.h"

#include <cmath>
#include <string>

#include "runtime/time.h"

namespace crm::runtime {
namespace {

Value checkedTimestamp(int64_t micros, bool overflow) {
  if (overflow || micros < kMinTimestamp || micros > kMaxTimestamp) {
    return Value::error(ErrorKind::Range, "timestamp out of range (years 0001 to 9999)");
  }
  return Value::timestamp(micros);
}

Value checkedDate(int64_t days, bool overflow) {
  if (overflow || days < kMinTimestamp / kMicrosPerDay || days > kMaxTimestamp / kMicrosPerDay) {
    return Value::error(ErrorKind::Range, "date out of range (years 0001 to 9999)");
  }
  return Value::date(days);
}

// The whole days of a duration added to or taken from a date.
bool wholeDays(int64_t micros, int64_t& days, Value& error) {
  if (micros % kMicrosPerDay != 0) {
    error = Value::error(ErrorKind::InvalidArgument,
                         "a date moves by whole days, not by " + formatDuration(micros));
    return false;
  }
  days = micros / kMicrosPerDay;
  return true;
}

Value decimalResult(std::optional<Decimal> result, const char* operation) {
  if (!result) {
    return Value::error(ErrorKind::Overflow, std::string("decimal overflow in `") + operation +
                                                 "`: the result needs more than 18 significant "
                                                 "digits");
  }
  return Value::decimal(*result);
}

Decimal toDecimal(const Value& v) {
  return v.is(ValueKind::Int) ? decimalFromInt(v.asInt()) : v.asDecimal();
}

bool isDecimalPair(const Value& a, const Value& b) {
  return (a.is(ValueKind::Decimal) || b.is(ValueKind::Decimal)) &&
         (a.is(ValueKind::Decimal) || a.is(ValueKind::Int)) &&
         (b.is(ValueKind::Decimal) || b.is(ValueKind::Int));
}

Value noOverload(const char* operation, const Value& a, const Value& b) {
  return Value::error(ErrorKind::NoMatchingOverload,
                      std::string("no `") + operation + "` for " + valueKindName(a.kind()) +
                          " and " + valueKindName(b.kind()));
}

std::string concatenated(std::string_view a, std::string_view b) {
  std::string text;
  text.reserve(a.size() + b.size());
  text.append(a);
  text.append(b);
  return text;
}

}  // namespace

bool addOverflows(int64_t a, int64_t b, int64_t& result) {
  return __builtin_add_overflow(a, b, &result);
}

bool multiplyOverflows(int64_t a, int64_t b, int64_t& result) {
  return __builtin_mul_overflow(a, b, &result);
}

Value overflowError(const char* operation) {
  return Value::error(ErrorKind::Overflow, std::string("integer overflow in `") + operation + "`");
}

Value divideByZeroError() { return Value::error(ErrorKind::DivideByZero, "division by zero"); }

Value add(const Value& a, const Value& b) {
  if (a.isError()) return a;
  if (b.isError()) return b;
  int64_t r = 0;
  switch (a.kind()) {
    case ValueKind::Int:
      if (b.is(ValueKind::Int)) {
        return addOverflows(a.asInt(), b.asInt(), r) ? overflowError("+") : Value::integer(r);
      }
      break;
    case ValueKind::Double:
      if (b.is(ValueKind::Double)) return Value::floating(a.asDouble() + b.asDouble());
      break;
    case ValueKind::String:
      if (!b.is(ValueKind::String)) break;
      if (a.asString().size() + b.asString().size() > kMaxConcatenatedBytes) {
        return Value::error(ErrorKind::Range,
                            "`+` would build a string of " +
                                std::to_string(a.asString().size() + b.asString().size()) +
                                " bytes, more than the " + std::to_string(kMaxConcatenatedBytes) +
                                " that one string may hold");
      }
      return Value::string(concatenated(a.asString(), b.asString()));
    case ValueKind::List:
      if (b.is(ValueKind::List)) {
        if (a.listSize() + b.listSize() > kMaxConcatenatedElements) {
          return Value::error(ErrorKind::Range,
                              "`+` would build a list of " +
                                  std::to_string(a.listSize() + b.listSize()) +
                                  " elements, more than the " +
                                  std::to_string(kMaxConcatenatedElements) +
                                  " that one list may hold");
        }
        std::vector<Value> items;
        items.reserve(a.listSize() + b.listSize());
        for (size_t i = 0; i < a.listSize(); ++i) items.push_back(a.listAt(i));
        for (size_t i = 0; i < b.listSize(); ++i) items.push_back(b.listAt(i));
        return Value::list(std::move(items));
      }
      break;
    case ValueKind::Timestamp:
      if (b.is(ValueKind::Duration)) {
        bool overflow = addOverflows(a.asInt(), b.asInt(), r);
        return checkedTimestamp(r, overflow);
      }
      break;
    case ValueKind::Duration:
      if (b.is(ValueKind::Duration)) {
        return addOverflows(a.asInt(), b.asInt(), r) ? overflowError("+") : Value::duration(r);
      }
      if (b.is(ValueKind::Timestamp)) return add(b, a);
      if (b.is(ValueKind::Date)) return add(b, a);
      break;
    case ValueKind::Date:
      if (b.is(ValueKind::Duration)) {
        int64_t days = 0;
        Value error;
        if (!wholeDays(b.asInt(), days, error)) return error;
        bool overflow = addOverflows(a.asInt(), days, r);
        return checkedDate(r, overflow);
      }
      break;
    default:
      break;
  }
  if (isDecimalPair(a, b)) return decimalResult(addDecimal(toDecimal(a), toDecimal(b)), "+");
  return noOverload("+", a, b);
}

Value subtract(const Value& a, const Value& b) {
  if (a.isError()) return a;
  if (b.isError()) return b;
  int64_t r = 0;
  switch (a.kind()) {
    case ValueKind::Int:
      if (b.is(ValueKind::Int)) {
        return __builtin_sub_overflow(a.asInt(), b.asInt(), &r) ? overflowError("-")
                                                                : Value::integer(r);
      }
      break;
    case ValueKind::Double:
      if (b.is(ValueKind::Double)) return Value::floating(a.asDouble() - b.asDouble());
      break;
    case ValueKind::Timestamp:
      if (b.is(ValueKind::Duration)) {
        bool overflow = __builtin_sub_overflow(a.asInt(), b.asInt(), &r);
        return checkedTimestamp(r, overflow);
      }
      if (b.is(ValueKind::Timestamp)) {
        return __builtin_sub_overflow(a.asInt(), b.asInt(), &r) ? overflowError("-")
                                                                : Value::duration(r);
      }
      break;
    case ValueKind::Duration:
      if (b.is(ValueKind::Duration)) {
        return __builtin_sub_overflow(a.asInt(), b.asInt(), &r) ? overflowError("-")
                                                                : Value::duration(r);
      }
      break;
    case ValueKind::Date:
      if (b.is(ValueKind::Duration)) {
        int64_t days = 0;
        Value error;
        if (!wholeDays(b.asInt(), days, error)) return error;
        bool overflow = __builtin_sub_overflow(a.asInt(), days, &r);
        return checkedDate(r, overflow);
      }
      if (b.is(ValueKind::Date)) return Value::duration((a.asInt() - b.asInt()) * kMicrosPerDay);
      break;
    default:
      break;
  }
  if (isDecimalPair(a, b)) return decimalResult(subtractDecimal(toDecimal(a), toDecimal(b)), "-");
  return noOverload("-", a, b);
}

Value multiply(const Value& a, const Value& b) {
  if (a.isError()) return a;
  if (b.isError()) return b;
  if (a.is(ValueKind::Int) && b.is(ValueKind::Int)) {
    int64_t r = 0;
    return multiplyOverflows(a.asInt(), b.asInt(), r) ? overflowError("*") : Value::integer(r);
  }
  if (a.is(ValueKind::Double) && b.is(ValueKind::Double)) {
    return Value::floating(a.asDouble() * b.asDouble());
  }
  if (isDecimalPair(a, b)) return decimalResult(multiplyDecimal(toDecimal(a), toDecimal(b)), "*");
  return noOverload("*", a, b);
}

Value divide(const Value& a, const Value& b) {
  if (a.isError()) return a;
  if (b.isError()) return b;
  if (a.is(ValueKind::Int) && b.is(ValueKind::Int)) {
    if (b.asInt() == 0) return divideByZeroError();
    if (a.asInt() == INT64_MIN && b.asInt() == -1) return overflowError("/");
    return Value::integer(a.asInt() / b.asInt());
  }
  if (a.is(ValueKind::Double) && b.is(ValueKind::Double)) {
    return Value::floating(a.asDouble() / b.asDouble());
  }
  if (isDecimalPair(a, b)) {
    Decimal divisor = toDecimal(b);
    if (divisor.coefficient == 0) return divideByZeroError();
    return decimalResult(divideDecimal(toDecimal(a), divisor), "/");
  }
  return noOverload("/", a, b);
}

Value modulo(const Value& a, const Value& b) {
  if (a.isError()) return a;
  if (b.isError()) return b;
  if (a.is(ValueKind::Int) && b.is(ValueKind::Int)) {
    if (b.asInt() == 0) return Value::error(ErrorKind::DivideByZero, "modulo by zero");
    if (a.asInt() == INT64_MIN && b.asInt() == -1) return overflowError("%");
    return Value::integer(a.asInt() % b.asInt());
  }
  if (isDecimalPair(a, b)) {
    Decimal divisor = toDecimal(b);
    if (divisor.coefficient == 0) return Value::error(ErrorKind::DivideByZero, "modulo by zero");
    return decimalResult(moduloDecimal(toDecimal(a), divisor), "%");
  }
  return noOverload("%", a, b);
}

Value negate(const Value& a) {
  switch (a.kind()) {
    case ValueKind::Error: return a;
    case ValueKind::Int:
      if (a.asInt() == INT64_MIN) return overflowError("-");
      return Value::integer(-a.asInt());
    case ValueKind::Double: return Value::floating(-a.asDouble());
    case ValueKind::Decimal: return decimalResult(negateDecimal(a.asDecimal()), "-");
    case ValueKind::Duration:
      if (a.asInt() == INT64_MIN) return overflowError("-");
      return Value::duration(-a.asInt());
    default:
      return Value::error(ErrorKind::NoMatchingOverload,
                          std::string("no unary `-` for ") + valueKindName(a.kind()));
  }
}

Value ordered(Ordering ordering, const Value& a, const Value& b) {
  if (a.isError()) return a;
  if (b.isError()) return b;
  bool unordered = false;
  int c = compare(a, b, unordered);
  if (unordered) {
    bool numbers = (a.is(ValueKind::Double) || b.is(ValueKind::Double));
    if (numbers) return Value::boolean(false);
    return Value::error(ErrorKind::NoMatchingOverload,
                        std::string("cannot order ") + valueKindName(a.kind()) + " and " +
                            valueKindName(b.kind()));
  }
  switch (ordering) {
    case Ordering::Less: return Value::boolean(c < 0);
    case Ordering::LessEqual: return Value::boolean(c <= 0);
    case Ordering::Greater: return Value::boolean(c > 0);
    case Ordering::GreaterEqual: return Value::boolean(c >= 0);
  }
  return Value::boolean(false);
}

Value combineLogical(bool isAnd, const Value& left, const Value& right) {
  if (left.is(ValueKind::Bool) && left.asBool() != isAnd) return left;
  if (right.is(ValueKind::Bool) && right.asBool() != isAnd) return right;
  if (left.isError()) return left;
  if (right.isError()) return right;
  for (const Value* side : {&left, &right}) {
    if (!side->is(ValueKind::Bool)) {
      return Value::error(ErrorKind::NoMatchingOverload,
                          std::string(isAnd ? "`&&`" : "`||`") + " does not apply to " +
                              valueKindName(side->kind()));
    }
  }
  return Value::boolean(isAnd);
}

Value contains(const Value& collection, const Value& element) {
  if (collection.isError()) return collection;
  if (element.isError()) return element;
  if (collection.is(ValueKind::Map)) {
    for (const auto& entry : collection.asMap().entries) {
      Value same = equals(entry.first, element);
      if (!same.isError() && same.asBool()) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  if (collection.is(ValueKind::List)) {
    // A row of the sliced table lies in the slice exactly when its index does.
    if (collection.isSlice() && element.is(ValueKind::Row)) {
      Value first = collection.listSize() > 0 ? collection.listAt(0) : Value();
      bool sameTable = first.is(ValueKind::Row) && first.table() == element.table();
      return Value::boolean(sameTable && element.rowIndex() >= first.rowIndex() &&
                            element.rowIndex() < first.rowIndex() + collection.listSize());
    }
    for (size_t i = 0; i < collection.listSize(); ++i) {
      Value same = equals(collection.listAt(i), element);
      if (!same.isError() && same.asBool()) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  return Value::error(ErrorKind::NoMatchingOverload,
                      std::string("`in` needs a list or a map, not ") +
                          valueKindName(collection.kind()));
}

Value within(const Value& time, const Value& window, int64_t now) {
  if (time.isError()) return time;
  if (window.isError()) return window;
  if (window.asInt() < 0) {
    return Value::error(ErrorKind::InvalidArgument,
                        "a `within` window cannot be negative: " + formatDuration(window.asInt()));
  }
  int64_t start = 0;
  if (__builtin_sub_overflow(now, window.asInt(), &start)) start = INT64_MIN;
  if (time.is(ValueKind::Timestamp)) {
    return Value::boolean(start <= time.asInt() && time.asInt() <= now);
  }
  auto floorDays = [](int64_t micros) {
    return micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
  };
  int64_t day = time.asInt();
  return Value::boolean(floorDays(start) <= day && day <= floorDays(now));
}

}  // namespace crm::runtime
