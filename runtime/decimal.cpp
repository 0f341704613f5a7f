#include "runtime/decimal.h"

#include <cstdlib>

namespace crm::runtime {
namespace {

// GCC's 128-bit integer; `__extension__` keeps -Wpedantic quiet about it.
__extension__ typedef __int128 Int128;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<Decimal> parseDecimal(std::string_view text, char point) {
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    negative = text[pos] == '-';
    ++pos;
  }
  Int128 coefficient = 0;
  int32_t scale = 0;
  size_t digits = 0;
  bool seenPoint = false;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == point && !seenPoint) {
      seenPoint = true;
      continue;
    }
    if (!isDigit(c)) {
      break;
    }
    ++digits;
    coefficient = coefficient * 10 + (c - '0');
    if (coefficient > INT64_MAX) {
      return std::nullopt;
    }
    if (seenPoint) {
      ++scale;
    }
  }
  if (digits == 0) {
    return std::nullopt;
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool negativeExponent = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      negativeExponent = text[pos] == '-';
      ++pos;
    }
    int32_t exponent = 0;
    size_t exponentDigits = 0;
    for (; pos < text.size() && isDigit(text[pos]); ++pos, ++exponentDigits) {
      exponent = exponent * 10 + (text[pos] - '0');
      if (exponent > 1000) {
        return std::nullopt;
      }
    }
    if (exponentDigits == 0) {
      return std::nullopt;
    }
    scale += negativeExponent ? exponent : -exponent;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  // A negative scale (1.5e3) becomes whole digits.
  while (scale < 0) {
    coefficient *= 10;
    if (coefficient > INT64_MAX) {
      return std::nullopt;
    }
    ++scale;
  }
  if (scale > kMaxDecimalScale) {
    return std::nullopt;
  }
  auto value = static_cast<int64_t>(coefficient);
  return Decimal{negative ? -value : value, scale};
}

std::string formatDecimal(Decimal value) {
  bool negative = value.coefficient < 0;
  // The magnitude of INT64_MIN does not fit an int64; go through unsigned.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value.coefficient)
                                : static_cast<uint64_t>(value.coefficient);
  std::string digits = std::to_string(magnitude);
  if (value.scale > 0) {
    auto scale = static_cast<size_t>(value.scale);
    if (digits.size() <= scale) {
      digits = std::string(scale - digits.size() + 1, '0') + digits;
    }
    digits = digits.substr(0, digits.size() - scale) + "." + digits.substr(digits.size() - scale);
  }
  return negative ? "-" + digits : digits;
}

std::strong_ordering compareDecimal(Decimal a, Decimal b) {
  // Bring both to the larger scale in 128 bits; beyond that width the
  // integer parts decide.
  int32_t scale = std::max(a.scale, b.scale);
  auto widen = [scale](Decimal d, bool& overflow) {
    Int128 value = d.coefficient;
    for (int32_t s = d.scale; s < scale; ++s) {
      if (value > static_cast<Int128>(1) << 120 || value < -(static_cast<Int128>(1) << 120)) {
        overflow = true;
        return value;
      }
      value *= 10;
    }
    return value;
  };
  bool overflowA = false;
  bool overflowB = false;
  Int128 x = widen(a, overflowA);
  Int128 y = widen(b, overflowB);
  if (!overflowA && !overflowB) {
    return x < y ? std::strong_ordering::less
                 : x > y ? std::strong_ordering::greater : std::strong_ordering::equal;
  }
  // One side is huge after scaling, so the other one's sign and size decide.
  long double da = static_cast<long double>(a.coefficient);
  long double db = static_cast<long double>(b.coefficient);
  for (int32_t s = 0; s < a.scale; ++s) da /= 10;
  for (int32_t s = 0; s < b.scale; ++s) db /= 10;
  return da < db ? std::strong_ordering::less
                 : da > db ? std::strong_ordering::greater : std::strong_ordering::equal;
}

}  // namespace crm::runtime
