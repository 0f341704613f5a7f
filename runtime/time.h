// Calendar arithmetic and the text forms of dates, timestamps and durations.
// Timestamps are microseconds since 1970-01-01T00:00:00Z, durations are
// microseconds, and dates are days since 1970-01-01 (proleptic Gregorian).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crm::runtime {

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// CEL's timestamp range: years 0001 to 9999.
inline constexpr int kMinYear = 1;
inline constexpr int kMaxYear = 9999;
// The first and last microsecond of that range.
inline constexpr int64_t kMinTimestamp = -62135596800LL * kMicrosPerSecond;
inline constexpr int64_t kMaxTimestamp = 253402300799LL * kMicrosPerSecond + 999999;

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

bool isLeapYear(int year);
int daysInMonth(int year, int month);
bool isValidDate(int year, int month, int day);
int64_t daysFromCivil(CivilDate date);
CivilDate civilFromDays(int64_t days);

// Parses `YYYY-MM-DD`.
std::optional<int64_t> parseDate(std::string_view text);
// Parses RFC 3339 `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; sub-microsecond
// digits are rejected rather than rounded.
std::optional<int64_t> parseTimestamp(std::string_view text);
// Returns whether parseTimestamp rejects `text` only for nonzero digits
// finer than a microsecond, such as 2025-11-02T10:00:00.123456789Z.
bool finerThanMicroseconds(std::string_view text);
// The reason parseTimestamp rejects `text`, starting with `shown`: the text
// as the message shows it, quoted.
std::string timestampProblem(std::string_view text, const std::string& shown);
// Parses a duration literal such as `30d`, `1h30m` or `500ms` (units w, d, h,
// m, s, ms, us, ns; nanoseconds must be whole microseconds). Returns nullopt
// on a malformed text or on overflow.
std::optional<int64_t> parseDurationLiteral(std::string_view text);
// Parses `HH:MM` into minutes after midnight.
std::optional<int> parseTimeOfDay(std::string_view text);

std::string formatDate(int64_t days);
std::string formatTimestamp(int64_t micros);

// Seconds with an `s` suffix and a 3- or 6-digit fraction when needed, as
// CEL and protobuf JSON write durations: `3600s`, `-1.500s`.
std::string formatDuration(int64_t micros);

// A duration as a script writes it, in the largest unit that divides it:
// `7d`, `36h`, `90m`, `45s`; other durations as formatDuration.
std::string formatShortDuration(int64_t micros);

}  // namespace crm::runtime
