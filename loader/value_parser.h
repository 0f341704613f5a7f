// Turns the text of one field into a typed value for a column, following a
// source's options: decimal separator, date and timestamp formats and the
// time zone of naive timestamps. Every failure returns a message that names
// the raw text and the expected form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/decimal.h"
#include "runtime/time_zone.h"

namespace crm::load {

// A date or timestamp layout. Accepts strftime directives (%Y %m %d %H %M %S
// %f %z %%) or the letter form `yyyy-mm-dd HH:MM:SS` (lower-case mm is the
// month, upper-case MM the minute, `fff` a fraction of a second).
class TimeFormat {
 public:
  // Parses the layout; nullopt with `error` set for an unsupported one.
  static std::optional<TimeFormat> compile(const std::string& layout, std::string& error);

  const std::string& layout() const { return layout_; }
  bool hasTime() const { return hasTime_; }
  // Whether the layout names the year, the month and the day.
  bool hasDate() const { return hasYear_ && hasMonth_ && hasDay_; }
  bool hasOffset() const { return hasOffset_; }

  // Reads `text` as a whole; `offsetSeconds` is set when the layout has %z.
  bool read(std::string_view text, runtime::CivilTime& civil, int& offsetSeconds) const;

 private:
  enum class Part { Year, Month, Day, Hour, Minute, Second, Fraction, Offset, Literal };
  struct Piece {
    Part part;
    char literal = 0;
  };

  std::string layout_;
  std::vector<Piece> pieces_;
  bool hasTime_ = false;
  bool hasOffset_ = false;
  bool hasYear_ = false;
  bool hasMonth_ = false;
  bool hasDay_ = false;
};

struct ValueOptions {
  char decimalPoint = '.';
  std::optional<TimeFormat> dateFormat;       // default: YYYY-MM-DD
  std::optional<TimeFormat> timestampFormat;  // default: RFC 3339 with an offset
  runtime::TimeZone zone = runtime::TimeZone::utc();  // for timestamps without an offset
};

// Each parser returns nullopt and sets `error` when the text is not a value
// of the type.
std::optional<int64_t> parseInt(std::string_view text, std::string& error);
std::optional<double> parseDouble(std::string_view text, std::string& error);
std::optional<runtime::Decimal> parseDecimalField(std::string_view text,
                                                  const ValueOptions& options, std::string& error);
std::optional<bool> parseBool(std::string_view text, std::string& error);
std::optional<int64_t> parseDateField(std::string_view text, const ValueOptions& options,
                                      std::string& error);
std::optional<int64_t> parseTimestampField(std::string_view text, const ValueOptions& options,
                                           std::string& error);
std::optional<int64_t> parseDurationField(std::string_view text, std::string& error);

// Whether `text` is plain ASCII, which is valid UTF-8 in NFC already.
bool isNfcAscii(std::string_view text);

// NFC normalisation of valid UTF-8; nullopt with `error` for invalid bytes.
std::optional<std::string> normalizeText(std::string_view text, std::string& error);

}  // namespace crm::load
