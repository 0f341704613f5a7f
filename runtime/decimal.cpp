#include "runtime/decimal.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace crm::runtime {
namespace {

// GCC's 128-bit integer; `__extension__` keeps -Wpedantic quiet about it.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

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
    if (coefficient > kMaxDecimalCoefficient) {
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
    if (coefficient > kMaxDecimalCoefficient) {
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
  if (a.scale == b.scale) return a.coefficient <=> b.coefficient;
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


namespace {

bool fits(Int128 value) {
  return value >= -kMaxDecimalCoefficient && value <= kMaxDecimalCoefficient;
}

Int128 pow10(int32_t n) {
  Int128 result = 1;
  for (int32_t i = 0; i < n; ++i) result *= 10;
  return result;
}

// Brings a coefficient from `from` digits after the point to `to` (> from).
bool rescale(Int128& value, int32_t from, int32_t to) {
  for (int32_t s = from; s < to; ++s) {
    value *= 10;
    if (!fits(value)) return false;
  }
  return true;
}

// A decimal from a coefficient already known to fit an int64.
Decimal make(Int128 value, int32_t scale) {
  return Decimal{static_cast<int64_t>(value), scale};
}

std::optional<Decimal> addScaled(Decimal a, Decimal b, bool subtract) {
  int32_t scale = std::max(a.scale, b.scale);
  Int128 x = a.coefficient;
  Int128 y = b.coefficient;
  if (!rescale(x, a.scale, scale) || !rescale(y, b.scale, scale)) return std::nullopt;
  Int128 sum = subtract ? x - y : x + y;
  if (!fits(sum)) return std::nullopt;
  return make(sum, scale);
}

// Divides with rounding half to even.
Int128 divideRounded(Int128 numerator, Int128 denominator) {
  Int128 quotient = numerator / denominator;
  Int128 remainder = numerator % denominator;
  if (remainder == 0) return quotient;
  Int128 twice = remainder * 2;
  if (twice < 0) twice = -twice;
  Int128 absDenominator = denominator < 0 ? -denominator : denominator;
  bool negative = (numerator < 0) != (denominator < 0);
  if (twice > absDenominator || (twice == absDenominator && quotient % 2 != 0)) {
    quotient += negative ? -1 : 1;
  }
  return quotient;
}

// Counts by comparing with powers of ten rather than by dividing: 128-bit
// division is a library call, and `avg` counts the digits of 36-digit numbers.
int digitCount(Int128 value) {
  UInt128 magnitude = value < 0 ? -static_cast<UInt128>(value) : static_cast<UInt128>(value);
  int digits = 1;
  UInt128 bound = 10;
  while (magnitude >= bound) {
    ++digits;
    // 10^38 is the largest power of ten below 2^128.
    if (digits == 39) break;
    bound *= 10;
  }
  return digits;
}

}  // namespace

std::optional<Decimal> addDecimal(Decimal a, Decimal b) { return addScaled(a, b, false); }

std::optional<Decimal> subtractDecimal(Decimal a, Decimal b) { return addScaled(a, b, true); }

std::optional<Decimal> multiplyDecimal(Decimal a, Decimal b) {
  int32_t scale = a.scale + b.scale;
  int32_t kept = std::max(a.scale, b.scale);
  // Trailing zeros beyond the larger operand scale carry no information.
  // Most products fit in 64 bits, where dividing by ten is cheap.
  int64_t narrow = 0;
  if (!__builtin_mul_overflow(a.coefficient, b.coefficient, &narrow)) {
    while (scale > kept && narrow % 10 == 0) {
      narrow /= 10;
      --scale;
    }
    if (!fits(narrow) || scale > kMaxDecimalScale) return std::nullopt;
    return Decimal{narrow, scale};
  }
  Int128 product = static_cast<Int128>(a.coefficient) * b.coefficient;
  while (scale > kept && product % 10 == 0) {
    product /= 10;
    --scale;
  }
  if (!fits(product) || scale > kMaxDecimalScale) return std::nullopt;
  return make(product, scale);
}

std::optional<Decimal> divideDecimal(Decimal a, Decimal b) {
  if (b.coefficient == 0) return std::nullopt;
  if (a.coefficient == 0) return Decimal{0, 0};
  // a / b = (ca / cb) * 10^(sb - sa). Scale the numerator so the quotient
  // has 18 significant digits, then round half to even.
  Int128 numerator = a.coefficient;
  Int128 denominator = b.coefficient;
  int32_t scale = a.scale - b.scale;
  // Grow the numerator while the quotient has fewer than 18 digits and the
  // 128-bit product stays safe. A quotient of q digits gains exactly one
  // digit per power of ten, so a nonzero one jumps there at once.
  Int128 whole = numerator / denominator;
  if (whole != 0) {
    int shift = std::min(std::max(0, 18 - digitCount(whole)),
                         std::max(0, 36 - digitCount(numerator)));
    numerator *= pow10(shift);
    scale += shift;
  } else {
    // Below 1: first scale the numerator up to one digit short of the
    // denominator, which keeps the quotient 0.
    int shift = std::max(0, digitCount(denominator) - digitCount(numerator) - 1);
    shift = std::min(shift, std::max(0, 35 - digitCount(numerator)));
    numerator *= pow10(shift);
    scale += shift;
    while (digitCount(numerator / denominator) < 18 && digitCount(numerator) < 36) {
      numerator *= 10;
      ++scale;
    }
  }
  Int128 quotient = divideRounded(numerator, denominator);
  while (!fits(quotient) || digitCount(quotient) > 18) {
    quotient = divideRounded(quotient, 10);
    --scale;
  }
  // Strip trailing zeros down to scale 0, in 64 bits: the quotient fits.
  int64_t narrow = static_cast<int64_t>(quotient);
  while (scale > 0 && narrow % 10 == 0) {
    narrow /= 10;
    --scale;
  }
  quotient = narrow;
  while (scale < 0) {
    quotient *= 10;
    if (!fits(quotient)) return std::nullopt;
    ++scale;
  }
  if (scale > kMaxDecimalScale) {
    quotient = divideRounded(quotient, pow10(scale - kMaxDecimalScale));
    scale = kMaxDecimalScale;
  }
  return make(quotient, scale);
}

std::optional<Decimal> moduloDecimal(Decimal a, Decimal b) {
  if (b.coefficient == 0) return std::nullopt;
  int32_t scale = std::max(a.scale, b.scale);
  Int128 x = a.coefficient;
  Int128 y = b.coefficient;
  if (!rescale(x, a.scale, scale) || !rescale(y, b.scale, scale)) return std::nullopt;
  return make(x % y, scale);
}

std::optional<Decimal> negateDecimal(Decimal a) {
  if (a.coefficient == INT64_MIN) return std::nullopt;
  return Decimal{-a.coefficient, a.scale};
}

double decimalToDouble(Decimal d) {
  // Through the text form, so that 0.1 becomes the double nearest to 1/10.
  std::string text = formatDecimal(d);
  return std::strtod(text.c_str(), nullptr);
}

int64_t decimalTruncate(Decimal d) {
  Int128 value = d.coefficient;
  if (d.scale > 38) return 0;
  return static_cast<int64_t>(value / pow10(d.scale));
}

std::optional<Decimal> decimalFromDouble(double d) {
  if (!std::isfinite(d)) return std::nullopt;
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  if (ec != std::errc()) return std::nullopt;
  return parseDecimal(std::string_view(buffer, static_cast<size_t>(end - buffer)));
}

}  // namespace crm::runtime
