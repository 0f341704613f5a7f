#include "loader/value_parser.h"

#include <utf8proc.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "runtime/time.h"

namespace crm::load {
namespace {

// The text between quotes for a message: at most 60 bytes, cut on a
// character boundary, with control characters and bytes that are not UTF-8
// written as \xNN, so that data never drives the terminal.
std::string quote(std::string_view text) {
  constexpr size_t kShown = 60;
  std::string shown;
  size_t i = 0;
  while (i < text.size() && i < kShown) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80 ? 1 : (byte & 0xE0) == 0xC0 ? 2 : (byte & 0xF0) == 0xE0 ? 3
                                  : (byte & 0xF8) == 0xF0 ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (!valid || byte < 0x20 || byte == 0x7F) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      shown += std::string("\\x") + kHex[byte >> 4] + kHex[byte & 15];
      ++i;
      continue;
    }
    shown.append(text.substr(i, length));
    i += length;
  }
  if (i < text.size()) shown += "...";
  return "'" + shown + "'";
}

}  // namespace

std::optional<TimeFormat> TimeFormat::compile(const std::string& layout, std::string& error) {
  TimeFormat format;
  format.layout_ = layout;
  auto add = [&](Part part) {
    format.pieces_.push_back({part, 0});
    if (part == Part::Hour || part == Part::Minute || part == Part::Second) format.hasTime_ = true;
    if (part == Part::Offset) format.hasOffset_ = true;
    if (part == Part::Year) format.hasYear_ = true;
    if (part == Part::Month) format.hasMonth_ = true;
    if (part == Part::Day) format.hasDay_ = true;
  };
  bool strftime = layout.find('%') != std::string::npos;
  for (size_t i = 0; i < layout.size(); ++i) {
    char c = layout[i];
    if (strftime) {
      if (c != '%') {
        format.pieces_.push_back({Part::Literal, c});
        continue;
      }
      char directive = i + 1 < layout.size() ? layout[++i] : '\0';
      switch (directive) {
        case 'Y': add(Part::Year); break;
        case 'm': add(Part::Month); break;
        case 'd': add(Part::Day); break;
        case 'H': add(Part::Hour); break;
        case 'M': add(Part::Minute); break;
        case 'S': add(Part::Second); break;
        case 'f': add(Part::Fraction); break;
        case 'z': add(Part::Offset); break;
        case '%': format.pieces_.push_back({Part::Literal, '%'}); break;
        default:
          error = std::string("format ") + quote(layout) + " uses %" + directive +
                  ", which is not supported; use %Y %m %d %H %M %S %f %z";
          return std::nullopt;
      }
      continue;
    }
    auto run = [&](char letter) {
      size_t end = i;
      while (end < layout.size() && layout[end] == letter) ++end;
      return end - i;
    };
    size_t length = run(c);
    if (c == 'y' && length == 4) add(Part::Year);
    else if (c == 'm' && length == 2) add(Part::Month);
    else if (c == 'd' && length == 2) add(Part::Day);
    else if (c == 'H' && length == 2) add(Part::Hour);
    else if (c == 'M' && length == 2) add(Part::Minute);
    else if (c == 'S' && length == 2) add(Part::Second);
    else if (c == 'f') add(Part::Fraction);
    else if (std::isalpha(static_cast<unsigned char>(c))) {
      error = "format " + quote(layout) + " has an unknown field '" + std::string(length, c) +
              "'; use yyyy, mm, dd, HH, MM, SS and fff";
      return std::nullopt;
    } else {
      for (size_t k = 0; k < length; ++k) format.pieces_.push_back({Part::Literal, c});
    }
    i += length - 1;
  }
  return format;
}

bool TimeFormat::read(std::string_view text, runtime::CivilTime& civil, int& offsetSeconds) const {
  size_t pos = 0;
  auto number = [&](size_t minDigits, size_t maxDigits, int& value) {
    size_t start = pos;
    value = 0;
    while (pos < text.size() && pos - start < maxDigits && text[pos] >= '0' && text[pos] <= '9') {
      value = value * 10 + (text[pos++] - '0');
    }
    return pos - start >= minDigits;
  };
  civil = {};
  offsetSeconds = 0;
  for (const Piece& piece : pieces_) {
    int value = 0;
    switch (piece.part) {
      case Part::Literal:
        if (pos >= text.size() || text[pos] != piece.literal) return false;
        ++pos;
        break;
      case Part::Year:
        if (!number(4, 4, civil.year)) return false;
        break;
      case Part::Month:
        if (!number(1, 2, civil.month)) return false;
        break;
      case Part::Day:
        if (!number(1, 2, civil.day)) return false;
        break;
      case Part::Hour:
        if (!number(1, 2, civil.hour) || civil.hour > 23) return false;
        break;
      case Part::Minute:
        if (!number(2, 2, civil.minute) || civil.minute > 59) return false;
        break;
      case Part::Second:
        if (!number(2, 2, civil.second) || civil.second > 59) return false;
        break;
      case Part::Fraction: {
        size_t start = pos;
        int64_t scale = 100000;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (scale == 0 && text[pos] != '0') return false;
          civil.micros += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start) return false;
        break;
      }
      case Part::Offset: {
        if (pos < text.size() && text[pos] == 'Z') {
          ++pos;
          break;
        }
        if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return false;
        int sign = text[pos++] == '-' ? -1 : 1;
        int hours = 0;
        int minutes = 0;
        if (!number(2, 2, hours) || hours > 23) return false;
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (!number(2, 2, minutes) || minutes > 59) return false;
        offsetSeconds = sign * (hours * 3600 + minutes * 60);
        break;
      }
    }
    (void)value;
  }
  return pos == text.size() && runtime::isValidDate(civil.year, civil.month, civil.day);
}

std::optional<int64_t> parseInt(std::string_view text, std::string& error) {
  int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  // A plus sign may lead only digits: "+-5" is no number.
  if (begin + 1 < end && *begin == '+' && begin[1] >= '0' && begin[1] <= '9') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc::result_out_of_range) {
    error = quote(text) + " is out of the int range";
    return std::nullopt;
  }
  if (ec != std::errc() || ptr != end || begin == end) {
    error = quote(text) + " is not an integer";
    return std::nullopt;
  }
  return value;
}

std::optional<double> parseDouble(std::string_view text, std::string& error) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin + 1 < end && *begin == '+' && (std::isdigit(static_cast<unsigned char>(begin[1])) ||
                                           begin[1] == '.')) {
    ++begin;
  }
  // from_chars also reads "nan(chars)"; only the plain words are numbers.
  if (text.find('(') != std::string_view::npos) {
    error = quote(text) + " is not a number";
    return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) {
    error = quote(text) + " is not a number";
    return std::nullopt;
  }
  return value;
}

std::optional<runtime::Decimal> parseDecimalField(std::string_view text,
                                                  const ValueOptions& options, std::string& error) {
  auto value = runtime::parseDecimal(text, options.decimalPoint);
  if (!value) {
    error = quote(text) + " is not a decimal with separator '" +
            std::string(1, options.decimalPoint) + "'";
    auto digits = std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits > 18) {
      error = quote(text) + " has more than 18 significant digits, the decimal limit";
    }
  }
  return value;
}

std::optional<bool> parseBool(std::string_view text, std::string& error) {
  if (text == "true" || text == "TRUE" || text == "True" || text == "1") return true;
  if (text == "false" || text == "FALSE" || text == "False" || text == "0") return false;
  error = quote(text) + " is not a bool (true, false, 1 or 0)";
  return std::nullopt;
}

std::optional<int64_t> parseDateField(std::string_view text, const ValueOptions& options,
                                      std::string& error) {
  if (!options.dateFormat) {
    if (auto days = runtime::parseDate(text)) return days;
    error = quote(text) + " is not a date in the form YYYY-MM-DD";
    return std::nullopt;
  }
  runtime::CivilTime civil;
  int offset = 0;
  if (!options.dateFormat->read(text, civil, offset)) {
    error = quote(text) + " is not a date in the form '" + options.dateFormat->layout() + "'";
    return std::nullopt;
  }
  return runtime::daysFromCivil({civil.year, civil.month, civil.day});
}

std::optional<int64_t> parseTimestampField(std::string_view text, const ValueOptions& options,
                                           std::string& error) {
  if (!options.timestampFormat) {
    if (auto micros = runtime::parseTimestamp(text)) return micros;
    error = runtime::timestampProblem(text, quote(text));
    return std::nullopt;
  }
  runtime::CivilTime civil;
  int offset = 0;
  if (!options.timestampFormat->read(text, civil, offset)) {
    error = quote(text) + " is not a timestamp in the form '" +
            options.timestampFormat->layout() + "'";
    return std::nullopt;
  }
  if (options.timestampFormat->hasOffset()) {
    int64_t days = runtime::daysFromCivil({civil.year, civil.month, civil.day});
    int64_t seconds = days * 86400 + civil.hour * 3600 + civil.minute * 60 + civil.second - offset;
    return seconds * runtime::kMicrosPerSecond + civil.micros;
  }
  return options.zone.toInstant(civil);
}

std::optional<int64_t> parseDurationField(std::string_view text, std::string& error) {
  if (auto micros = runtime::parseDurationLiteral(text)) return micros;
  error = quote(text) + " is not a duration such as 90s, 2h or 1h30m";
  return std::nullopt;
}

bool isNfcAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::optional<std::string> normalizeText(std::string_view text, std::string& error) {
  if (isNfcAscii(text)) {
    return std::string(text);  // ASCII is already in NFC
  }
  utf8proc_uint8_t* output = nullptr;
  utf8proc_ssize_t length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                         static_cast<utf8proc_ssize_t>(text.size()), &output,
                                         static_cast<utf8proc_option_t>(UTF8PROC_STABLE |
                                                                        UTF8PROC_COMPOSE));
  if (length < 0) {
    error = quote(text) + " is not valid UTF-8";
    return std::nullopt;
  }
  std::string result(reinterpret_cast<char*>(output), static_cast<size_t>(length));
  std::free(output);
  return result;
}

}  // namespace crm::load
