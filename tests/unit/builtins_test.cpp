#include "stdlib/builtins.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "runtime/decimal.h"
#include "runtime/store.h"
#include "runtime/time.h"
#include "stdlib/signatures.h"

namespace crm::stdlib {
namespace {

using runtime::ErrorKind;
using runtime::Value;
using runtime::ValueKind;

constexpr int64_t kSecond = runtime::kMicrosPerSecond;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = runtime::kMicrosPerDay;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInfinity = std::numeric_limits<double>::infinity();

Value integer(int64_t i) { return Value::integer(i); }
Value floating(double d) { return Value::floating(d); }
Value text(const char* s) { return Value::stringView(s); }
Value duration(int64_t micros) { return Value::duration(micros); }
Value list(std::vector<Value> items) { return Value::list(std::move(items)); }
Value error(ErrorKind kind, std::string message) { return Value::error(kind, std::move(message)); }
Value decimal(int64_t coefficient, int32_t scale) {
  return Value::decimal(runtime::Decimal{coefficient, scale});
}
Value timestamp(const char* rfc3339) {
  auto micros = runtime::parseTimestamp(rfc3339);
  EXPECT_TRUE(micros) << rfc3339;
  return Value::timestamp(micros.value_or(0));
}
Value date(const char* isoDate) {
  auto days = runtime::parseDate(isoDate);
  EXPECT_TRUE(days) << isoDate;
  return Value::date(days.value_or(0));
}

std::string describe(const Value& value) {
  switch (value.kind()) {
    case ValueKind::Double: {
      char buffer[32];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value.asDouble());
      return "double " + std::string(buffer, end);
    }
    case ValueKind::Decimal:
      return "decimal " + std::to_string(value.asDecimal().coefficient) + " scale " +
             std::to_string(value.asDecimal().scale);
    case ValueKind::String:
      return "string \"" + std::string(value.asString()) + "\"";
    case ValueKind::Row:
      return "row " + std::to_string(value.rowIndex());
    case ValueKind::List: {
      std::string result = "list [";
      for (size_t i = 0; i < value.listSize(); ++i) {
        result += (i > 0 ? ", " : "") + describe(value.listAt(i));
      }
      return result + "]";
    }
    case ValueKind::Error:
      return std::string("error (") + runtime::errorKindName(value.asError().kind) + ") " +
             value.asError().message;
    default:
      return std::string(runtime::valueKindName(value.kind())) + " " + runtime::displayText(value);
  }
}

// Identity rather than CEL equality: the same kind, the same bits of a
// double (NaN equals NaN, -0.0 differs from 0.0), the same decimal scale,
// and for errors the same kind and message.
bool sameValue(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::Null: return true;
    case ValueKind::Double:
      return (std::isnan(a.asDouble()) && std::isnan(b.asDouble())) ||
             (a.asDouble() == b.asDouble() &&
              std::signbit(a.asDouble()) == std::signbit(b.asDouble()));
    case ValueKind::Decimal:
      return a.asDecimal().coefficient == b.asDecimal().coefficient &&
             a.asDecimal().scale == b.asDecimal().scale;
    case ValueKind::String: return a.asString() == b.asString();
    case ValueKind::Row: return a.table() == b.table() && a.rowIndex() == b.rowIndex();
    case ValueKind::List: {
      if (a.listSize() != b.listSize()) return false;
      for (size_t i = 0; i < a.listSize(); ++i) {
        if (!sameValue(a.listAt(i), b.listAt(i))) return false;
      }
      return true;
    }
    case ValueKind::Error:
      return a.asError().kind == b.asError().kind && a.asError().message == b.asError().message;
    default: return a.asInt() == b.asInt();
  }
}

Value call(Builtin builtin, const std::vector<Value>& arguments, int64_t now = 0) {
  return callBuiltin(builtin, arguments.data(), arguments.size(), BuiltinContext{now});
}

struct Case {
  const char* name;
  Builtin builtin;
  std::vector<Value> arguments;
  Value expected;
};

void expectCases(const std::vector<Case>& cases, int64_t now = 0) {
  for (const Case& c : cases) {
    Value result = call(c.builtin, c.arguments, now);
    EXPECT_TRUE(sameValue(result, c.expected))
        << c.name << " (" << builtinId(c.builtin) << ")\n  result:   " << describe(result)
        << "\n  expected: " << describe(c.expected);
  }
}

TEST(Builtins, IdsMatchSignatures) {
  std::set<std::string> signatureIds;
  for (const Signature& signature : signatures()) signatureIds.insert(std::string(signature.id));
  std::set<std::string> builtinIds;
  for (size_t i = 0; i < static_cast<size_t>(Builtin::Count); ++i) {
    auto builtin = static_cast<Builtin>(i);
    std::string_view id = builtinId(builtin);
    EXPECT_EQ(builtinById(id), builtin) << id;
    builtinIds.insert(std::string(id));
  }
  EXPECT_EQ(builtinIds, signatureIds);
  EXPECT_FALSE(builtinById("size_tuple"));
  EXPECT_EQ(builtinId(Builtin::Count), "");
}

TEST(Builtins, SizeCountsCodePoints) {
  Value map = Value::map({{text("a"), integer(1)}, {text("b"), integer(2)}});
  expectCases({
      {"ascii", Builtin::SizeString, {text("abc")}, integer(3)},
      {"empty string", Builtin::StringSize, {text("")}, integer(0)},
      {"precomposed accent", Builtin::SizeString, {text("Am\u00e9lie")}, integer(6)},
      {"combining accent is its own code point", Builtin::SizeString, {text("Ame\u0301lie")},
       integer(7)},
      {"titlecase digraph", Builtin::StringSize, {text("\u01c5")}, integer(1)},
      {"astral emoji", Builtin::SizeString, {text("\U0001F600!")}, integer(2)},
      {"invalid UTF-8", Builtin::SizeString, {text("a\xff")},
       error(ErrorKind::InvalidArgument,
             "the string passed to `size` is not valid UTF-8 at byte 1")},
      {"list", Builtin::SizeList, {list({integer(1), integer(2)})}, integer(2)},
      {"empty list", Builtin::ListSize, {list({})}, integer(0)},
      {"set", Builtin::SetSize, {list({integer(1)})}, integer(1)},
      {"set function", Builtin::SizeSet, {list({})}, integer(0)},
      {"map", Builtin::SizeMap, {map}, integer(2)},
      {"map method", Builtin::MapSize, {Value::map({})}, integer(0)},
  });
}

TEST(Builtins, IntConversionsTruncateOrFail) {
  expectCases({
      {"int itself", Builtin::IntInt, {integer(-5)}, integer(-5)},
      {"double truncates", Builtin::IntDouble, {floating(2.9)}, integer(2)},
      {"negative double truncates toward zero", Builtin::IntDouble, {floating(-2.9)},
       integer(-2)},
      {"smallest int as double", Builtin::IntDouble, {floating(-0x1p63)}, integer(INT64_MIN)},
      {"2^63 overflows", Builtin::IntDouble, {floating(0x1p63)},
       error(ErrorKind::Overflow,
             "cannot convert 9223372036854775808 to int: out of the int range")},
      {"large double overflows", Builtin::IntDouble, {floating(1e19)},
       error(ErrorKind::Overflow, "cannot convert 1e+19 to int: out of the int range")},
      {"infinity overflows", Builtin::IntDouble, {floating(-kInfinity)},
       error(ErrorKind::Overflow, "cannot convert -inf to int: out of the int range")},
      {"NaN fails", Builtin::IntDouble, {floating(kNaN)},
       error(ErrorKind::Conversion, "cannot convert nan to int")},
      {"decimal truncates", Builtin::IntDecimal, {decimal(-1299, 2)}, integer(-12)},
      {"decimal with negative scale", Builtin::IntDecimal, {decimal(12, -2)}, integer(1200)},
      {"decimal with negative scale overflows", Builtin::IntDecimal, {decimal(1, -19)},
       error(ErrorKind::Overflow, "cannot convert 1e19 to int: out of the int range")},
      {"string", Builtin::IntString, {text("42")}, integer(42)},
      {"string with plus", Builtin::IntString, {text("+42")}, integer(42)},
      {"smallest int string", Builtin::IntString, {text("-9223372036854775808")},
       integer(INT64_MIN)},
      {"largest int string", Builtin::IntString, {text("9223372036854775807")},
       integer(INT64_MAX)},
      {"string overflows", Builtin::IntString, {text("9223372036854775808")},
       error(ErrorKind::Overflow,
             "cannot convert '9223372036854775808' to int: out of the int range")},
      {"long string overflows", Builtin::IntString, {text("-99999999999999999999999")},
       error(ErrorKind::Overflow,
             "cannot convert '-99999999999999999999999' to int: out of the int range")},
      {"letters fail", Builtin::IntString, {text("12a")},
       error(ErrorKind::Conversion, "cannot convert '12a' to int")},
      {"fraction fails", Builtin::IntString, {text("1.0")},
       error(ErrorKind::Conversion, "cannot convert '1.0' to int")},
      {"white space fails", Builtin::IntString, {text(" 1")},
       error(ErrorKind::Conversion, "cannot convert ' 1' to int")},
      {"lone sign fails", Builtin::IntString, {text("-")},
       error(ErrorKind::Conversion, "cannot convert '-' to int")},
      {"empty string fails", Builtin::IntString, {text("")},
       error(ErrorKind::Conversion, "cannot convert '' to int")},
      {"timestamp seconds", Builtin::IntTimestamp, {timestamp("2026-03-08T07:00:00.900Z")},
       integer(1772953200)},
      {"timestamp before epoch rounds down", Builtin::IntTimestamp,
       {timestamp("1969-12-31T23:59:59.999999Z")}, integer(-1)},
  });
}

TEST(Builtins, DoubleConversionsParseCelNumbers) {
  expectCases({
      {"double itself", Builtin::DoubleDouble, {floating(1.25)}, floating(1.25)},
      {"int", Builtin::DoubleInt, {integer(-3)}, floating(-3.0)},
      {"int above 2^53 rounds", Builtin::DoubleInt, {integer((int64_t{1} << 53) + 1)},
       floating(0x1p53)},
      {"decimal one tenth", Builtin::DoubleDecimal, {decimal(1, 1)}, floating(0.1)},
      {"fraction", Builtin::DoubleString, {text("1.5")}, floating(1.5)},
      {"exponent", Builtin::DoubleString, {text("-2e3")}, floating(-2000.0)},
      {"leading point", Builtin::DoubleString, {text(".5")}, floating(0.5)},
      {"plus sign", Builtin::DoubleString, {text("+7")}, floating(7.0)},
      {"NaN in any case", Builtin::DoubleString, {text("NaN")}, floating(kNaN)},
      {"infinity word", Builtin::DoubleString, {text("-Infinity")}, floating(-kInfinity)},
      {"inf", Builtin::DoubleString, {text("inf")}, floating(kInfinity)},
      {"underflow is zero", Builtin::DoubleString, {text("1e-400")}, floating(0.0)},
      {"overflow fails", Builtin::DoubleString, {text("1e400")},
       error(ErrorKind::Overflow, "cannot convert '1e400' to double: out of the double range")},
      {"hexadecimal fails", Builtin::DoubleString, {text("0x10")},
       error(ErrorKind::Conversion, "cannot convert '0x10' to double")},
      {"comma fails", Builtin::DoubleString, {text("1,5")},
       error(ErrorKind::Conversion, "cannot convert '1,5' to double")},
      {"NaN payload fails", Builtin::DoubleString, {text("nan(1)")},
       error(ErrorKind::Conversion, "cannot convert 'nan(1)' to double")},
      {"double sign fails", Builtin::DoubleString, {text("+-1")},
       error(ErrorKind::Conversion, "cannot convert '+-1' to double")},
      {"missing exponent fails", Builtin::DoubleString, {text("1e")},
       error(ErrorKind::Conversion, "cannot convert '1e' to double")},
      {"empty string fails", Builtin::DoubleString, {text("")},
       error(ErrorKind::Conversion, "cannot convert '' to double")},
  });
}

TEST(Builtins, DecimalConversionsAreExact) {
  expectCases({
      {"decimal itself", Builtin::DecimalDecimal, {decimal(1250, 2)}, decimal(1250, 2)},
      {"int", Builtin::DecimalInt, {integer(-7)}, decimal(-7, 0)},
      {"largest int with 18 digits", Builtin::DecimalInt, {integer(999999999999999999)},
       decimal(999999999999999999, 0)},
      {"int with 19 digits overflows", Builtin::DecimalInt, {integer(INT64_MIN)},
       error(ErrorKind::Overflow,
             "cannot convert -9223372036854775808 to decimal: more than 18 significant digits")},
      {"double one tenth", Builtin::DecimalDouble, {floating(0.1)}, decimal(1, 1)},
      {"double whole", Builtin::DecimalDouble, {floating(-250.0)}, decimal(-250, 0)},
      {"NaN fails", Builtin::DecimalDouble, {floating(kNaN)},
       error(ErrorKind::Conversion, "cannot convert nan to decimal")},
      {"infinity fails", Builtin::DecimalDouble, {floating(kInfinity)},
       error(ErrorKind::Conversion, "cannot convert inf to decimal")},
      {"huge double overflows", Builtin::DecimalDouble, {floating(1e300)},
       error(ErrorKind::Overflow, "cannot convert 1e+300 to decimal: out of the decimal range")},
      {"tiny double fails", Builtin::DecimalDouble, {floating(1e-300)},
       error(ErrorKind::Conversion,
             "cannot convert 1e-300 to decimal: more than 38 digits after the point")},
      {"string keeps its scale", Builtin::DecimalString, {text("12.50")}, decimal(1250, 2)},
      {"string with exponent", Builtin::DecimalString, {text("1.5e3")}, decimal(1500, 0)},
      {"malformed string fails", Builtin::DecimalString, {text("1.2.3")},
       error(ErrorKind::Conversion, "cannot convert '1.2.3' to decimal")},
      {"too many digits fail", Builtin::DecimalString, {text("12345678901234567890")},
       error(ErrorKind::Conversion, "cannot convert '12345678901234567890' to decimal")},
  });
}

TEST(Builtins, StringConversionsReadBack) {
  expectCases({
      {"string itself", Builtin::StringString, {text("x")}, text("x")},
      {"smallest int", Builtin::StringInt, {integer(INT64_MIN)}, text("-9223372036854775808")},
      {"shortest double", Builtin::StringDouble, {floating(0.1 + 0.2)},
       text("0.30000000000000004")},
      {"whole double", Builtin::StringDouble, {floating(100.0)}, text("100")},
      {"large double", Builtin::StringDouble, {floating(1e21)}, text("1e+21")},
      {"negative zero", Builtin::StringDouble, {floating(-0.0)}, text("-0")},
      {"NaN without sign", Builtin::StringDouble, {floating(-kNaN)}, text("nan")},
      {"negative infinity", Builtin::StringDouble, {floating(-kInfinity)}, text("-inf")},
      {"decimal keeps scale", Builtin::StringDecimal, {decimal(1050, 2)}, text("10.50")},
      {"bool", Builtin::StringBool, {Value::boolean(false)}, text("false")},
      {"date", Builtin::StringDate, {date("2024-02-29")}, text("2024-02-29")},
      {"timestamp in UTC", Builtin::StringTimestamp, {timestamp("2026-03-08T02:00:00-05:00")},
       text("2026-03-08T07:00:00Z")},
      {"timestamp with fraction", Builtin::StringTimestamp,
       {timestamp("2026-03-08T07:00:00.25Z")}, text("2026-03-08T07:00:00.250000Z")},
      {"duration in seconds", Builtin::StringDuration, {duration(90 * kMinute)}, text("5400s")},
      {"negative duration", Builtin::StringDuration, {duration(-1500 * 1000)}, text("-1.500s")},
  });
  for (double d : {0.1, 1e-7, 123456.789, -2.5e300, 5e-324, kInfinity}) {
    Value written = call(Builtin::StringDouble, {floating(d)});
    Value read = call(Builtin::DoubleString, {written});
    EXPECT_TRUE(sameValue(read, floating(d))) << describe(written);
  }
}

TEST(Builtins, ParsersRejectLooseText) {
  expectCases({
      {"true", Builtin::BoolString, {text("true")}, Value::boolean(true)},
      {"false", Builtin::BoolString, {text("false")}, Value::boolean(false)},
      {"upper case fails", Builtin::BoolString, {text("TRUE")},
       error(ErrorKind::Conversion, "cannot convert 'TRUE' to bool")},
      {"digit fails", Builtin::BoolString, {text("1")},
       error(ErrorKind::Conversion, "cannot convert '1' to bool")},
      {"RFC 3339 with offset", Builtin::TimestampString, {text("2026-03-08T02:00:00-05:00")},
       timestamp("2026-03-08T07:00:00Z")},
      {"word fails", Builtin::TimestampString, {text("yesterday")},
       error(ErrorKind::Conversion, "cannot convert 'yesterday' to timestamp")},
      {"missing zone fails", Builtin::TimestampString, {text("2026-03-08T07:00:00")},
       error(ErrorKind::Conversion, "cannot convert '2026-03-08T07:00:00' to timestamp")},
      {"leap day", Builtin::DateString, {text("2024-02-29")}, Value::date(19782)},
      {"leap day of a common year fails", Builtin::DateString, {text("2023-02-29")},
       error(ErrorKind::Conversion, "cannot convert '2023-02-29' to date")},
      {"February 30 fails", Builtin::DateString, {text("2026-02-30")},
       error(ErrorKind::Conversion, "cannot convert '2026-02-30' to date")},
      {"year zero fails", Builtin::DateString, {text("0000-01-01")},
       error(ErrorKind::Conversion, "cannot convert '0000-01-01' to date")},
  });
}

TEST(Builtins, DurationParsesCelText) {
  expectCases({
      {"fractional hours", Builtin::DurationString, {text("1.5h")}, duration(90 * kMinute)},
      {"negative minutes", Builtin::DurationString, {text("-30m")}, duration(-30 * kMinute)},
      {"seconds", Builtin::DurationString, {text("3600s")}, duration(kHour)},
      {"hours and minutes", Builtin::DurationString, {text("1h30m")}, duration(90 * kMinute)},
      {"units in any order", Builtin::DurationString, {text("30m1h")}, duration(90 * kMinute)},
      {"milliseconds", Builtin::DurationString, {text("1.5ms")}, duration(1500)},
      {"microseconds", Builtin::DurationString, {text("250us")}, duration(250)},
      {"micro sign", Builtin::DurationString, {text("250\u00b5s")}, duration(250)},
      {"whole microseconds in nanoseconds", Builtin::DurationString, {text("2000ns")},
       duration(2)},
      {"lone zero", Builtin::DurationString, {text("0")}, duration(0)},
      {"negative zero", Builtin::DurationString, {text("-0")}, duration(0)},
      {"leading point", Builtin::DurationString, {text(".5s")}, duration(500 * 1000)},
      {"trailing point", Builtin::DurationString, {text("1.s")}, duration(kSecond)},
      {"largest hours", Builtin::DurationString, {text("2562047788h")},
       duration(2562047788 * kHour)},
      {"nanoseconds fail", Builtin::DurationString, {text("1ns")},
       error(ErrorKind::Conversion,
             "cannot convert '1ns' to duration: durations are whole microseconds")},
      {"too fine a fraction fails", Builtin::DurationString, {text("0.0000001s")},
       error(ErrorKind::Conversion,
             "cannot convert '0.0000001s' to duration: durations are whole microseconds")},
      {"out of range", Builtin::DurationString, {text("2562047789h")},
       error(ErrorKind::Range, "cannot convert '2562047789h' to duration: out of range")},
      {"smallest microseconds", Builtin::DurationString, {text("-9223372036854775808us")},
       duration(INT64_MIN)},
      {"one past the largest microseconds", Builtin::DurationString,
       {text("9223372036854775808us")},
       error(ErrorKind::Range,
             "cannot convert '9223372036854775808us' to duration: out of range")},
      {"huge number out of range", Builtin::DurationString,
       {text("99999999999999999999999999s")},
       error(ErrorKind::Range,
             "cannot convert '99999999999999999999999999s' to duration: out of range")},
      {"days are not a CEL unit", Builtin::DurationString, {text("1d")},
       error(ErrorKind::Conversion, "cannot convert '1d' to duration")},
      {"missing unit fails", Builtin::DurationString, {text("15")},
       error(ErrorKind::Conversion, "cannot convert '15' to duration")},
      {"missing number fails", Builtin::DurationString, {text("h")},
       error(ErrorKind::Conversion, "cannot convert 'h' to duration")},
      {"lone point fails", Builtin::DurationString, {text(".s")},
       error(ErrorKind::Conversion, "cannot convert '.s' to duration")},
      {"trailing space fails", Builtin::DurationString, {text("1h ")},
       error(ErrorKind::Conversion, "cannot convert '1h ' to duration")},
      {"empty string fails", Builtin::DurationString, {text("")},
       error(ErrorKind::Conversion, "cannot convert '' to duration")},
  });
}

TEST(Builtins, TimestampAccessorsInUtc) {
  Value leapDay = timestamp("2024-02-29T23:59:58.5Z");
  expectCases({
      {"year", Builtin::TimestampFullYear, {leapDay}, integer(2024)},
      {"month from zero", Builtin::TimestampMonth, {leapDay}, integer(1)},
      {"day of month from zero", Builtin::TimestampDayOfMonth, {leapDay}, integer(28)},
      {"date from one", Builtin::TimestampDate, {leapDay}, integer(29)},
      {"Thursday", Builtin::TimestampDayOfWeek, {leapDay}, integer(4)},
      {"day of year from zero", Builtin::TimestampDayOfYear, {leapDay}, integer(59)},
      {"last day of a leap year", Builtin::TimestampDayOfYear,
       {timestamp("2024-12-31T12:00:00Z")}, integer(365)},
      {"last day of a common year", Builtin::TimestampDayOfYear,
       {timestamp("2023-12-31T12:00:00Z")}, integer(364)},
      {"hours", Builtin::TimestampHours, {leapDay}, integer(23)},
      {"minutes", Builtin::TimestampMinutes, {leapDay}, integer(59)},
      {"seconds", Builtin::TimestampSeconds, {leapDay}, integer(58)},
      {"calendar date", Builtin::TimestampToDate, {leapDay}, date("2024-02-29")},
      {"before the epoch", Builtin::TimestampToDate, {timestamp("1969-12-31T23:59:59Z")},
       date("1969-12-31")},
      {"Sunday before the epoch", Builtin::TimestampDayOfWeek,
       {timestamp("1969-12-28T10:00:00Z")}, integer(0)},
  });
}

TEST(Builtins, TimestampAccessorsFollowNewYorkDst) {
  Value zone = text("America/New_York");
  // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT at 07:00Z.
  Value beforeSpring = timestamp("2026-03-08T06:59:59Z");
  Value afterSpring = timestamp("2026-03-08T07:00:00Z");
  // 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST at 06:00Z.
  Value firstOneThirty = timestamp("2026-11-01T05:30:00Z");
  Value secondOneThirty = timestamp("2026-11-01T06:30:00Z");
  expectCases({
      {"01:59 EST before the gap", Builtin::TimestampHoursZone, {beforeSpring, zone},
       integer(1)},
      {"03:00 EDT after the gap", Builtin::TimestampHoursZone, {afterSpring, zone}, integer(3)},
      {"minutes across the gap", Builtin::TimestampMinutesZone, {beforeSpring, zone},
       integer(59)},
      {"01:30 EDT", Builtin::TimestampHoursZone, {firstOneThirty, zone}, integer(1)},
      {"01:30 EST repeated", Builtin::TimestampHoursZone, {secondOneThirty, zone}, integer(1)},
      {"Sunday in the zone", Builtin::TimestampDayOfWeekZone, {afterSpring, zone}, integer(0)},
      {"previous day in the zone", Builtin::TimestampToDateZone,
       {timestamp("2026-03-08T04:59:59Z"), zone}, date("2026-03-07")},
      {"global date function", Builtin::DateTimestampZone,
       {timestamp("2026-03-08T05:00:00Z"), zone}, date("2026-03-08")},
      {"UTC date differs", Builtin::TimestampToDate, {timestamp("2026-03-08T04:59:59Z")},
       date("2026-03-08")},
      {"year in the zone", Builtin::TimestampFullYearZone,
       {timestamp("2027-01-01T04:00:00Z"), zone}, integer(2026)},
      {"month in the zone", Builtin::TimestampMonthZone,
       {timestamp("2027-01-01T04:00:00Z"), zone}, integer(11)},
      {"day of month in the zone", Builtin::TimestampDayOfMonthZone,
       {timestamp("2027-01-01T04:00:00Z"), zone}, integer(30)},
      {"date in the zone", Builtin::TimestampDateZone,
       {timestamp("2027-01-01T04:00:00Z"), zone}, integer(31)},
      {"day of year in the zone", Builtin::TimestampDayOfYearZone,
       {timestamp("2027-01-01T04:00:00Z"), zone}, integer(364)},
  });
}

TEST(Builtins, TimestampAccessorsTakeFixedOffsets) {
  Value lateEvening = timestamp("2026-01-01T23:30:00Z");
  Value earlyMorning = timestamp("2026-01-01T03:00:00Z");
  expectCases({
      {"east of UTC crosses midnight", Builtin::TimestampDateZone,
       {lateEvening, text("+02:00")}, integer(2)},
      {"east of UTC hours", Builtin::TimestampHoursZone, {lateEvening, text("+02:00")},
       integer(1)},
      {"quarter-hour offset", Builtin::TimestampMinutesZone, {lateEvening, text("+05:45")},
       integer(15)},
      {"west of UTC goes back a year", Builtin::TimestampFullYearZone,
       {earlyMorning, text("-05:00")}, integer(2025)},
      {"west of UTC last day of year", Builtin::TimestampDayOfYearZone,
       {earlyMorning, text("-05:00")}, integer(364)},
      {"UTC by name", Builtin::TimestampHoursZone, {earlyMorning, text("UTC")}, integer(3)},
      {"zero offset", Builtin::TimestampHoursZone, {earlyMorning, text("+00:00")}, integer(3)},
      {"date before year one", Builtin::TimestampToDateZone,
       {timestamp("0001-01-01T00:00:00Z"), text("-05:00")},
       error(ErrorKind::Range,
             "the date of 0001-01-01T00:00:00Z in -05:00 is outside years 0001 to 9999")},
  });
}

TEST(Builtins, UnknownTimeZonesAreErrors) {
  Value instant = timestamp("2026-01-01T00:00:00Z");
  expectCases({
      {"unknown name", Builtin::TimestampHoursZone, {instant, text("Mars/Base")},
       error(ErrorKind::TimeZone, "unknown time zone 'Mars/Base'")},
      {"offset beyond 23 hours", Builtin::TimestampHoursZone, {instant, text("+24:00")},
       error(ErrorKind::TimeZone, "unknown time zone '+24:00'")},
      {"offset without minutes", Builtin::TimestampHoursZone, {instant, text("+02")},
       error(ErrorKind::TimeZone, "unknown time zone '+02'")},
      {"host zone", Builtin::DateTimestampZone, {instant, text("localtime")},
       error(ErrorKind::TimeZone, "unknown time zone 'localtime'")},
      {"empty name", Builtin::TimestampToDateZone, {instant, text("")},
       error(ErrorKind::TimeZone, "unknown time zone ''")},
  });
  // A name seen before gets the same result from the cache.
  expectCases({
      {"unknown name again", Builtin::TimestampHoursZone, {instant, text("Mars/Base")},
       error(ErrorKind::TimeZone, "unknown time zone 'Mars/Base'")},
      {"known name again", Builtin::TimestampHoursZone, {instant, text("America/New_York")},
       integer(19)},
  });
}

TEST(Builtins, TimeZoneCacheSurvivesReplacement) {
  // More zones than the cache holds, twice over, so entries are replaced.
  const char* zones[] = {"Europe/Paris",   "Europe/London",      "Asia/Tokyo",
                         "Asia/Kolkata",   "Australia/Sydney",   "America/Chicago",
                         "America/Denver", "America/Los_Angeles", "Africa/Cairo",
                         "Europe/Berlin",  "Europe/Madrid",      "Asia/Shanghai",
                         "Asia/Dubai",     "America/Sao_Paulo",  "Pacific/Auckland",
                         "Europe/Moscow",  "Asia/Singapore",     "America/Toronto"};
  const int expectedHours[] = {13, 12, 21, 17, 23, 6, 5, 4, 14, 13, 13, 20, 16, 9, 1, 15, 20, 7};
  Value instant = timestamp("2026-01-01T12:00:00Z");
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < std::size(zones); ++i) {
      Value hours = call(Builtin::TimestampHoursZone, {instant, text(zones[i])});
      EXPECT_TRUE(sameValue(hours, integer(expectedHours[i]))) << zones[i] << ": "
                                                               << describe(hours);
    }
  }
}

TEST(Builtins, TimesOutsideYearsOneTo9999AreRangeErrors) {
  Value lateTimestamp = Value::timestamp(INT64_MAX);
  Value earlyTimestamp = Value::timestamp(timestamp("0001-01-01T00:00:00Z").asInt() - 1);
  Value lateDate = Value::date(INT64_MAX);
  Value earlyDate = Value::date(date("0001-01-01").asInt() - 1);
  std::string lateTimestampMessage = "timestamp out of range (years 0001 to 9999): " +
                                     std::to_string(INT64_MAX) + " microseconds since 1970";
  std::string lateDateMessage = "date out of range (years 0001 to 9999): " +
                                std::to_string(INT64_MAX) + " days since 1970-01-01";
  expectCases({
      {"accessor", Builtin::TimestampFullYear, {lateTimestamp},
       error(ErrorKind::Range, lateTimestampMessage)},
      {"accessor with a zone", Builtin::TimestampHoursZone, {lateTimestamp, text("UTC")},
       error(ErrorKind::Range, lateTimestampMessage)},
      {"conversion to text", Builtin::StringTimestamp, {lateTimestamp},
       error(ErrorKind::Range, lateTimestampMessage)},
      {"days since", Builtin::DaysSinceTimestamp, {lateTimestamp},
       error(ErrorKind::Range, lateTimestampMessage)},
      {"before year one", Builtin::IntTimestamp, {earlyTimestamp},
       error(ErrorKind::Range, "timestamp out of range (years 0001 to 9999): -62135596800000001 "
                               "microseconds since 1970")},
      {"last instant", Builtin::TimestampFullYear, {timestamp("9999-12-31T23:59:59.999999Z")},
       integer(9999)},
      {"date accessor", Builtin::DateYear, {lateDate}, error(ErrorKind::Range, lateDateMessage)},
      {"date to text", Builtin::StringDate, {lateDate}, error(ErrorKind::Range, lateDateMessage)},
      {"days until", Builtin::DaysUntilDate, {lateDate}, error(ErrorKind::Range, lateDateMessage)},
      {"date before year one", Builtin::DateDay, {earlyDate},
       error(ErrorKind::Range, "date out of range (years 0001 to 9999): -719163 days since "
                               "1970-01-01")},
      {"last date", Builtin::DateYear, {date("9999-12-31")}, integer(9999)},
  });
}

TEST(Builtins, DaysSinceUntilCountWholeDays) {
  int64_t now = timestamp("2026-03-10T12:00:00Z").asInt();
  expectCases(
      {
          {"one day and 23 hours ago", Builtin::DaysSinceTimestamp,
           {timestamp("2026-03-08T13:00:00Z")}, integer(1)},
          {"exactly two days ago", Builtin::DaysSinceTimestamp,
           {timestamp("2026-03-08T12:00:00Z")}, integer(2)},
          {"future truncates toward zero", Builtin::DaysSinceTimestamp,
           {timestamp("2026-03-12T11:00:00Z")}, integer(-1)},
          {"until the future", Builtin::DaysUntilTimestamp,
           {timestamp("2026-03-12T11:00:00Z")}, integer(1)},
          {"until the past", Builtin::DaysUntilTimestamp, {timestamp("2026-03-08T13:00:00Z")},
           integer(-1)},
          {"date two days ago", Builtin::DaysSinceDate, {date("2026-03-08")}, integer(2)},
          {"today", Builtin::DaysSinceDate, {date("2026-03-10")}, integer(0)},
          {"date across a leap day", Builtin::DaysSinceDate, {date("2024-02-28")},
           integer(741)},
          {"date in two days", Builtin::DaysUntilDate, {date("2026-03-12")}, integer(2)},
          {"date in the past", Builtin::DaysUntilDate, {date("2026-03-09")}, integer(-1)},
      },
      now);
  // Before the epoch, today is the floor of `now` in days.
  int64_t beforeEpoch = timestamp("1969-12-31T12:00:00Z").asInt();
  expectCases({{"today before the epoch", Builtin::DaysSinceDate, {date("1969-12-31")},
                integer(0)}},
              beforeEpoch);
}

TEST(Builtins, DateAndDurationAccessors) {
  expectCases({
      {"year", Builtin::DateYear, {date("2024-02-29")}, integer(2024)},
      {"month from one", Builtin::DateMonth, {date("2024-02-29")}, integer(2)},
      {"day from one", Builtin::DateDay, {date("2024-02-29")}, integer(29)},
      {"Thursday", Builtin::DateDayOfWeek, {date("2024-02-29")}, integer(4)},
      {"Sunday", Builtin::DateDayOfWeek, {date("2026-03-08")}, integer(0)},
      {"Saturday before the epoch", Builtin::DateDayOfWeek, {date("1969-12-27")}, integer(6)},
      {"first day", Builtin::DateYear, {date("0001-01-01")}, integer(1)},
      {"hours", Builtin::DurationHours, {duration(150 * kMinute)}, integer(2)},
      {"minutes", Builtin::DurationMinutes, {duration(150 * kMinute)}, integer(150)},
      {"seconds", Builtin::DurationSeconds, {duration(90 * kSecond + 999999)}, integer(90)},
      {"milliseconds", Builtin::DurationMilliseconds, {duration(1500999)}, integer(1500)},
      {"negative hours truncate", Builtin::DurationHours, {duration(-90 * kMinute)},
       integer(-1)},
      {"negative minutes", Builtin::DurationMinutes, {duration(-90 * kMinute)}, integer(-90)},
      {"negative seconds truncate", Builtin::DurationSeconds, {duration(-1500 * 1000)},
       integer(-1)},
      {"negative milliseconds truncate", Builtin::DurationMilliseconds, {duration(-1999)},
       integer(-1)},
  });
}

TEST(Builtins, AbsFailsOnlyOnTheSmallestInt) {
  expectCases({
      {"negative int", Builtin::AbsInt, {integer(-7)}, integer(7)},
      {"largest int", Builtin::AbsInt, {integer(-INT64_MAX)}, integer(INT64_MAX)},
      {"smallest int overflows", Builtin::AbsInt, {integer(INT64_MIN)},
       error(ErrorKind::Overflow, "integer overflow in `abs`")},
      {"negative double", Builtin::AbsDouble, {floating(-2.5)}, floating(2.5)},
      {"negative zero", Builtin::AbsDouble, {floating(-0.0)}, floating(0.0)},
      {"NaN stays NaN", Builtin::AbsDouble, {floating(kNaN)}, floating(kNaN)},
      {"negative infinity", Builtin::AbsDouble, {floating(-kInfinity)}, floating(kInfinity)},
      {"negative decimal keeps scale", Builtin::AbsDecimal, {decimal(-1250, 2)},
       decimal(1250, 2)},
      {"positive decimal", Builtin::AbsDecimal, {decimal(3, 0)}, decimal(3, 0)},
      {"smallest coefficient overflows", Builtin::AbsDecimal, {decimal(INT64_MIN, 2)},
       error(ErrorKind::Overflow, "integer overflow in `abs`")},
  });
}

TEST(Builtins, StringTestsCompareCodePoints) {
  Value name = text("Am\u00e9lie");
  expectCases({
      {"contains accented substring", Builtin::StringContains, {name, text("m\u00e9")},
       Value::boolean(true)},
      {"decomposed accent is another text", Builtin::StringContains,
       {name, text("me\u0301")}, Value::boolean(false)},
      {"contains empty", Builtin::StringContains, {text(""), text("")}, Value::boolean(true)},
      {"starts with", Builtin::StringStartsWith, {name, text("Am")}, Value::boolean(true)},
      {"does not start with", Builtin::StringStartsWith, {name, text("am")},
       Value::boolean(false)},
      {"ends with", Builtin::StringEndsWith, {name, text("\u00e9lie")}, Value::boolean(true)},
      {"longer suffix", Builtin::StringEndsWith, {text("a"), text("ba")},
       Value::boolean(false)},
  });
}

TEST(Builtins, MatchesSearchesWithRe2) {
  expectCases({
      {"search anywhere", Builtin::StringMatches, {text("abc"), text("b")},
       Value::boolean(true)},
      {"anchored", Builtin::StringMatches, {text("abc"), text("^b")}, Value::boolean(false)},
      {"dot matches one code point", Builtin::MatchesString,
       {text("Am\u00e9lie"), text("^Am.lie$")}, Value::boolean(true)},
      {"case-insensitive flag", Builtin::MatchesString,
       {text("VIP customer"), text("(?i)^vip\\b")}, Value::boolean(true)},
      {"Unicode class", Builtin::StringMatches, {text("\u01c5"), text("^\\p{Lt}$")},
       Value::boolean(true)},
      {"unbalanced parenthesis", Builtin::StringMatches, {text("x"), text("(")},
       error(ErrorKind::InvalidArgument, "invalid regular expression '(': missing ): (")},
      {"backreference unsupported", Builtin::MatchesString, {text("aa"), text("(a)\\1")},
       error(ErrorKind::InvalidArgument,
             "invalid regular expression '(a)\\1': invalid escape sequence: \\1")},
  });
  // The cache keeps fewer patterns than this, so entries are replaced, and each must still match.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 40; ++i) {
      std::string pattern = "^" + std::to_string(i) + "$";
      std::string subject = std::to_string(i);
      Value result = call(Builtin::StringMatches, {Value::string(subject), Value::string(pattern)});
      EXPECT_TRUE(sameValue(result, Value::boolean(true))) << pattern << ": " << describe(result);
    }
  }
}

TEST(Builtins, LowerAndUpperMapUnicodeCase) {
  expectCases({
      {"lower accented", Builtin::StringLower, {text("AM\u00c9LIE")}, text("am\u00e9lie")},
      {"upper accented", Builtin::StringUpper, {text("Am\u00e9lie")}, text("AM\u00c9LIE")},
      {"lower titlecase digraph", Builtin::StringLower, {text("\u01c5")}, text("\u01c6")},
      {"upper titlecase digraph", Builtin::StringUpper, {text("\u01c5")}, text("\u01c4")},
      {"Greek", Builtin::StringUpper, {text("\u03c9mega")}, text("\u03a9MEGA")},
      {"sharp s becomes capital sharp s", Builtin::StringUpper, {text("stra\u00dfe")},
       text("STRA\u1e9eE")},
      {"unchanged", Builtin::StringLower, {text("already lower")}, text("already lower")},
      {"invalid UTF-8", Builtin::StringUpper, {text("ab\xc3")},
       error(ErrorKind::InvalidArgument,
             "the string passed to `upper` is not valid UTF-8 at byte 2")},
  });
  // An unchanged string is the argument itself, not a copy.
  Value owned = Value::string("no capitals");
  Value lowered = call(Builtin::StringLower, {owned});
  EXPECT_EQ(lowered.asString().data(), owned.asString().data());
}

TEST(Builtins, TrimRemovesUnicodeWhiteSpace) {
  expectCases({
      {"ASCII white space", Builtin::StringTrim, {text(" \t Am\u00e9lie \n\r")},
       text("Am\u00e9lie")},
      {"no-break and ideographic spaces", Builtin::StringTrim, {text("\u00a0x y\u3000")},
       text("x y")},
      {"line separator", Builtin::StringTrim, {text("\u2028x\u2029")}, text("x")},
      {"only white space", Builtin::StringTrim, {text(" \u2003 ")}, text("")},
      {"zero width space is not white space", Builtin::StringTrim, {text("\u200bx")},
       text("\u200bx")},
      {"nothing to trim", Builtin::StringTrim, {text("x")}, text("x")},
      {"empty", Builtin::StringTrim, {text("")}, text("")},
      {"stray continuation byte at the end", Builtin::StringTrim, {text("x\x80")},
       error(ErrorKind::InvalidArgument,
             "the string passed to `trim` is not valid UTF-8 at byte 1")},
      {"truncated code point at the start", Builtin::StringTrim, {text("\xc3")},
       error(ErrorKind::InvalidArgument,
             "the string passed to `trim` is not valid UTF-8 at byte 0")},
  });
  // A trimmed string outlives the argument whose text it came from.
  Value trimmed;
  {
    Value owned = Value::string("  temporary  ");
    trimmed = call(Builtin::StringTrim, {owned});
  }
  EXPECT_EQ(trimmed.asString(), "temporary");
}

TEST(Builtins, EqualsIgnoreCaseFoldsUnicodeCase) {
  expectCases({
      {"ASCII", Builtin::StringEqualsIgnoreCase, {text("Gold"), text("GOLD")},
       Value::boolean(true)},
      {"ASCII different length", Builtin::StringEqualsIgnoreCase, {text("abc"), text("abcd")},
       Value::boolean(false)},
      {"ASCII different", Builtin::StringEqualsIgnoreCase, {text("a"), text("b")},
       Value::boolean(false)},
      {"accented", Builtin::StringEqualsIgnoreCase, {text("Am\u00e9lie"), text("AM\u00c9LIE")},
       Value::boolean(true)},
      {"titlecase and lower digraph", Builtin::StringEqualsIgnoreCase,
       {text("\u01c5"), text("\u01c6")}, Value::boolean(true)},
      {"titlecase and upper digraph", Builtin::StringEqualsIgnoreCase,
       {text("\u01c5"), text("\u01c4")}, Value::boolean(true)},
      {"full folding of sharp s", Builtin::StringEqualsIgnoreCase,
       {text("stra\u00dfe"), text("STRASSE")}, Value::boolean(true)},
      {"final sigma", Builtin::StringEqualsIgnoreCase, {text("\u03c3"), text("\u03c2")},
       Value::boolean(true)},
      {"prefix only", Builtin::StringEqualsIgnoreCase, {text("\u00e9"), text("\u00c9x")},
       Value::boolean(false)},
      {"decomposed accent differs", Builtin::StringEqualsIgnoreCase,
       {text("\u00e9"), text("e\u0301")}, Value::boolean(false)},
      {"invalid UTF-8", Builtin::StringEqualsIgnoreCase, {text("\u00e9"), text("\xe9")},
       error(ErrorKind::InvalidArgument,
             "the strings passed to `equals_ignore_case` are not valid UTF-8")},
  });
}

// A list of ints 0..count-1, each `repeats` times in a row.
Value intRun(int count, int repeats) {
  std::vector<Value> items;
  for (int i = 0; i < count; ++i) {
    for (int r = 0; r < repeats; ++r) items.push_back(integer(i));
  }
  return list(std::move(items));
}

TEST(Builtins, DistinctKeepsFirstOccurrences) {
  expectCases({
      {"ints", Builtin::ListDistinct,
       {list({integer(3), integer(1), integer(3), integer(2), integer(1)})},
       list({integer(3), integer(1), integer(2)})},
      {"empty", Builtin::ListDistinct, {list({})}, list({})},
      {"strings", Builtin::ListDistinct, {list({text("b"), text("a"), text("b")})},
       list({text("b"), text("a")})},
      {"NaN equals nothing", Builtin::ListDistinct, {list({floating(kNaN), floating(kNaN)})},
       list({floating(kNaN), floating(kNaN)})},
      {"decimals by value keep the first scale", Builtin::ListDistinct,
       {list({decimal(10, 1), decimal(100, 2), decimal(2, 0)})},
       list({decimal(10, 1), decimal(2, 0)})},
      {"nested lists", Builtin::ListDistinct,
       {list({list({integer(1)}), list({integer(1)}), list({})})},
       list({list({integer(1)}), list({})})},
      {"hashed ints", Builtin::ListDistinct, {intRun(40, 2)}, intRun(40, 1)},
  });
  std::vector<Value> doubles;
  std::vector<Value> decimals;
  for (int i = 0; i < 30; ++i) {
    doubles.push_back(floating(i % 2 == 0 ? 0.0 : -0.0));
    decimals.push_back(decimal(i % 3 == 0 ? 5 : 50, i % 3 == 0 ? 0 : 1));
  }
  doubles.push_back(floating(kNaN));
  doubles.push_back(floating(kNaN));
  expectCases({
      {"hashed zeros are equal", Builtin::ListDistinct, {list(doubles)},
       list({floating(0.0), floating(kNaN), floating(kNaN)})},
      {"hashed decimals by value", Builtin::ListDistinct, {list(decimals)},
       list({decimal(5, 0)})},
  });
  // A list without duplicates is returned as it is.
  Value unique = list({integer(1), integer(2)});
  Value result = call(Builtin::ListDistinct, {unique});
  EXPECT_EQ(result.listItems().data(), unique.listItems().data());
}

TEST(Builtins, ExcludeRemovesEqualElements) {
  std::vector<Value> evens;
  for (int i = 0; i < 40; i += 2) evens.push_back(integer(i));
  std::vector<Value> odds;
  for (int i = 1; i < 40; i += 2) odds.push_back(integer(i));
  expectCases({
      {"ints", Builtin::ListExclude,
       {list({integer(1), integer(2), integer(3), integer(2)}), list({integer(2)})},
       list({integer(1), integer(3)})},
      {"nothing to remove", Builtin::ListExclude, {list({integer(1)}), list({})},
       list({integer(1)})},
      {"empty list", Builtin::ListExclude, {list({}), list({integer(1)})}, list({})},
      {"everything removed", Builtin::ListExclude,
       {list({text("a"), text("a")}), list({text("b"), text("a")})}, list({})},
      {"NaN is never removed", Builtin::ListExclude,
       {list({floating(kNaN), floating(1.0)}), list({floating(kNaN), floating(1.0)})},
       list({floating(kNaN)})},
      {"decimals by value", Builtin::ListExclude,
       {list({decimal(10, 1), decimal(15, 1)}), list({decimal(1, 0)})},
       list({decimal(15, 1)})},
      {"hashed ints", Builtin::ListExclude, {intRun(40, 1), list(evens)}, list(odds)},
  });
}

TEST(Builtins, SliceElementsAreRows) {
  runtime::Table table;
  table.name = "Order";
  table.rowCount = 50;
  Value orders = Value::slice(&table, 10, 14);
  auto row = [&](uint32_t index) { return Value::row(&table, index); };
  std::vector<Value> manyRows;
  for (uint32_t i = 0; i < 40; ++i) manyRows.push_back(Value::row(&table, i));
  Value longSlice = Value::slice(&table, 0, 40);
  std::vector<Value> oddRows;
  for (uint32_t i = 1; i < 40; i += 2) oddRows.push_back(Value::row(&table, i));
  std::vector<Value> evenRows;
  for (uint32_t i = 0; i < 40; i += 2) evenRows.push_back(Value::row(&table, i));
  expectCases({
      {"count", Builtin::ListCount, {orders}, integer(4)},
      {"size", Builtin::SizeList, {orders}, integer(4)},
      {"first", Builtin::ListFirst, {orders}, row(10)},
      {"last", Builtin::ListLast, {orders}, row(13)},
      {"distinct", Builtin::ListDistinct, {orders}, list({row(10), row(11), row(12), row(13)})},
      {"exclude rows", Builtin::ListExclude, {orders, list({row(11), row(13), row(20)})},
       list({row(10), row(12)})},
      {"exclude hashed rows", Builtin::ListExclude, {longSlice, list(evenRows)}, list(oddRows)},
      {"rows do not order", Builtin::ListMin, {orders},
       error(ErrorKind::InvalidArgument, "`min` cannot order values of types row and row")},
      {"rows do not sum", Builtin::ListSumInt, {orders},
       error(ErrorKind::InvalidArgument,
             "`sum` expects a list of int, found an element of type row")},
      {"empty slice", Builtin::ListFirst, {Value::slice(&table, 5, 5)}, Value::null()},
  });
}

TEST(Builtins, SumChecksOverflow) {
  expectCases({
      {"ints", Builtin::ListSumInt, {list({integer(1), integer(2), integer(3)})}, integer(6)},
      {"empty ints", Builtin::ListSumInt, {list({})}, integer(0)},
      {"int overflow", Builtin::ListSumInt, {list({integer(INT64_MAX), integer(1)})},
       error(ErrorKind::Overflow, "integer overflow in `+`")},
      {"overflow that would cancel still fails", Builtin::ListSumInt,
       {list({integer(INT64_MAX), integer(1), integer(-1)})},
       error(ErrorKind::Overflow, "integer overflow in `+`")},
      {"doubles", Builtin::ListSumDouble, {list({floating(0.5), floating(0.25)})},
       floating(0.75)},
      {"empty doubles", Builtin::ListSumDouble, {list({})}, floating(0.0)},
      {"doubles with NaN", Builtin::ListSumDouble, {list({floating(1.0), floating(kNaN)})},
       floating(kNaN)},
      {"decimals exact", Builtin::ListSumDecimal, {list({decimal(110, 2), decimal(2205, 3)})},
       decimal(3305, 3)},
      {"decimals take ints", Builtin::ListSumDecimal, {list({decimal(15, 1), integer(2)})},
       decimal(35, 1)},
      {"empty decimals", Builtin::ListSumDecimal, {list({})}, decimal(0, 0)},
      {"decimal overflow", Builtin::ListSumDecimal,
       {list({decimal(INT64_MAX, 0), decimal(1, 0)})},
       error(ErrorKind::Overflow, "decimal overflow in `+`: the result needs more than 18 significant digits")},
      {"durations", Builtin::ListSumDuration, {list({duration(kHour), duration(-30 * kMinute)})},
       duration(30 * kMinute)},
      {"empty durations", Builtin::ListSumDuration, {list({})}, duration(0)},
      {"duration overflow", Builtin::ListSumDuration,
       {list({duration(INT64_MAX), duration(1)})},
       error(ErrorKind::Overflow, "integer overflow in `+`")},
      {"wrong element kind", Builtin::ListSumInt, {list({integer(1), floating(1.0)})},
       error(ErrorKind::InvalidArgument,
             "`sum` expects a list of int, found an element of type double")},
      {"null element", Builtin::ListSumDouble, {list({Value::null()})},
       error(ErrorKind::InvalidArgument,
             "`sum` expects a list of double, found an element of type null")},
  });
}

TEST(Builtins, AvgComputesMeanOrNull) {
  expectCases({
      {"ints give a double", Builtin::ListAvgInt, {list({integer(1), integer(2)})},
       floating(1.5)},
      {"ints do not overflow", Builtin::ListAvgInt,
       {list({integer(INT64_MAX), integer(INT64_MAX)})}, floating(0x1p63)},
      {"empty ints", Builtin::ListAvgInt, {list({})}, Value::null()},
      {"doubles", Builtin::ListAvgDouble, {list({floating(1.0), floating(2.0), floating(4.0)})},
       floating(7.0 / 3.0)},
      {"empty doubles", Builtin::ListAvgDouble, {list({})}, Value::null()},
      {"decimals", Builtin::ListAvgDecimal, {list({decimal(1, 0), decimal(2, 0)})},
       decimal(15, 1)},
      {"decimals round to 18 digits", Builtin::ListAvgDecimal,
       {list({decimal(10, 0), decimal(0, 0), decimal(0, 0)})},
       decimal(333333333333333333, 17)},
      {"half rounds down to even", Builtin::ListAvgDecimal,
       {list({decimal(200000000000000001, 0), decimal(0, 0)})},
       decimal(100000000000000000, 0)},
      {"half rounds up to even", Builtin::ListAvgDecimal,
       {list({decimal(200000000000000003, 0), decimal(0, 0)})},
       decimal(100000000000000002, 0)},
      {"tiny mean keeps its digits", Builtin::ListAvgDecimal,
       {list({decimal(1, 18), decimal(0, 0)})}, decimal(5, 19)},
      {"empty decimals", Builtin::ListAvgDecimal, {list({})}, Value::null()},
      {"decimal sum overflow", Builtin::ListAvgDecimal,
       {list({decimal(INT64_MAX, 0), decimal(INT64_MAX, 0)})},
       error(ErrorKind::Overflow, "decimal overflow in `+`: the result needs more than 18 significant digits")},
      {"wrong element kind", Builtin::ListAvgInt, {list({text("1")})},
       error(ErrorKind::InvalidArgument,
             "`avg` expects a list of int, found an element of type string")},
  });
}

TEST(Builtins, MinMaxSkipNaN) {
  expectCases({
      {"min ints", Builtin::ListMin, {list({integer(3), integer(1), integer(2)})}, integer(1)},
      {"max ints", Builtin::ListMax, {list({integer(3), integer(1), integer(2)})}, integer(3)},
      {"min empty", Builtin::ListMin, {list({})}, Value::null()},
      {"max empty", Builtin::ListMax, {list({})}, Value::null()},
      {"single element", Builtin::ListMax, {list({text("only")})}, text("only")},
      {"strings by code point", Builtin::ListMin, {list({text("\u00e9"), text("z")})},
       text("z")},
      {"min skips NaN", Builtin::ListMin, {list({floating(kNaN), floating(2.0), floating(1.0)})},
       floating(1.0)},
      {"max skips NaN", Builtin::ListMax, {list({floating(2.0), floating(kNaN), floating(1.0)})},
       floating(2.0)},
      {"all NaN", Builtin::ListMax, {list({floating(kNaN), floating(kNaN)})}, floating(kNaN)},
      {"ties keep the first", Builtin::ListMin, {list({decimal(10, 1), decimal(100, 2)})},
       decimal(10, 1)},
      {"dates", Builtin::ListMax, {list({date("2024-02-29"), date("2023-12-31")})},
       date("2024-02-29")},
      {"timestamps", Builtin::ListMin,
       {list({timestamp("2026-03-08T07:00:00Z"), timestamp("2026-03-08T06:59:59Z")})},
       timestamp("2026-03-08T06:59:59Z")},
      {"negative durations", Builtin::ListMin, {list({duration(-kHour), duration(kSecond)})},
       duration(-kHour)},
      {"bools", Builtin::ListMax, {list({Value::boolean(false), Value::boolean(true)})},
       Value::boolean(true)},
      {"mixed kinds fail", Builtin::ListMax, {list({integer(1), text("a")})},
       error(ErrorKind::InvalidArgument, "`max` cannot order values of types int and string")},
      {"a single unorderable element fails", Builtin::ListMin, {list({list({})})},
       error(ErrorKind::InvalidArgument, "`min` cannot order values of type list")},
  });
}

TEST(Builtins, FirstLastNullWhenEmpty) {
  expectCases({
      {"first", Builtin::ListFirst, {list({integer(1), integer(2), integer(3)})}, integer(1)},
      {"last", Builtin::ListLast, {list({integer(1), integer(2), integer(3)})}, integer(3)},
      {"first of empty", Builtin::ListFirst, {list({})}, Value::null()},
      {"last of empty", Builtin::ListLast, {list({})}, Value::null()},
      {"count", Builtin::ListCount, {list({integer(1), integer(1)})}, integer(2)},
  });
}

TEST(Builtins, ErrorArgumentIsTheResult) {
  Value first = error(ErrorKind::DivideByZero, "division by zero");
  Value second = error(ErrorKind::Overflow, "integer overflow in `*`");
  expectCases({
      {"single argument", Builtin::IntString, {first}, first},
      {"receiver", Builtin::StringContains, {first, text("a")}, first},
      {"argument", Builtin::StringContains, {text("a"), second}, second},
      {"first error wins", Builtin::StringContains, {first, second}, first},
      {"before a zone is read", Builtin::TimestampHoursZone, {first, text("Mars/Base")}, first},
      {"element of a summed list", Builtin::ListSumInt, {list({integer(1), second})}, second},
      {"element of an averaged list", Builtin::ListAvgDouble, {list({floating(1.0), second})},
       second},
      {"element in distinct", Builtin::ListDistinct, {list({integer(1), first})}, first},
      {"element in exclude", Builtin::ListExclude, {list({integer(1)}), list({second})},
       second},
      {"element in min", Builtin::ListMin, {list({integer(1), first})}, first},
      {"first element", Builtin::ListFirst, {list({first})}, first},
  });
}

TEST(Builtins, MistypedArgumentsAreInvalid) {
  expectCases({
      {"null string", Builtin::IntString, {Value::null()},
       error(ErrorKind::InvalidArgument, "argument 1 of `int` must be of type string, not null")},
      {"null zone", Builtin::TimestampHoursZone,
       {timestamp("2026-01-01T00:00:00Z"), Value::null()},
       error(ErrorKind::InvalidArgument,
             "argument 2 of `getHours` must be of type string, not null")},
      {"null list", Builtin::ListSumInt, {Value::null()},
       error(ErrorKind::InvalidArgument, "argument 1 of `sum` must be of type list, not null")},
      {"int for a double", Builtin::AbsDouble, {integer(1)},
       error(ErrorKind::InvalidArgument, "argument 1 of `abs` must be of type double, not int")},
      {"missing argument", Builtin::StringContains, {text("a")},
       error(ErrorKind::InvalidArgument, "`contains` expects 2 arguments, got 1")},
      {"extra argument", Builtin::AbsInt, {integer(1), integer(2)},
       error(ErrorKind::InvalidArgument, "`abs` expects 1 argument, got 2")},
      {"no such builtin", Builtin::Count, {},
       error(ErrorKind::InvalidArgument,
             "unknown built-in function " +
                 std::to_string(static_cast<int>(Builtin::Count)))},
  });
}

}  // namespace
}  // namespace crm::stdlib
