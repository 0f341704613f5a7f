#include "stdlib/builtins.h"

#include <re2/re2.h>
#include <utf8proc.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "runtime/decimal.h"
#include "runtime/operators.h"
#include "runtime/time.h"
#include "runtime/time_zone.h"
#include "stdlib/recommendations.h"

namespace crm::stdlib {
namespace {

using runtime::Decimal;
using runtime::ErrorKind;
using runtime::kMicrosPerDay;
using runtime::kMicrosPerSecond;
using runtime::Value;
using runtime::ValueKind;

// GCC's 128-bit integer. `__extension__` keeps -Wpedantic quiet about it.
__extension__ typedef __int128 Int128;

constexpr std::string_view kIds[] = {
#define CRM_BUILTIN_ID(name, id) id,
    CRM_BUILTINS(CRM_BUILTIN_ID)
#undef CRM_BUILTIN_ID
};
static_assert(std::size(kIds) == static_cast<size_t>(Builtin::Count));

// ---------------------------------------------------------------------------
// Argument shapes

// The arity and argument kinds of an overload. They are checked before the
// overload runs, so a null or a value of another kind becomes an error
// instead of being read as the wrong member of the Value.
struct Shape {
  Builtin builtin;
  const char* function;  // the name in the language, for messages
  uint8_t arity;
  std::array<ValueKind, 2> parameters;
};

constexpr ValueKind kBool = ValueKind::Bool;
constexpr ValueKind kInt = ValueKind::Int;
constexpr ValueKind kDouble = ValueKind::Double;
constexpr ValueKind kDecimal = ValueKind::Decimal;
constexpr ValueKind kString = ValueKind::String;
constexpr ValueKind kDate = ValueKind::Date;
constexpr ValueKind kTimestamp = ValueKind::Timestamp;
constexpr ValueKind kDuration = ValueKind::Duration;
constexpr ValueKind kList = ValueKind::List;  // sets are lists at run time
constexpr ValueKind kMap = ValueKind::Map;
constexpr ValueKind kNone = ValueKind::Null;  // no second parameter

constexpr Shape kShapes[] = {
    {Builtin::SizeString, "size", 1, {kString, kNone}},
    {Builtin::SizeList, "size", 1, {kList, kNone}},
    {Builtin::SizeSet, "size", 1, {kList, kNone}},
    {Builtin::SizeMap, "size", 1, {kMap, kNone}},
    {Builtin::StringSize, "size", 1, {kString, kNone}},
    {Builtin::ListSize, "size", 1, {kList, kNone}},
    {Builtin::SetSize, "size", 1, {kList, kNone}},
    {Builtin::MapSize, "size", 1, {kMap, kNone}},
    {Builtin::IntInt, "int", 1, {kInt, kNone}},
    {Builtin::IntDouble, "int", 1, {kDouble, kNone}},
    {Builtin::IntDecimal, "int", 1, {kDecimal, kNone}},
    {Builtin::IntString, "int", 1, {kString, kNone}},
    {Builtin::IntTimestamp, "int", 1, {kTimestamp, kNone}},
    {Builtin::DoubleDouble, "double", 1, {kDouble, kNone}},
    {Builtin::DoubleInt, "double", 1, {kInt, kNone}},
    {Builtin::DoubleDecimal, "double", 1, {kDecimal, kNone}},
    {Builtin::DoubleString, "double", 1, {kString, kNone}},
    {Builtin::DecimalDecimal, "decimal", 1, {kDecimal, kNone}},
    {Builtin::DecimalInt, "decimal", 1, {kInt, kNone}},
    {Builtin::DecimalDouble, "decimal", 1, {kDouble, kNone}},
    {Builtin::DecimalString, "decimal", 1, {kString, kNone}},
    {Builtin::StringString, "string", 1, {kString, kNone}},
    {Builtin::StringInt, "string", 1, {kInt, kNone}},
    {Builtin::StringDouble, "string", 1, {kDouble, kNone}},
    {Builtin::StringDecimal, "string", 1, {kDecimal, kNone}},
    {Builtin::StringBool, "string", 1, {kBool, kNone}},
    {Builtin::StringDate, "string", 1, {kDate, kNone}},
    {Builtin::StringTimestamp, "string", 1, {kTimestamp, kNone}},
    {Builtin::StringDuration, "string", 1, {kDuration, kNone}},
    {Builtin::BoolString, "bool", 1, {kString, kNone}},
    {Builtin::TimestampString, "timestamp", 1, {kString, kNone}},
    {Builtin::DurationString, "duration", 1, {kString, kNone}},
    {Builtin::DateString, "date", 1, {kString, kNone}},
    {Builtin::DateTimestampZone, "date", 2, {kTimestamp, kString}},
    {Builtin::DaysSinceTimestamp, "days_since", 1, {kTimestamp, kNone}},
    {Builtin::DaysSinceDate, "days_since", 1, {kDate, kNone}},
    {Builtin::DaysUntilTimestamp, "days_until", 1, {kTimestamp, kNone}},
    {Builtin::DaysUntilDate, "days_until", 1, {kDate, kNone}},
    {Builtin::TimestampFullYear, "getFullYear", 1, {kTimestamp, kNone}},
    {Builtin::TimestampFullYearZone, "getFullYear", 2, {kTimestamp, kString}},
    {Builtin::TimestampMonth, "getMonth", 1, {kTimestamp, kNone}},
    {Builtin::TimestampMonthZone, "getMonth", 2, {kTimestamp, kString}},
    {Builtin::TimestampDayOfMonth, "getDayOfMonth", 1, {kTimestamp, kNone}},
    {Builtin::TimestampDayOfMonthZone, "getDayOfMonth", 2, {kTimestamp, kString}},
    {Builtin::TimestampDate, "getDate", 1, {kTimestamp, kNone}},
    {Builtin::TimestampDateZone, "getDate", 2, {kTimestamp, kString}},
    {Builtin::TimestampDayOfWeek, "getDayOfWeek", 1, {kTimestamp, kNone}},
    {Builtin::TimestampDayOfWeekZone, "getDayOfWeek", 2, {kTimestamp, kString}},
    {Builtin::TimestampDayOfYear, "getDayOfYear", 1, {kTimestamp, kNone}},
    {Builtin::TimestampDayOfYearZone, "getDayOfYear", 2, {kTimestamp, kString}},
    {Builtin::TimestampHours, "getHours", 1, {kTimestamp, kNone}},
    {Builtin::TimestampHoursZone, "getHours", 2, {kTimestamp, kString}},
    {Builtin::TimestampMinutes, "getMinutes", 1, {kTimestamp, kNone}},
    {Builtin::TimestampMinutesZone, "getMinutes", 2, {kTimestamp, kString}},
    {Builtin::TimestampSeconds, "getSeconds", 1, {kTimestamp, kNone}},
    {Builtin::TimestampToDate, "date", 1, {kTimestamp, kNone}},
    {Builtin::TimestampToDateZone, "date", 2, {kTimestamp, kString}},
    {Builtin::DateYear, "year", 1, {kDate, kNone}},
    {Builtin::DateMonth, "month", 1, {kDate, kNone}},
    {Builtin::DateDay, "day", 1, {kDate, kNone}},
    {Builtin::DateDayOfWeek, "day_of_week", 1, {kDate, kNone}},
    {Builtin::DurationHours, "getHours", 1, {kDuration, kNone}},
    {Builtin::DurationMinutes, "getMinutes", 1, {kDuration, kNone}},
    {Builtin::DurationSeconds, "getSeconds", 1, {kDuration, kNone}},
    {Builtin::DurationMilliseconds, "getMilliseconds", 1, {kDuration, kNone}},
    {Builtin::AbsInt, "abs", 1, {kInt, kNone}},
    {Builtin::AbsDouble, "abs", 1, {kDouble, kNone}},
    {Builtin::AbsDecimal, "abs", 1, {kDecimal, kNone}},
    {Builtin::StringContains, "contains", 2, {kString, kString}},
    {Builtin::StringStartsWith, "startsWith", 2, {kString, kString}},
    {Builtin::StringEndsWith, "endsWith", 2, {kString, kString}},
    {Builtin::StringMatches, "matches", 2, {kString, kString}},
    {Builtin::MatchesString, "matches", 2, {kString, kString}},
    {Builtin::StringLower, "lower", 1, {kString, kNone}},
    {Builtin::StringUpper, "upper", 1, {kString, kNone}},
    {Builtin::StringTrim, "trim", 1, {kString, kNone}},
    {Builtin::StringEqualsIgnoreCase, "equals_ignore_case", 2, {kString, kString}},
    {Builtin::ListDistinct, "distinct", 1, {kList, kNone}},
    {Builtin::ListExclude, "exclude", 2, {kList, kList}},
    {Builtin::ListCount, "count", 1, {kList, kNone}},
    {Builtin::ListSumInt, "sum", 1, {kList, kNone}},
    {Builtin::ListSumDouble, "sum", 1, {kList, kNone}},
    {Builtin::ListSumDecimal, "sum", 1, {kList, kNone}},
    {Builtin::ListSumDuration, "sum", 1, {kList, kNone}},
    {Builtin::ListAvgInt, "avg", 1, {kList, kNone}},
    {Builtin::ListAvgDouble, "avg", 1, {kList, kNone}},
    {Builtin::ListAvgDecimal, "avg", 1, {kList, kNone}},
    {Builtin::ListMin, "min", 1, {kList, kNone}},
    {Builtin::ListMax, "max", 1, {kList, kNone}},
    {Builtin::ListFirst, "first", 1, {kList, kNone}},
    {Builtin::ListLast, "last", 1, {kList, kNone}},
    // The recommendation functions check their own arguments
    // (stdlib/recommendations.cpp), because some take three or four.
    {Builtin::Favourite, "favourite", 2, {kNone, kNone}},
    {Builtin::FavouriteWeightsInt, "favourite", 3, {kNone, kNone}},
    {Builtin::FavouriteWeightsDouble, "favourite", 3, {kNone, kNone}},
    {Builtin::Purchased, "purchased", 1, {kNone, kNone}},
    {Builtin::Viewed, "viewed", 1, {kNone, kNone}},
    {Builtin::Carted, "carted", 1, {kNone, kNone}},
    {Builtin::Popular, "popular", 1, {kNone, kNone}},
    {Builtin::PopularWithin, "popular", 3, {kNone, kNone}},
    {Builtin::PopularWithinOptional, "popular", 3, {kNone, kNone}},
    {Builtin::BoughtTogetherList, "bought_together", 2, {kNone, kNone}},
    {Builtin::BoughtTogetherProduct, "bought_together", 2, {kNone, kNone}},
    {Builtin::Similar, "similar", 2, {kNone, kNone}},
    {Builtin::ListDiverse, "diverse", 4, {kNone, kNone}},
    {Builtin::Fallback, "fallback", 2, {kNone, kNone}},
    {Builtin::ListFallback, "fallback", 2, {kNone, kNone}},
    {Builtin::ListTake, "take", 2, {kNone, kNone}},
};

constexpr bool shapesFollowEnumOrder() {
  if (std::size(kShapes) != static_cast<size_t>(Builtin::Count)) return false;
  for (size_t i = 0; i < std::size(kShapes); ++i) {
    if (kShapes[i].builtin != static_cast<Builtin>(i)) return false;
  }
  return true;
}
static_assert(shapesFollowEnumOrder(), "kShapes must list every Builtin in enum order");

// Dates span years 0001 to 9999, as timestamps do (runtime/time.h).
using runtime::kMaxTimestamp;
using runtime::kMinTimestamp;
constexpr int64_t kMinDate = -719'162;  // 0001-01-01
constexpr int64_t kMaxDate = 2'932'896;  // 9999-12-31

// A Range error for a date or timestamp outside years 0001 to 9999, which
// the calendar arithmetic of runtime/time.h does not handle; null otherwise.
Value checkTimeRange(const Value& value) {
  if (value.is(ValueKind::Timestamp) &&
      (value.asInt() < kMinTimestamp || value.asInt() > kMaxTimestamp)) {
    return Value::error(ErrorKind::Range, "timestamp out of range (years 0001 to 9999): " +
                                              std::to_string(value.asInt()) +
                                              " microseconds since 1970");
  }
  if (value.is(ValueKind::Date) && (value.asInt() < kMinDate || value.asInt() > kMaxDate)) {
    return Value::error(ErrorKind::Range, "date out of range (years 0001 to 9999): " +
                                              std::to_string(value.asInt()) +
                                              " days since 1970-01-01");
  }
  return Value::null();
}

// Returns the first error argument, or an InvalidArgument error when the
// count or a kind does not match the shape, or a Range error for a date or
// timestamp out of range, or null when the arguments fit.
Value checkArguments(const Shape& shape, const Value* arguments, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (arguments[i].isError()) return arguments[i];
  }
  if (count != shape.arity) {
    return Value::error(ErrorKind::InvalidArgument,
                        std::string("`") + shape.function + "` expects " +
                            std::to_string(shape.arity) +
                            (shape.arity == 1 ? " argument, got " : " arguments, got ") +
                            std::to_string(count));
  }
  for (size_t i = 0; i < count; ++i) {
    if (!arguments[i].is(shape.parameters[i])) {
      return Value::error(ErrorKind::InvalidArgument,
                          std::string("argument ") + std::to_string(i + 1) + " of `" +
                              shape.function + "` must be of type " +
                              runtime::valueKindName(shape.parameters[i]) + ", not " +
                              runtime::valueKindName(arguments[i].kind()));
    }
    Value outOfRange = checkTimeRange(arguments[i]);
    if (outOfRange.isError()) return outOfRange;
  }
  return Value::null();
}

// ---------------------------------------------------------------------------
// Conversions

std::string quoted(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result += '\'';
  result += text;
  result += '\'';
  return result;
}

Value conversionError(std::string_view text, const char* type) {
  return Value::error(ErrorKind::Conversion,
                      "cannot convert " + quoted(text) + " to " + type);
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// The shortest text that reads back as `d`, from std::to_chars: "0.1",
// "1e+21", "inf". A NaN is "nan" whatever its sign bit, which to_chars
// would show as "-nan".
std::string doubleText(double d) {
  if (std::isnan(d)) return "nan";
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  return std::string(buffer, end);
}

Value intFromDouble(double d) {
  if (std::isnan(d)) return Value::error(ErrorKind::Conversion, "cannot convert nan to int");
  double truncated = std::trunc(d);
  // 2^63 is exact as a double, and every double in [-2^63, 2^63) truncates to an int64.
  if (!(truncated >= -0x1p63 && truncated < 0x1p63)) {
    return Value::error(ErrorKind::Overflow,
                        "cannot convert " + doubleText(d) + " to int: out of the int range");
  }
  return Value::integer(static_cast<int64_t>(truncated));
}

Value intFromDecimal(Decimal d) {
  if (d.scale >= 0) return Value::integer(runtime::decimalTruncate(d));
  // A negative scale multiplies the coefficient by a power of ten, which
  // formatDecimal does not show, so the message writes it as an exponent.
  int64_t value = d.coefficient;
  for (int32_t s = d.scale; s < 0; ++s) {
    if (runtime::multiplyOverflows(value, 10, value)) {
      return Value::error(ErrorKind::Overflow,
                          "cannot convert " + std::to_string(d.coefficient) + "e" +
                              std::to_string(-d.scale) + " to int: out of the int range");
    }
  }
  return Value::integer(value);
}

// Base-10 digits with an optional sign, as CEL's int(string).
Value intFromString(std::string_view text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return conversionError(text, "int");
  for (char c : digits) {
    if (!isDigit(c)) return conversionError(text, "int");
  }
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  uint64_t limit = negative ? uint64_t{1} << 63 : INT64_MAX;
  if (ec == std::errc::result_out_of_range || magnitude > limit) {
    return Value::error(ErrorKind::Overflow,
                        "cannot convert " + quoted(text) + " to int: out of the int range");
  }
  return Value::integer(negative ? static_cast<int64_t>(0 - magnitude)
                                 : static_cast<int64_t>(magnitude));
}

bool equalsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// Decimal text with an optional sign and exponent ("1.5", "-2e3", ".5"), or
// "nan", "inf" or "infinity" in any case with an optional sign. cel-go reads
// double(string) with Go's strconv.ParseFloat, which takes the same forms
// and also hexadecimal floats, which are rejected here.
Value doubleFromString(std::string_view text) {
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  double value = 0;
  if (equalsIgnoringAsciiCase(body, "nan")) {
    value = std::nan("");
  } else if (equalsIgnoringAsciiCase(body, "inf") || equalsIgnoringAsciiCase(body, "infinity")) {
    value = INFINITY;
  } else {
    // Only digits or a point may start a number, because std::from_chars also takes "nan(...)".
    if (body.empty() || !(isDigit(body[0]) || body[0] == '.')) {
      return conversionError(text, "double");
    }
    const char* last = body.data() + body.size();
    auto [end, ec] = std::from_chars(body.data(), last, value, std::chars_format::general);
    if (end != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      return conversionError(text, "double");
    }
    if (ec == std::errc::result_out_of_range) {
      // from_chars reports overflow and underflow alike, so strtod distinguishes them.
      value = std::strtod(std::string(body).c_str(), nullptr);
      if (std::isinf(value)) {
        return Value::error(ErrorKind::Overflow, "cannot convert " + quoted(text) +
                                                     " to double: out of the double range");
      }
    }
  }
  return Value::floating(negative ? -value : value);
}

// A decimal has at most 18 significant digits, which runtime/decimal.cpp
// enforces in arithmetic, so a larger int has no exact decimal.
constexpr int64_t kMaxDecimalCoefficient = 999'999'999'999'999'999;

Value decimalFromInt(int64_t i) {
  if (i < -kMaxDecimalCoefficient || i > kMaxDecimalCoefficient) {
    return Value::error(ErrorKind::Overflow, "cannot convert " + std::to_string(i) +
                                                 " to decimal: more than 18 significant digits");
  }
  return Value::decimal(runtime::decimalFromInt(i));
}

Value decimalFromDouble(double d) {
  if (!std::isfinite(d)) {
    return Value::error(ErrorKind::Conversion, "cannot convert " + doubleText(d) + " to decimal");
  }
  auto result = runtime::decimalFromDouble(d);
  if (result) return Value::decimal(*result);
  // The shortest text of a double has at most 17 significant digits, so a
  // failure means a coefficient beyond int64 or more than 38 fractional digits.
  if (std::fabs(d) >= 1) {
    return Value::error(ErrorKind::Overflow, "cannot convert " + doubleText(d) +
                                                 " to decimal: out of the decimal range");
  }
  return Value::error(ErrorKind::Conversion,
                      "cannot convert " + doubleText(d) + " to decimal: more than " +
                          std::to_string(runtime::kMaxDecimalScale) + " digits after the point");
}

Value decimalFromString(std::string_view text) {
  auto result = runtime::parseDecimal(text);
  if (!result) return conversionError(text, "decimal");
  return Value::decimal(*result);
}

Value boolFromString(std::string_view text) {
  if (text == "true") return Value::boolean(true);
  if (text == "false") return Value::boolean(false);
  return conversionError(text, "bool");
}

Value stringFromInt(int64_t i) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, i);
  return Value::string(std::string(buffer, end));
}

// ---------------------------------------------------------------------------
// Durations in CEL's text form

enum class DurationSyntax : uint8_t { Valid, Malformed, OutOfRange, SubMicrosecond };

// The nanoseconds in one unit of a duration, or 0 for an unknown unit. Go
// writes microseconds as "us", "µs" (U+00B5) or "μs" (U+03BC).
int64_t nanosPerUnit(std::string_view unit) {
  if (unit == "h") return 3'600'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return 1'000;
  if (unit == "ns") return 1;
  return 0;
}

// Parses one `<number><unit>` term at `position` and adds it to `nanos`.
DurationSyntax addDurationTerm(std::string_view text, size_t& position, Int128& nanos) {
  // Integer digits beyond 10^20 overflow any duration. Accumulation stops
  // there, so the 128-bit products below cannot overflow.
  constexpr Int128 kDigitsLimit = static_cast<Int128>(100'000'000'000) * 1'000'000'000;
  Int128 whole = 0;
  Int128 fraction = 0;
  Int128 fractionScale = 1;
  bool tooLarge = false;
  bool fractionTruncated = false;
  size_t digits = 0;

  for (; position < text.size() && isDigit(text[position]); ++position, ++digits) {
    whole = whole * 10 + (text[position] - '0');
    if (whole > kDigitsLimit) {
      tooLarge = true;
      whole = kDigitsLimit;
    }
  }
  if (position < text.size() && text[position] == '.') {
    ++position;
    for (; position < text.size() && isDigit(text[position]); ++position, ++digits) {
      // 18 digits are finer than a nanosecond for every unit up to an hour.
      if (fractionScale < static_cast<Int128>(1'000'000'000'000'000'000)) {
        fraction = fraction * 10 + (text[position] - '0');
        fractionScale *= 10;
      } else if (text[position] != '0') {
        fractionTruncated = true;
      }
    }
  }
  if (digits == 0) return DurationSyntax::Malformed;

  size_t unitStart = position;
  while (position < text.size() && !isDigit(text[position]) && text[position] != '.') {
    ++position;
  }
  int64_t unit = nanosPerUnit(text.substr(unitStart, position - unitStart));
  if (unit == 0) return DurationSyntax::Malformed;
  if (tooLarge) return DurationSyntax::OutOfRange;

  Int128 fractionNanos = fraction * unit;
  if (fractionTruncated || fractionNanos % fractionScale != 0) {
    return DurationSyntax::SubMicrosecond;
  }
  nanos += whole * unit + fractionNanos / fractionScale;
  // The magnitude of INT64_MIN microseconds, in nanoseconds, bounds every duration.
  if (nanos > (static_cast<Int128>(INT64_MAX) + 1) * 1000) return DurationSyntax::OutOfRange;
  return DurationSyntax::Valid;
}

// Parses CEL's duration text, which is Go's time.ParseDuration syntax: an
// optional sign, then one or more decimal numbers each with a unit (h, m, s,
// ms, us, ns) in any order, as in "1h30m", "-1.5h" or "300ms". A lone "0"
// needs no unit. The total must be whole microseconds and fit an int64.
DurationSyntax parseCelDuration(std::string_view text, int64_t& micros) {
  size_t position = 0;
  bool negative = false;
  if (position < text.size() && (text[position] == '+' || text[position] == '-')) {
    negative = text[position] == '-';
    ++position;
  }
  if (text.substr(position) == "0") {
    micros = 0;
    return DurationSyntax::Valid;
  }
  if (position == text.size()) return DurationSyntax::Malformed;
  Int128 nanos = 0;
  while (position < text.size()) {
    DurationSyntax term = addDurationTerm(text, position, nanos);
    if (term != DurationSyntax::Valid) return term;
  }
  if (nanos % 1000 != 0) return DurationSyntax::SubMicrosecond;
  Int128 total = (negative ? -nanos : nanos) / 1000;
  if (total < INT64_MIN || total > INT64_MAX) return DurationSyntax::OutOfRange;
  micros = static_cast<int64_t>(total);
  return DurationSyntax::Valid;
}

Value durationFromString(std::string_view text) {
  int64_t micros = 0;
  switch (parseCelDuration(text, micros)) {
    case DurationSyntax::Valid:
      return Value::duration(micros);
    case DurationSyntax::Malformed:
      return conversionError(text, "duration");
    case DurationSyntax::OutOfRange:
      return Value::error(ErrorKind::Range,
                          "cannot convert " + quoted(text) + " to duration: out of range");
    case DurationSyntax::SubMicrosecond:
      return Value::error(ErrorKind::Conversion,
                          "cannot convert " + quoted(text) +
                              " to duration: durations are whole microseconds");
  }
  return conversionError(text, "duration");
}

// ---------------------------------------------------------------------------
// Time zones

int64_t floorDivide(int64_t a, int64_t b) {
  int64_t quotient = a / b;
  return a % b != 0 && (a < 0) != (b < 0) ? quotient - 1 : quotient;
}

// A time zone argument: an IANA zone, or a fixed offset from UTC.
struct Zone {
  const runtime::TimeZone* iana = nullptr;  // null for a fixed offset, UTC included
  int64_t offsetMicros = 0;
};

// IANA zones by name, per thread. runtime::TimeZone::load caches zones too,
// but behind a process-wide lock and with a std::string key built per call.
// Unknown names are cached as well, since each failed load searches tzdata.
const std::optional<runtime::TimeZone>& cachedZone(std::string_view name) {
  struct Entry {
    std::string name;
    std::optional<runtime::TimeZone> zone;
  };
  constexpr size_t kCapacity = 16;
  thread_local std::vector<Entry> cache;
  thread_local size_t nextReplaced = 0;
  for (const Entry& entry : cache) {
    if (entry.name == name) return entry.zone;
  }
  std::string key(name);
  // cctz reads "localtime" from the host's settings, which would make
  // results depend on the machine.
  std::optional<runtime::TimeZone> zone;
  if (key != "localtime") zone = runtime::TimeZone::load(key);
  if (cache.size() < kCapacity) {
    cache.reserve(kCapacity);
    cache.push_back({std::move(key), std::move(zone)});
    return cache.back().zone;
  }
  Entry& replaced = cache[nextReplaced];
  nextReplaced = (nextReplaced + 1) % kCapacity;
  replaced = {std::move(key), std::move(zone)};
  return replaced.zone;
}

// "UTC", a fixed offset "+HH:MM" or "-HH:MM" (hours up to 23, as in RFC
// 3339), or a zone that the system's tzdata has, such as
// "America/New_York". The result stays valid until the next call.
std::optional<Zone> resolveZone(std::string_view name) {
  if (name == "UTC") return Zone{};
  if (!name.empty() && (name[0] == '+' || name[0] == '-')) {
    if (name.size() != 6 || !isDigit(name[1]) || !isDigit(name[2]) || name[3] != ':' ||
        !isDigit(name[4]) || !isDigit(name[5])) {
      return std::nullopt;
    }
    int hours = (name[1] - '0') * 10 + (name[2] - '0');
    int minutes = (name[4] - '0') * 10 + (name[5] - '0');
    if (hours > 23 || minutes > 59) return std::nullopt;
    int64_t offset = (hours * 60 + minutes) * 60 * kMicrosPerSecond;
    return Zone{nullptr, name[0] == '-' ? -offset : offset};
  }
  const auto& zone = cachedZone(name);
  if (!zone) return std::nullopt;
  return Zone{&*zone, 0};
}

Value unknownZoneError(std::string_view name) {
  return Value::error(ErrorKind::TimeZone, "unknown time zone " + quoted(name));
}

// The wall-clock reading of an instant in a zone.
struct LocalTime {
  int64_t days = 0;  // the local date, in days since 1970-01-01
  runtime::CivilDate date;
  int64_t microsOfDay = 0;
};

LocalTime toLocalTime(int64_t micros, const Zone& zone) {
  LocalTime local;
  if (zone.iana != nullptr) {
    runtime::CivilTime civil = zone.iana->toCivil(micros);
    local.date = {civil.year, civil.month, civil.day};
    local.days = runtime::daysFromCivil(local.date);
    int64_t seconds = (civil.hour * 60 + civil.minute) * 60 + civil.second;
    local.microsOfDay = seconds * kMicrosPerSecond + civil.micros;
    return local;
  }
  // Both terms are within the timestamp range and a day, so the sum cannot overflow.
  int64_t shifted = micros + zone.offsetMicros;
  local.days = floorDivide(shifted, kMicrosPerDay);
  local.date = runtime::civilFromDays(local.days);
  local.microsOfDay = shifted - local.days * kMicrosPerDay;
  return local;
}

// ---------------------------------------------------------------------------
// Time

// The day of the week, 0 for Sunday as in CEL's getDayOfWeek. 1970-01-01 was a Thursday.
int64_t dayOfWeek(int64_t days) {
  int64_t weekday = (days + 4) % 7;
  return weekday < 0 ? weekday + 7 : weekday;
}

enum class TimeField : uint8_t {
  FullYear,
  Month,
  DayOfMonth,
  Date,
  DayOfWeek,
  DayOfYear,
  Hours,
  Minutes,
  Seconds,
  CalendarDate,
};

Value localDateValue(const LocalTime& local, int64_t micros, std::string_view zoneName) {
  if (local.days < kMinDate || local.days > kMaxDate) {
    return Value::error(ErrorKind::Range,
                        "the date of " + runtime::formatTimestamp(micros) + " in " +
                            std::string(zoneName) + " is outside years 0001 to 9999");
  }
  return Value::date(local.days);
}

// A calendar or clock field of a timestamp in UTC, or in the zone named by
// `zoneName` when it is not null. The timestamp is within years 0001 to 9999.
Value timestampField(TimeField field, int64_t micros, const Value* zoneName) {
  Zone zone;
  if (zoneName != nullptr) {
    auto resolved = resolveZone(zoneName->asString());
    if (!resolved) return unknownZoneError(zoneName->asString());
    zone = *resolved;
  }
  LocalTime local = toLocalTime(micros, zone);
  switch (field) {
    case TimeField::FullYear: return Value::integer(local.date.year);
    case TimeField::Month: return Value::integer(local.date.month - 1);
    case TimeField::DayOfMonth: return Value::integer(local.date.day - 1);
    case TimeField::Date: return Value::integer(local.date.day);
    case TimeField::DayOfWeek: return Value::integer(dayOfWeek(local.days));
    case TimeField::DayOfYear:
      return Value::integer(local.days - runtime::daysFromCivil({local.date.year, 1, 1}));
    case TimeField::Hours: return Value::integer(local.microsOfDay / (3600 * kMicrosPerSecond));
    case TimeField::Minutes:
      return Value::integer(local.microsOfDay / (60 * kMicrosPerSecond) % 60);
    case TimeField::Seconds: return Value::integer(local.microsOfDay / kMicrosPerSecond % 60);
    case TimeField::CalendarDate:
      return localDateValue(local, micros, zoneName != nullptr ? zoneName->asString() : "UTC");
  }
  return Value::null();
}

// Whole days from `from` to `to`, truncated toward zero.
Value wholeDaysBetween(int64_t from, int64_t to, const char* function) {
  int64_t difference = 0;
  if (__builtin_sub_overflow(to, from, &difference)) return runtime::overflowError(function);
  return Value::integer(difference / kMicrosPerDay);
}

// `int(timestamp)`: Unix seconds, rounded down like the seconds of a
// protobuf Timestamp, whose nanos are never negative. So one microsecond
// before the epoch is -1.
Value unixSeconds(int64_t micros) { return Value::integer(floorDivide(micros, kMicrosPerSecond)); }

// ---------------------------------------------------------------------------
// Numbers

Value absInt(int64_t i) {
  if (i == INT64_MIN) return runtime::overflowError("abs");
  return Value::integer(i < 0 ? -i : i);
}

Value absDecimal(Decimal d) {
  if (d.coefficient >= 0) return Value::decimal(d);
  auto negated = runtime::negateDecimal(d);
  if (!negated) return runtime::overflowError("abs");
  return Value::decimal(*negated);
}

// ---------------------------------------------------------------------------
// Strings

// Decodes the code point at `position` and returns its length in bytes, or
// a negative number for invalid UTF-8.
utf8proc_ssize_t decodeAt(std::string_view text, size_t position, utf8proc_int32_t& codePoint) {
  auto byte = static_cast<unsigned char>(text[position]);
  if (byte < 0x80) {
    codePoint = byte;
    return 1;
  }
  return utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + position),
                          static_cast<utf8proc_ssize_t>(text.size() - position), &codePoint);
}

Value invalidUtf8Error(const char* function, size_t position) {
  return Value::error(ErrorKind::InvalidArgument, std::string("the string passed to `") +
                                                      function + "` is not valid UTF-8 at byte " +
                                                      std::to_string(position));
}

Value codePointCount(std::string_view text) {
  int64_t count = 0;
  utf8proc_int32_t codePoint = 0;
  for (size_t position = 0; position < text.size(); ++count) {
    utf8proc_ssize_t length = decodeAt(text, position, codePoint);
    if (length < 0) return invalidUtf8Error("size", position);
    position += static_cast<size_t>(length);
  }
  return Value::integer(count);
}

// Maps each code point with utf8proc's one-to-one case mapping. A string
// that the mapping leaves unchanged is returned without a copy.
// NOTE: mappings that change the length are not applied, because utf8proc
// offers only one-to-one ones. So upper("ß") is "ẞ" (U+1E9E) with utf8proc
// 2.8, not the "SS" of Unicode's SpecialCasing.txt.
Value convertCase(const Value& argument, const char* function,
                  utf8proc_int32_t (*mapping)(utf8proc_int32_t)) {
  std::string_view text = argument.asString();
  utf8proc_int32_t codePoint = 0;
  size_t position = 0;
  while (position < text.size()) {
    utf8proc_ssize_t length = decodeAt(text, position, codePoint);
    if (length < 0) return invalidUtf8Error(function, position);
    if (mapping(codePoint) != codePoint) break;
    position += static_cast<size_t>(length);
  }
  if (position == text.size()) return argument;
  std::string result;
  result.reserve(text.size());
  result.append(text.substr(0, position));
  while (position < text.size()) {
    utf8proc_ssize_t length = decodeAt(text, position, codePoint);
    if (length < 0) return invalidUtf8Error(function, position);
    utf8proc_uint8_t encoded[4];
    utf8proc_ssize_t size = utf8proc_encode_char(mapping(codePoint), encoded);
    result.append(reinterpret_cast<const char*>(encoded), static_cast<size_t>(size));
    position += static_cast<size_t>(length);
  }
  return Value::string(std::move(result));
}

// The code points with the Unicode White_Space property.
bool isWhiteSpace(utf8proc_int32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

Value trim(const Value& argument) {
  std::string_view text = argument.asString();
  utf8proc_int32_t codePoint = 0;
  size_t begin = 0;
  while (begin < text.size()) {
    utf8proc_ssize_t length = decodeAt(text, begin, codePoint);
    if (length < 0) return invalidUtf8Error("trim", begin);
    if (!isWhiteSpace(codePoint)) break;
    begin += static_cast<size_t>(length);
  }
  size_t end = text.size();
  while (end > begin) {
    // Step back over continuation bytes (10xxxxxx) to the start of the last code point.
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    utf8proc_ssize_t length = decodeAt(text, start, codePoint);
    if (length < 0) return invalidUtf8Error("trim", start);
    // A code point that ends before `end` leaves stray continuation bytes.
    if (start + static_cast<size_t>(length) != end) {
      return invalidUtf8Error("trim", start + static_cast<size_t>(length));
    }
    if (!isWhiteSpace(codePoint)) break;
    end = start;
  }
  if (begin == 0 && end == text.size()) return argument;
  // The argument may own its text, so the result needs a copy rather than a view.
  return Value::string(std::string(text.substr(begin, end - begin)));
}

// The code points of a string under Unicode full case folding as utf8proc
// applies it ("ß" folds to "ss"), one at a time, so two strings compare
// without copies.
class FoldedCodePoints {
 public:
  static constexpr utf8proc_int32_t kEnd = -1;
  static constexpr utf8proc_int32_t kInvalid = -2;

  explicit FoldedCodePoints(std::string_view text) : text_(text) {}

  // The next folded code point, kEnd after the last, or kInvalid on invalid UTF-8.
  utf8proc_int32_t next() {
    if (index_ < count_) return folded_[index_++];
    if (position_ >= text_.size()) return kEnd;
    utf8proc_int32_t codePoint = 0;
    utf8proc_ssize_t length = decodeAt(text_, position_, codePoint);
    if (length < 0) return kInvalid;
    position_ += static_cast<size_t>(length);
    int boundClass = 0;
    count_ = utf8proc_decompose_char(codePoint, folded_.data(),
                                     static_cast<utf8proc_ssize_t>(folded_.size()),
                                     UTF8PROC_CASEFOLD, &boundClass);
    // With utf8proc 2.8 no code point folds to more than three, so the buffer does not fill.
    if (count_ <= 0 || count_ > static_cast<utf8proc_ssize_t>(folded_.size())) return kInvalid;
    index_ = 1;
    return folded_[0];
  }

 private:
  std::string_view text_;
  size_t position_ = 0;
  std::array<utf8proc_int32_t, 8> folded_{};
  utf8proc_ssize_t count_ = 0;
  utf8proc_ssize_t index_ = 0;
};

bool isAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

Value equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (isAscii(a) && isAscii(b)) {
    if (a.size() != b.size()) return Value::boolean(false);
    for (size_t i = 0; i < a.size(); ++i) {
      if (asciiLower(a[i]) != asciiLower(b[i])) return Value::boolean(false);
    }
    return Value::boolean(true);
  }
  FoldedCodePoints left(a);
  FoldedCodePoints right(b);
  while (true) {
    utf8proc_int32_t x = left.next();
    utf8proc_int32_t y = right.next();
    if (x == FoldedCodePoints::kInvalid || y == FoldedCodePoints::kInvalid) {
      return Value::error(ErrorKind::InvalidArgument,
                          "the strings passed to `equals_ignore_case` are not valid UTF-8");
    }
    if (x != y) return Value::boolean(false);
    if (x == FoldedCodePoints::kEnd) return Value::boolean(true);
  }
}

// Compiled patterns by text, per thread, so a pattern that a script
// applies to every customer compiles once. Invalid patterns are cached too.
const RE2& compiledPattern(std::string_view pattern) {
  struct Entry {
    std::string pattern;
    std::unique_ptr<RE2> regex;
  };
  constexpr size_t kCapacity = 32;
  thread_local std::vector<Entry> cache;
  thread_local size_t nextReplaced = 0;
  for (const Entry& entry : cache) {
    if (entry.pattern == pattern) return *entry.regex;
  }
  RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (cache.size() < kCapacity) {
    cache.reserve(kCapacity);
    cache.push_back({std::string(pattern), std::move(regex)});
    return *cache.back().regex;
  }
  Entry& replaced = cache[nextReplaced];
  nextReplaced = (nextReplaced + 1) % kCapacity;
  replaced = {std::string(pattern), std::move(regex)};
  return *replaced.regex;
}

// Whether the RE2 pattern matches anywhere in `text`.
Value matches(std::string_view text, std::string_view pattern) {
  const RE2& regex = compiledPattern(pattern);
  if (!regex.ok()) {
    return Value::error(ErrorKind::InvalidArgument,
                        "invalid regular expression " + quoted(pattern) + ": " + regex.error());
  }
  return Value::boolean(RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), regex));
}

// ---------------------------------------------------------------------------
// Lists

// Reads the elements of a list or a vector: owned elements by reference,
// and the rows of a slice one at a time. A reference that `at` returns for
// a slice stays valid only until the next call.
class Elements {
 public:
  explicit Elements(const Value& list)
      : list_(&list), items_(list.isSlice() ? nullptr : &list.listItems()),
        size_(list.listSize()) {}
  explicit Elements(const std::vector<Value>& items) : items_(&items), size_(items.size()) {}

  size_t size() const { return size_; }
  const Value& at(size_t i) {
    if (items_ != nullptr) return (*items_)[i];
    row_ = list_->listAt(i);
    return row_;
  }

 private:
  const Value* list_ = nullptr;
  const std::vector<Value>* items_ = nullptr;
  size_t size_ = 0;
  Value row_;
};

// The first element that is an error, or null.
Value firstErrorElement(Elements elements) {
  for (size_t i = 0; i < elements.size(); ++i) {
    if (elements.at(i).isError()) return elements.at(i);
  }
  return Value::null();
}

Value elementKindError(const char* function, const char* expected, const Value& element) {
  return Value::error(ErrorKind::InvalidArgument,
                      std::string("`") + function + "` expects a list of " + expected +
                          ", found an element of type " + runtime::valueKindName(element.kind()));
}

// Whether `value` equals one of the first `end` candidates under CEL
// equality: true, false, or the error of a comparison.
Value findEqual(Elements& candidates, size_t end, const Value& value) {
  for (size_t i = 0; i < end; ++i) {
    Value same = runtime::equals(candidates.at(i), value);
    if (same.isError() || same.asBool()) return same;
  }
  return Value::boolean(false);
}

// A hashable stand-in for an element, equal for elements that CEL equality
// finds equal when all elements share one kind.
struct ElementKey {
  const void* info = nullptr;  // the enum or the table of a row
  int64_t number = 0;          // the scalar, a double's bits or a decimal's coefficient
  int32_t scale = 0;           // a decimal's scale, without trailing zeros
  std::string_view text;

  bool operator==(const ElementKey&) const = default;
};

struct ElementKeyHash {
  size_t operator()(const ElementKey& key) const {
    size_t hash = std::hash<std::string_view>()(key.text);
    hash = hash * 31 + std::hash<const void*>()(key.info);
    hash = hash * 31 + std::hash<int64_t>()(key.number);
    return hash * 31 + std::hash<int32_t>()(key.scale);
  }
};

using KeySet = std::unordered_set<ElementKey, ElementKeyHash>;

bool hasKey(ValueKind kind) {
  switch (kind) {
    case ValueKind::Bool:
    case ValueKind::Int:
    case ValueKind::Double:
    case ValueKind::Decimal:
    case ValueKind::String:
    case ValueKind::Date:
    case ValueKind::Timestamp:
    case ValueKind::Duration:
    case ValueKind::Enum:
    case ValueKind::Row:
      return true;
    default:
      return false;
  }
}

// Whether every element of the lists has `kind` and that kind has keys. A
// decimal with a negative scale has no normal form here, and a reference to
// a missing row has no row number, so either disqualifies.
bool haveKeysOfKind(Elements elements, ValueKind kind) {
  if (!hasKey(kind)) return false;
  for (size_t i = 0; i < elements.size(); ++i) {
    const Value& element = elements.at(i);
    if (!element.is(kind)) return false;
    if (kind == ValueKind::Decimal && element.asDecimal().scale < 0) return false;
    // A reference to a missing row compares by its key, not by a row number.
    if (element.isUnresolvedRow()) return false;
  }
  return true;
}

// Sets the key of an element. Returns false for NaN, which equals nothing.
bool keyOf(const Value& value, ElementKey& key) {
  key = ElementKey{};
  switch (value.kind()) {
    case ValueKind::Enum:
      key.info = value.enumInfo();
      key.number = value.asInt();
      return true;
    case ValueKind::Row:
      key.info = value.table();
      key.number = value.rowIndex();
      return true;
    case ValueKind::String:
      key.text = value.asString();
      return true;
    case ValueKind::Double: {
      double d = value.asDouble();
      if (std::isnan(d)) return false;
      key.number = std::bit_cast<int64_t>(d == 0 ? 0.0 : d);  // -0.0 == 0.0
      return true;
    }
    case ValueKind::Decimal: {
      Decimal d = value.asDecimal();
      while (d.scale > 0 && d.coefficient % 10 == 0) {
        d.coefficient /= 10;
        --d.scale;
      }
      key.number = d.coefficient;
      key.scale = d.coefficient == 0 ? 0 : d.scale;
      return true;
    }
    default:
      key.number = value.asInt();
      return true;
  }
}

// Lists up to this size compare pairwise, which allocates nothing, and so
// does `exclude` up to its square in pairs. Beyond, elements are hashed, so
// the cost stays linear.
constexpr size_t kPairwiseLimit = 16;

Value distinctByKey(const Value& list, const std::vector<Value>& items) {
  KeySet seen;
  seen.reserve(items.size());
  std::vector<Value> firstOccurrences;
  firstOccurrences.reserve(items.size());
  ElementKey key;
  for (const Value& item : items) {
    if (!keyOf(item, key) || seen.insert(key).second) firstOccurrences.push_back(item);
  }
  if (firstOccurrences.size() == items.size()) return list;
  return Value::list(std::move(firstOccurrences));
}

// The first occurrence of each element under CEL equality, in order. NaN
// equals nothing, so every NaN is kept.
Value distinct(const Value& list) {
  // A slice contains each of its rows once.
  if (list.isSlice()) return list;
  const std::vector<Value>& items = list.listItems();
  Value error = firstErrorElement(Elements(items));
  if (error.isError()) return error;
  if (items.size() > kPairwiseLimit &&
      haveKeysOfKind(Elements(items), items[0].kind())) {
    return distinctByKey(list, items);
  }
  // `firstOccurrences` is filled from the first duplicate on. Before that,
  // the first occurrences are the prefix of `items`, which needs no copy.
  std::vector<Value> firstOccurrences;
  bool copying = false;
  Elements all(items);
  for (size_t i = 0; i < items.size(); ++i) {
    Elements found(firstOccurrences);
    Value duplicate = copying ? findEqual(found, firstOccurrences.size(), items[i])
                              : findEqual(all, i, items[i]);
    if (duplicate.isError()) return duplicate;

    if (duplicate.asBool() && !copying) {
      firstOccurrences.assign(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(i));
      copying = true;
    } else if (!duplicate.asBool() && copying) {
      firstOccurrences.push_back(items[i]);
    }
  }
  if (!copying) return list;
  return Value::list(std::move(firstOccurrences));
}

Value excludeByKey(const Value& list, const Value& removed) {
  KeySet keys;
  Elements removals(removed);
  keys.reserve(removals.size());
  ElementKey key;
  for (size_t i = 0; i < removals.size(); ++i) {
    if (keyOf(removals.at(i), key)) keys.insert(key);
  }
  Elements elements(list);
  std::vector<Value> remaining;
  remaining.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    const Value& element = elements.at(i);
    if (!keyOf(element, key) || keys.count(key) == 0) remaining.push_back(element);
  }
  if (remaining.size() == elements.size()) return list;
  return Value::list(std::move(remaining));
}

// The elements of `list` equal to no element of `removed`, in order.
Value exclude(const Value& list, const Value& removed) {
  Value error = firstErrorElement(Elements(list));
  if (error.isError()) return error;
  error = firstErrorElement(Elements(removed));
  if (error.isError()) return error;

  size_t size = list.listSize();
  if (size == 0 || removed.listSize() == 0) return list;
  if (size * removed.listSize() > kPairwiseLimit * kPairwiseLimit) {
    ValueKind kind = Elements(list).at(0).kind();
    if (haveKeysOfKind(Elements(list), kind) && haveKeysOfKind(Elements(removed), kind)) {
      return excludeByKey(list, removed);
    }
  }

  Elements elements(list);
  Elements removals(removed);
  std::vector<Value> remaining;
  bool dropped = false;
  for (size_t i = 0; i < size; ++i) {
    const Value& element = elements.at(i);
    Value found = findEqual(removals, removals.size(), element);
    if (found.isError()) return found;

    if (found.asBool() && !dropped) {
      // Until the first removal, the remaining elements are the prefix of `list`.
      Elements prefix(list);
      remaining.reserve(size);
      for (size_t j = 0; j < i; ++j) remaining.push_back(prefix.at(j));
      dropped = true;
    } else if (!found.asBool() && dropped) {
      remaining.push_back(element);
    }
  }
  if (!dropped) return list;
  return Value::list(std::move(remaining));
}

// Adds the elements with runtime::add, so that overflow is checked where the
// `+` operator checks it. `accepted` is the element kind. Decimal sums also
// take ints, which widen exactly.
Value sum(const Value& list, ValueKind accepted, Value total) {
  Elements elements(list);
  for (size_t i = 0; i < elements.size(); ++i) {
    const Value& element = elements.at(i);
    if (element.isError()) return element;
    bool widens = accepted == ValueKind::Decimal && element.is(ValueKind::Int);
    if (!element.is(accepted) && !widens) {
      return elementKindError("sum", runtime::valueKindName(accepted), element);
    }
    total = runtime::add(total, element);
    if (total.isError()) return total;
  }
  return total;
}

// The mean of ints as a double. The sum is exact in 128 bits, so no int64
// overflow can occur on the way to the mean.
Value averageInts(const Value& list) {
  Elements elements(list);
  if (elements.size() == 0) return Value::null();
  Int128 total = 0;
  for (size_t i = 0; i < elements.size(); ++i) {
    const Value& element = elements.at(i);
    if (element.isError()) return element;
    if (!element.is(ValueKind::Int)) return elementKindError("avg", "int", element);
    total += element.asInt();
  }
  return Value::floating(static_cast<double>(total) / static_cast<double>(elements.size()));
}

Value averageDoubles(const Value& list) {
  Elements elements(list);
  if (elements.size() == 0) return Value::null();
  double total = 0;
  for (size_t i = 0; i < elements.size(); ++i) {
    const Value& element = elements.at(i);
    if (element.isError()) return element;
    if (!element.is(ValueKind::Double)) return elementKindError("avg", "double", element);
    total += element.asDouble();
  }
  return Value::floating(total / static_cast<double>(elements.size()));
}

// The exact sum divided by the count, with runtime::divideDecimal's rounding
// (18 significant digits, half to even). A sum beyond the decimal range is an
// overflow error even when the mean would fit.
Value averageDecimals(const Value& list) {
  size_t count = list.listSize();
  if (count == 0) return Value::null();
  Value total = sum(list, ValueKind::Decimal, Value::decimal(Decimal{0, 0}));
  if (total.isError()) return total;
  auto mean = runtime::divideDecimal(total.asDecimal(),
                                     runtime::decimalFromInt(static_cast<int64_t>(count)));
  if (!mean) return runtime::overflowError("avg");
  return Value::decimal(*mean);
}

bool isNumber(ValueKind kind) {
  return kind == ValueKind::Int || kind == ValueKind::Double || kind == ValueKind::Decimal;
}

bool isNaN(const Value& value) {
  return value.is(ValueKind::Double) && std::isnan(value.asDouble());
}

// Whether runtime::compare orders these two values: numbers of any kinds,
// or two values of one orderable kind (enums of one declaration).
bool orderable(const Value& a, const Value& b) {
  if (isNumber(a.kind()) && isNumber(b.kind())) return true;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::Bool:
    case ValueKind::String:
    case ValueKind::Date:
    case ValueKind::Timestamp:
    case ValueKind::Duration:
      return true;
    case ValueKind::Enum:
      return a.enumInfo() == b.enumInfo();
    default:
      return false;
  }
}

// The least (or greatest) element, and the first one among equals. A NaN is
// skipped, because it orders against nothing, unless every element is NaN:
// then the result is NaN.
Value extreme(const Value& list, bool greatest) {
  Elements elements(list);
  if (elements.size() == 0) return Value::null();
  Value best;
  Value firstNaN;
  bool found = false;
  for (size_t i = 0; i < elements.size(); ++i) {
    const Value& element = elements.at(i);
    if (element.isError()) return element;
    if (isNaN(element)) {
      if (firstNaN.isNull()) firstNaN = element;
      continue;
    }
    if (!found) {
      best = element;
      found = true;
      continue;
    }
    if (!orderable(element, best)) {
      return Value::error(ErrorKind::InvalidArgument,
                          std::string("`") + (greatest ? "max" : "min") +
                              "` cannot order values of types " +
                              runtime::valueKindName(best.kind()) + " and " +
                              runtime::valueKindName(element.kind()));
    }
    bool unordered = false;
    int order = runtime::compare(element, best, unordered);
    if (greatest ? order > 0 : order < 0) best = element;
  }
  if (!found) return firstNaN;
  // A single element is never compared, so check that it is orderable at all.
  if (!orderable(best, best)) {
    return Value::error(ErrorKind::InvalidArgument,
                        std::string("`") + (greatest ? "max" : "min") +
                            "` cannot order values of type " + runtime::valueKindName(best.kind()));
  }
  return best;
}

Value firstOrLast(const Value& list, bool last) {
  size_t size = list.listSize();
  if (size == 0) return Value::null();
  return list.listAt(last ? size - 1 : 0);
}

// ---------------------------------------------------------------------------
// Dispatch

// The field of a timestamp accessor, and whether it takes a zone argument.
bool timeFieldOf(Builtin builtin, TimeField& field) {
  switch (builtin) {
    case Builtin::TimestampFullYear:
    case Builtin::TimestampFullYearZone: field = TimeField::FullYear; return true;
    case Builtin::TimestampMonth:
    case Builtin::TimestampMonthZone: field = TimeField::Month; return true;
    case Builtin::TimestampDayOfMonth:
    case Builtin::TimestampDayOfMonthZone: field = TimeField::DayOfMonth; return true;
    case Builtin::TimestampDate:
    case Builtin::TimestampDateZone: field = TimeField::Date; return true;
    case Builtin::TimestampDayOfWeek:
    case Builtin::TimestampDayOfWeekZone: field = TimeField::DayOfWeek; return true;
    case Builtin::TimestampDayOfYear:
    case Builtin::TimestampDayOfYearZone: field = TimeField::DayOfYear; return true;
    case Builtin::TimestampHours:
    case Builtin::TimestampHoursZone: field = TimeField::Hours; return true;
    case Builtin::TimestampMinutes:
    case Builtin::TimestampMinutesZone: field = TimeField::Minutes; return true;
    case Builtin::TimestampSeconds: field = TimeField::Seconds; return true;
    case Builtin::TimestampToDate:
    case Builtin::TimestampToDateZone:
    case Builtin::DateTimestampZone: field = TimeField::CalendarDate; return true;
    default: return false;
  }
}

Value callConversion(Builtin builtin, const Value& argument) {
  switch (builtin) {
    case Builtin::IntDouble: return intFromDouble(argument.asDouble());
    case Builtin::IntDecimal: return intFromDecimal(argument.asDecimal());
    case Builtin::IntString: return intFromString(argument.asString());
    case Builtin::IntTimestamp: return unixSeconds(argument.asInt());
    case Builtin::DoubleInt: return Value::floating(static_cast<double>(argument.asInt()));
    case Builtin::DoubleDecimal:
      return Value::floating(runtime::decimalToDouble(argument.asDecimal()));
    case Builtin::DoubleString: return doubleFromString(argument.asString());
    case Builtin::DecimalInt: return decimalFromInt(argument.asInt());
    case Builtin::DecimalDouble: return decimalFromDouble(argument.asDouble());
    case Builtin::DecimalString: return decimalFromString(argument.asString());
    case Builtin::StringInt: return stringFromInt(argument.asInt());
    case Builtin::StringDouble: return Value::string(doubleText(argument.asDouble()));
    case Builtin::StringDecimal: return Value::string(runtime::formatDecimal(argument.asDecimal()));
    case Builtin::StringBool: return Value::stringView(argument.asBool() ? "true" : "false");
    case Builtin::StringDate: return Value::string(runtime::formatDate(argument.asInt()));
    case Builtin::StringTimestamp: return Value::string(runtime::formatTimestamp(argument.asInt()));
    case Builtin::StringDuration: return Value::string(runtime::formatDuration(argument.asInt()));
    case Builtin::BoolString: return boolFromString(argument.asString());
    case Builtin::TimestampString: {
      auto micros = runtime::parseTimestamp(argument.asString());
      if (!micros) return conversionError(argument.asString(), "timestamp");
      return Value::timestamp(*micros);
    }
    case Builtin::DurationString: return durationFromString(argument.asString());
    case Builtin::DateString: {
      auto days = runtime::parseDate(argument.asString());
      if (!days) return conversionError(argument.asString(), "date");
      return Value::date(*days);
    }
    default: return argument;  // int(int), double(double), decimal(decimal), string(string)
  }
}

Value callList(Builtin builtin, const Value* arguments) {
  const Value& list = arguments[0];
  switch (builtin) {
    case Builtin::ListDistinct: return distinct(list);
    case Builtin::ListExclude: return exclude(list, arguments[1]);
    case Builtin::ListSumInt: return sum(list, ValueKind::Int, Value::integer(0));
    case Builtin::ListSumDouble: return sum(list, ValueKind::Double, Value::floating(0.0));
    case Builtin::ListSumDecimal:
      return sum(list, ValueKind::Decimal, Value::decimal(Decimal{0, 0}));
    case Builtin::ListSumDuration: return sum(list, ValueKind::Duration, Value::duration(0));
    case Builtin::ListAvgInt: return averageInts(list);
    case Builtin::ListAvgDouble: return averageDoubles(list);
    case Builtin::ListAvgDecimal: return averageDecimals(list);
    case Builtin::ListMin: return extreme(list, false);
    case Builtin::ListMax: return extreme(list, true);
    case Builtin::ListFirst: return firstOrLast(list, false);
    case Builtin::ListLast: return firstOrLast(list, true);
    default: return Value::integer(static_cast<int64_t>(list.listSize()));  // count, size
  }
}

Value callOther(Builtin builtin, const Value* arguments, const BuiltinContext& context) {
  const Value& first = arguments[0];
  switch (builtin) {
    case Builtin::SizeString:
    case Builtin::StringSize: return codePointCount(first.asString());
    case Builtin::SizeMap:
    case Builtin::MapSize:
      return Value::integer(static_cast<int64_t>(first.asMap().entries.size()));
    case Builtin::DaysSinceTimestamp:
      return wholeDaysBetween(first.asInt(), context.now, "days_since");
    case Builtin::DaysUntilTimestamp:
      return wholeDaysBetween(context.now, first.asInt(), "days_until");
    case Builtin::DaysSinceDate:
      return Value::integer(floorDivide(context.now, kMicrosPerDay) - first.asInt());
    case Builtin::DaysUntilDate:
      return Value::integer(first.asInt() - floorDivide(context.now, kMicrosPerDay));
    case Builtin::DateYear: return Value::integer(runtime::civilFromDays(first.asInt()).year);
    case Builtin::DateMonth: return Value::integer(runtime::civilFromDays(first.asInt()).month);
    case Builtin::DateDay: return Value::integer(runtime::civilFromDays(first.asInt()).day);
    case Builtin::DateDayOfWeek: return Value::integer(dayOfWeek(first.asInt()));
    case Builtin::DurationHours: return Value::integer(first.asInt() / (3600 * kMicrosPerSecond));
    case Builtin::DurationMinutes: return Value::integer(first.asInt() / (60 * kMicrosPerSecond));
    case Builtin::DurationSeconds: return Value::integer(first.asInt() / kMicrosPerSecond);
    case Builtin::DurationMilliseconds: return Value::integer(first.asInt() / 1000);
    case Builtin::AbsInt: return absInt(first.asInt());
    case Builtin::AbsDouble: return Value::floating(std::fabs(first.asDouble()));
    case Builtin::AbsDecimal: return absDecimal(first.asDecimal());
    case Builtin::StringContains:
      return Value::boolean(first.asString().find(arguments[1].asString()) !=
                            std::string_view::npos);
    case Builtin::StringStartsWith:
      return Value::boolean(first.asString().starts_with(arguments[1].asString()));
    case Builtin::StringEndsWith:
      return Value::boolean(first.asString().ends_with(arguments[1].asString()));
    case Builtin::StringMatches:
    case Builtin::MatchesString: return matches(first.asString(), arguments[1].asString());
    case Builtin::StringLower: return convertCase(first, "lower", utf8proc_tolower);
    case Builtin::StringUpper: return convertCase(first, "upper", utf8proc_toupper);
    case Builtin::StringTrim: return trim(first);
    case Builtin::StringEqualsIgnoreCase:
      return equalsIgnoreCase(first.asString(), arguments[1].asString());
    default: return callConversion(builtin, first);
  }
}

bool isListBuiltin(Builtin builtin) {
  return builtin == Builtin::SizeList || builtin == Builtin::SizeSet ||
         builtin == Builtin::ListSize || builtin == Builtin::SetSize ||
         (builtin >= Builtin::ListDistinct && builtin <= Builtin::ListLast);
}

}  // namespace

std::optional<Builtin> builtinById(std::string_view id) {
  for (size_t i = 0; i < std::size(kIds); ++i) {
    if (kIds[i] == id) return static_cast<Builtin>(i);
  }
  return std::nullopt;
}

std::string_view builtinId(Builtin builtin) {
  auto index = static_cast<size_t>(builtin);
  return index < std::size(kIds) ? kIds[index] : std::string_view();
}

bool readsRunState(Builtin builtin) {
  switch (builtin) {
    case Builtin::DaysSinceTimestamp:
    case Builtin::DaysSinceDate:
    case Builtin::DaysUntilTimestamp:
    case Builtin::DaysUntilDate:
      return true;
    default:
      return isRecommendationBuiltin(builtin) && builtin != Builtin::Fallback &&
             builtin != Builtin::ListFallback && builtin != Builtin::ListTake;
  }
}

runtime::Value callBuiltin(Builtin builtin, const runtime::Value* arguments, size_t count,
                           const BuiltinContext& context) {
  auto index = static_cast<size_t>(builtin);
  if (index >= std::size(kShapes)) {
    return Value::error(ErrorKind::InvalidArgument,
                        "unknown built-in function " + std::to_string(index));
  }
  if (isRecommendationBuiltin(builtin)) {
    return callRecommendation(builtin, arguments, count, context);
  }
  Value invalid = checkArguments(kShapes[index], arguments, count);
  if (!invalid.isNull()) return invalid;
  TimeField field = TimeField::FullYear;
  if (timeFieldOf(builtin, field)) {
    return timestampField(field, arguments[0].asInt(), count == 2 ? &arguments[1] : nullptr);
  }
  if (isListBuiltin(builtin)) return callList(builtin, arguments);
  return callOther(builtin, arguments, context);
}

}  // namespace crm::stdlib
