#include "runtime/time.h"

#include <cstdio>
#include <utility>

namespace crm::runtime {
namespace {

bool digitsAt(std::string_view text, size_t pos, size_t count, int& value) {
  if (pos + count > text.size()) {
    return false;
  }
  value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

bool isLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int daysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeapYear(year) ? 29 : kDays[month - 1];
}

bool isValidDate(int year, int month, int day) {
  return year >= kMinYear && year <= kMaxYear && month >= 1 && month <= 12 && day >= 1 &&
         day <= daysInMonth(year, month);
}

// Days from civil, after the well-known era-based algorithm (eras of 400
// years, March-based years so that the leap day falls last).
int64_t daysFromCivil(CivilDate date) {
  int64_t year = date.year - (date.month <= 2 ? 1 : 0);
  int64_t era = (year >= 0 ? year : year - 399) / 400;
  int64_t yearOfEra = year - era * 400;
  int64_t monthFromMarch = date.month > 2 ? date.month - 3 : date.month + 9;
  int64_t dayOfYear = (153 * monthFromMarch + 2) / 5 + date.day - 1;
  int64_t dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

CivilDate civilFromDays(int64_t days) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t dayOfEra = days - era * 146097;
  int64_t yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
  int64_t dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
  int64_t monthFromMarch = (5 * dayOfYear + 2) / 153;
  int day = static_cast<int>(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1);
  int month = static_cast<int>(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9);
  int year = static_cast<int>(yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
  return {year, month, day};
}

std::optional<int64_t> parseDate(std::string_view text) {
  CivilDate date;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !digitsAt(text, 0, 4, date.year) || !digitsAt(text, 5, 2, date.month) ||
      !digitsAt(text, 8, 2, date.day) || !isValidDate(date.year, date.month, date.day)) {
    return std::nullopt;
  }
  return daysFromCivil(date);
}

bool finerThanMicroseconds(std::string_view text) {
  if (text.size() < 27 || text[19] != '.') return false;
  size_t end = 20;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  if (end - 20 <= 6) return false;
  std::string rounded(text.substr(0, 26));
  rounded += text.substr(end);
  return parseTimestamp(rounded).has_value();
}

std::string timestampProblem(std::string_view text, const std::string& shown) {
  if (finerThanMicroseconds(text)) {
    return shown + " has digits finer than a microsecond, which timestamps do not keep; "
                   "give at most 6 digits after the seconds";
  }
  return shown + " is not an RFC 3339 timestamp such as 2026-12-01T09:00:00Z";
}

std::optional<int64_t> parseTimestamp(std::string_view text) {
  // RFC 3339 (section 5.6) allows a lower-case `t` and `z`.
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't')) {
    return std::nullopt;
  }
  auto days = parseDate(text.substr(0, 10));
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!days || !digitsAt(text, 11, 2, hour) || text[13] != ':' ||
      !digitsAt(text, 14, 2, minute) || text[16] != ':' || !digitsAt(text, 17, 2, second) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100'000;
    size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (scale == 0) {
        if (text[pos] != '0') {
          return std::nullopt;
        }
      } else {
        micros += (text[pos] - '0') * scale;
        scale /= 10;
      }
      ++pos;
    }
    if (pos == first) {
      return std::nullopt;
    }
  }
  int64_t offsetSeconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int offsetHours = 0;
    int offsetMinutes = 0;
    if (!digitsAt(text, pos + 1, 2, offsetHours) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !digitsAt(text, pos + 4, 2, offsetMinutes) ||
        offsetHours > 23 || offsetMinutes > 59) {
      return std::nullopt;
    }
    offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  int64_t seconds = *days * 86'400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  // The instant itself must lie in years 0001 to 9999, once the offset applies.
  int64_t minimum = daysFromCivil({kMinYear, 1, 1}) * 86'400;
  int64_t maximum = (daysFromCivil({kMaxYear, 12, 31}) + 1) * 86'400;
  if (seconds < minimum || seconds >= maximum) {
    return std::nullopt;
  }
  return seconds * kMicrosPerSecond + micros;
}

std::optional<int64_t> parseDurationLiteral(std::string_view text) {
  int64_t total = 0;
  size_t pos = 0;
  int64_t previousUnit = INT64_MAX;  // units must get strictly smaller: 1h30m, not 30m1h
  if (text.empty()) {
    return std::nullopt;
  }
  while (pos < text.size()) {
    int64_t amount = 0;
    size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (__builtin_mul_overflow(amount, 10, &amount) ||
          __builtin_add_overflow(amount, text[pos] - '0', &amount)) {
        return std::nullopt;
      }
      ++pos;
    }
    if (pos == first || pos == text.size()) {
      return std::nullopt;
    }
    int64_t unitMicros = 0;
    int64_t divisor = 1;
    std::string_view rest = text.substr(pos);
    if (rest.substr(0, 2) == "ms") {
      unitMicros = 1000;
      pos += 2;
    } else if (rest.substr(0, 2) == "us") {
      unitMicros = 1;
      pos += 2;
    } else if (rest.substr(0, 2) == "ns") {
      unitMicros = 1;
      divisor = 1000;
      pos += 2;
    } else {
      switch (rest[0]) {
        case 'w': unitMicros = 7 * kMicrosPerDay; break;
        case 'd': unitMicros = kMicrosPerDay; break;
        case 'h': unitMicros = 3600 * kMicrosPerSecond; break;
        case 'm': unitMicros = 60 * kMicrosPerSecond; break;
        case 's': unitMicros = kMicrosPerSecond; break;
        default: return std::nullopt;
      }
      ++pos;
    }
    if (amount % divisor != 0) {
      return std::nullopt;
    }
    int64_t unitSize = unitMicros * 1000 / divisor;
    if (unitSize >= previousUnit) {
      return std::nullopt;
    }
    previousUnit = unitSize;
    int64_t part = 0;
    if (__builtin_mul_overflow(amount / divisor, unitMicros, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return std::nullopt;
    }
  }
  return total;
}

std::optional<int> parseTimeOfDay(std::string_view text) {
  int hour = 0;
  int minute = 0;
  if (text.size() != 5 || text[2] != ':' || !digitsAt(text, 0, 2, hour) ||
      !digitsAt(text, 3, 2, minute) || hour > 24 || minute > 59 || (hour == 24 && minute != 0)) {
    return std::nullopt;
  }
  return hour * 60 + minute;
}

std::string formatDate(int64_t days) {
  CivilDate date = civilFromDays(days);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.year, date.month, date.day);
  return buffer;
}

std::string formatTimestamp(int64_t micros) {
  int64_t days = micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
  int64_t inDay = micros - days * kMicrosPerDay;
  int64_t seconds = inDay / kMicrosPerSecond;
  int64_t fraction = inDay % kMicrosPerSecond;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "T%02d:%02d:%02d", static_cast<int>(seconds / 3600),
                static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60));
  std::string text = formatDate(days) + buffer;
  if (fraction != 0) {
    std::snprintf(buffer, sizeof buffer, ".%06d", static_cast<int>(fraction));
    text += buffer;
  }
  return text + "Z";
}

std::string formatDuration(int64_t micros) {
  bool negative = micros < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  std::string text = (negative ? "-" : "") + std::to_string(magnitude / 1'000'000);
  uint64_t fraction = magnitude % 1'000'000;
  if (fraction != 0) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "%06llu", static_cast<unsigned long long>(fraction));
    text += '.';
    text += fraction % 1000 == 0 ? std::string(digits, 3) : std::string(digits, 6);
  }
  return text + "s";
}

std::string formatShortDuration(int64_t micros) {
  static const std::pair<int64_t, const char*> kUnits[] = {{kMicrosPerDay, "d"},
                                                           {3600 * kMicrosPerSecond, "h"},
                                                           {60 * kMicrosPerSecond, "m"},
                                                           {kMicrosPerSecond, "s"}};
  for (const auto& [size, unit] : kUnits) {
    if (micros != 0 && micros % size == 0) return std::to_string(micros / size) + unit;
  }
  return formatDuration(micros);
}

}  // namespace crm::runtime
