#include "loader/value_parser.h"

#include <gtest/gtest.h>

#include "runtime/time.h"

namespace crm::load {
namespace {

TEST(ValueParser, Integers) {
  std::string error;
  EXPECT_EQ(parseInt("42", error), 42);
  EXPECT_EQ(parseInt("-7", error), -7);
  EXPECT_EQ(parseInt("+7", error), 7);
  EXPECT_EQ(parseInt("9223372036854775807", error), INT64_MAX);
  EXPECT_FALSE(parseInt("9223372036854775808", error));
  EXPECT_EQ(error, "'9223372036854775808' is out of the int range");
  EXPECT_FALSE(parseInt("4.0128e+10", error));
  EXPECT_EQ(error, "'4.0128e+10' is not an integer");
  EXPECT_FALSE(parseInt("", error));
  EXPECT_FALSE(parseInt(" 1", error));
}

TEST(ValueParser, DecimalsAreExact) {
  std::string error;
  ValueOptions options;
  auto value = parseDecimalField("4.440892e-16", options, error);
  ASSERT_TRUE(value);
  EXPECT_EQ(value->coefficient, 4440892);
  EXPECT_EQ(value->scale, 22);
  EXPECT_EQ(runtime::formatDecimal(*parseDecimalField("-12.50", options, error)), "-12.50");
  EXPECT_FALSE(parseDecimalField("1.234,56", options, error));
  EXPECT_EQ(error, "'1.234,56' is not a decimal with separator '.'");
  options.decimalPoint = ',';
  EXPECT_EQ(runtime::formatDecimal(*parseDecimalField("1234,56", options, error)), "1234.56");
  EXPECT_FALSE(parseDecimalField("12345678901234567890", options, error));
  EXPECT_EQ(error, "'12345678901234567890' has more than 18 significant digits, the decimal limit");
}

TEST(ValueParser, DecimalsCompareByValue) {
  auto a = *runtime::parseDecimal("10");
  auto b = *runtime::parseDecimal("10.00");
  auto c = *runtime::parseDecimal("10.01");
  EXPECT_TRUE(runtime::decimalEquals(a, b));
  EXPECT_TRUE(runtime::compareDecimal(b, c) < 0);
  EXPECT_TRUE(runtime::compareDecimal(*runtime::parseDecimal("-0.5"), a) < 0);
}

TEST(ValueParser, BoolsAreStrict) {
  std::string error;
  EXPECT_EQ(parseBool("true", error), true);
  EXPECT_EQ(parseBool("0", error), false);
  EXPECT_FALSE(parseBool("yes", error));
  EXPECT_EQ(error, "'yes' is not a bool (true, false, 1 or 0)");
}

TEST(ValueParser, DatesWithFormats) {
  std::string error;
  ValueOptions options;
  EXPECT_EQ(parseDateField("2017-03-03", options, error), runtime::daysFromCivil({2017, 3, 3}));
  options.dateFormat = TimeFormat::compile("dd-mm-yyyy", error);
  ASSERT_TRUE(options.dateFormat);
  EXPECT_EQ(parseDateField("04-09-2012", options, error), runtime::daysFromCivil({2012, 9, 4}));
  EXPECT_FALSE(parseDateField("31-02-2012", options, error));
  EXPECT_EQ(error, "'31-02-2012' is not a date in the form 'dd-mm-yyyy'");
  options.dateFormat = TimeFormat::compile("%d/%m/%Y", error);
  EXPECT_EQ(parseDateField("4/9/2012", options, error), runtime::daysFromCivil({2012, 9, 4}));
}

TEST(ValueParser, UnsupportedFormatsAreRejected) {
  std::string error;
  EXPECT_FALSE(TimeFormat::compile("%b %d", error));
  EXPECT_EQ(error, "format '%b %d' uses %b, which is not supported; use %Y %m %d %H %M %S %f %z");
  EXPECT_FALSE(TimeFormat::compile("yy-mm-dd", error));
}

TEST(ValueParser, NaiveTimestampsUseTheSourceZone) {
  std::string error;
  ValueOptions options;
  options.timestampFormat = TimeFormat::compile("%Y-%m-%d %H:%M:%S", error);
  options.zone = *runtime::TimeZone::load("America/New_York");
  // Winter: UTC-5.
  EXPECT_EQ(parseTimestampField("2017-01-28 14:06:53", options, error),
            *runtime::parseTimestamp("2017-01-28T19:06:53Z"));
  // Summer: UTC-4.
  EXPECT_EQ(parseTimestampField("2017-07-01 12:00:00", options, error),
            *runtime::parseTimestamp("2017-07-01T16:00:00Z"));
  // 01:30 happens twice on 2017-11-05; the first occurrence is EDT.
  EXPECT_EQ(parseTimestampField("2017-11-05 01:30:00", options, error),
            *runtime::parseTimestamp("2017-11-05T05:30:00Z"));
  // 02:30 does not exist on 2017-03-12; it moves forward to 03:30 EDT.
  EXPECT_EQ(parseTimestampField("2017-03-12 02:30:00", options, error),
            *runtime::parseTimestamp("2017-03-12T07:30:00Z"));
  EXPECT_FALSE(parseTimestampField("2017-01-28T14:06:53", options, error));
  EXPECT_EQ(error, "'2017-01-28T14:06:53' is not a timestamp in the form '%Y-%m-%d %H:%M:%S'");
}

TEST(ValueParser, TimestampsWithOffsets) {
  std::string error;
  ValueOptions options;
  EXPECT_EQ(parseTimestampField("2017-01-28T14:06:53-05:00", options, error),
            *runtime::parseTimestamp("2017-01-28T19:06:53Z"));
  options.timestampFormat = TimeFormat::compile("%Y-%m-%d %H:%M:%S%z", error);
  EXPECT_EQ(parseTimestampField("2017-01-28 14:06:53+0100", options, error),
            *runtime::parseTimestamp("2017-01-28T13:06:53Z"));
}

TEST(ValueParser, TextIsNormalizedToNfc) {
  std::string error;
  // "e" followed by a combining acute accent becomes the single code point U+00E9.
  EXPECT_EQ(normalizeText("caf\x65\xCC\x81", error), "caf\xC3\xA9");
  EXPECT_EQ(normalizeText("plain", error), "plain");
  EXPECT_FALSE(normalizeText("bad \xFF byte", error));
}

TEST(ValueParser, TimeZonesLoadByName) {
  EXPECT_TRUE(runtime::TimeZone::load("Asia/Tokyo"));
  EXPECT_FALSE(runtime::TimeZone::load("Mars/Olympus_Mons"));
  auto tokyo = *runtime::TimeZone::load("Asia/Tokyo");
  auto civil = tokyo.toCivil(*runtime::parseTimestamp("2021-10-23T09:13:00Z"));
  EXPECT_EQ(civil.hour, 18);
  EXPECT_EQ(civil.minute, 13);
  EXPECT_EQ(civil.day, 23);
}

}  // namespace
}  // namespace crm::load

namespace crm::load {
namespace {

TEST(ValueParser, MessagesEscapeControlBytes) {
  std::string error;
  EXPECT_FALSE(parseInt("4\x1b[31m2", error));
  EXPECT_EQ(error, "'4\\x1B[31m2' is not an integer");
  EXPECT_FALSE(parseInt("7\xff", error));
  EXPECT_EQ(error, "'7\\xFF' is not an integer");
}

}  // namespace
}  // namespace crm::load
