#include "runtime/time.h"

#include <gtest/gtest.h>

namespace crm::runtime {
namespace {

TEST(Time, DaysFromCivilRoundTrips) {
  for (int64_t days : {-719162LL, -1LL, 0LL, 1LL, 11016LL, 20789LL, 2932896LL}) {
    EXPECT_EQ(daysFromCivil(civilFromDays(days)), days) << days;
  }
  EXPECT_EQ(daysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(daysFromCivil({2000, 3, 1}), 11017);
}

TEST(Time, ParsesDates) {
  EXPECT_EQ(parseDate("1970-01-02"), 1);
  EXPECT_EQ(parseDate("2024-02-29"), daysFromCivil({2024, 2, 29}));
  EXPECT_FALSE(parseDate("2023-02-29"));
  EXPECT_FALSE(parseDate("2026-13-01"));
  EXPECT_FALSE(parseDate("0000-01-01"));
  EXPECT_FALSE(parseDate("2026-1-01"));
}

TEST(Time, ParsesTimestampsWithOffsets) {
  EXPECT_EQ(parseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseTimestamp("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parseTimestamp("1969-12-31T19:00:00-05:00"), 0);
  EXPECT_EQ(parseTimestamp("1970-01-01T00:00:00.25Z"), 250000);
  EXPECT_EQ(parseTimestamp("1970-01-01T00:00:00.123456000Z"), 123456);
  EXPECT_FALSE(parseTimestamp("1970-01-01T00:00:00.1234567Z"));
  EXPECT_FALSE(parseTimestamp("1970-01-01T24:00:00Z"));
  EXPECT_FALSE(parseTimestamp("1970-01-01T00:00:00"));
}

TEST(Time, NamesSubMicrosecondDigits) {
  // Nanoseconds that are whole microseconds parse. Other ones do not, and
  // the message gives the reason.
  EXPECT_EQ(parseTimestamp("2025-11-02T10:00:00.123456000Z"),
            parseTimestamp("2025-11-02T10:00:00.123456Z"));
  EXPECT_FALSE(parseTimestamp("2025-11-02T10:00:00.123456789Z"));
  EXPECT_TRUE(finerThanMicroseconds("2025-11-02T10:00:00.123456789Z"));
  EXPECT_TRUE(finerThanMicroseconds("2025-11-02T10:00:00.0000001+02:00"));
  EXPECT_FALSE(finerThanMicroseconds("2025-11-02T10:00:00.123456Z"));
  EXPECT_FALSE(finerThanMicroseconds("2025-11-02T25:00:00.123456789Z"));
  EXPECT_FALSE(finerThanMicroseconds("yesterday"));
  EXPECT_EQ(timestampProblem("2025-11-02T10:00:00.123456789Z", "'x'"),
            "'x' has digits finer than a microsecond, which timestamps do not keep; give at "
            "most 6 digits after the seconds");
  EXPECT_EQ(timestampProblem("2025-11-02 10:00", "'x'"),
            "'x' is not an RFC 3339 timestamp such as 2026-12-01T09:00:00Z");
}

TEST(Time, ParsesDurationLiterals) {
  EXPECT_EQ(parseDurationLiteral("30d"), 30 * kMicrosPerDay);
  EXPECT_EQ(parseDurationLiteral("1h30m"), 5400 * kMicrosPerSecond);
  EXPECT_EQ(parseDurationLiteral("500ms"), 500000);
  EXPECT_EQ(parseDurationLiteral("2w"), 14 * kMicrosPerDay);
  EXPECT_EQ(parseDurationLiteral("3000ns"), 3);
  EXPECT_FALSE(parseDurationLiteral("1500ns"));
  EXPECT_FALSE(parseDurationLiteral("99999999999999d"));
  EXPECT_FALSE(parseDurationLiteral("d"));
}

TEST(Time, ParsesTimeOfDay) {
  EXPECT_EQ(parseTimeOfDay("21:00"), 21 * 60);
  EXPECT_EQ(parseTimeOfDay("24:00"), 24 * 60);
  EXPECT_FALSE(parseTimeOfDay("24:01"));
  EXPECT_FALSE(parseTimeOfDay("08:60"));
}

TEST(Time, FormatsTimestamps) {
  EXPECT_EQ(formatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(formatDate(daysFromCivil({2026, 12, 4})), "2026-12-04");
}

}  // namespace
}  // namespace crm::runtime
