// Exact decimal numbers: an int64 coefficient and a base-10 scale, so that
// 12.50 is {1250, 2}. Values compare by value whatever their scale
// (10 == 10.00). Arithmetic that leaves the int64 range is an error rather
// than a rounding.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crm::runtime {

struct Decimal {
  int64_t coefficient = 0;
  int32_t scale = 0;  // digits after the point; may exceed 18 for tiny values
};

// The largest scale kept; a value with more fractional digits is rejected.
inline constexpr int32_t kMaxDecimalScale = 38;
// The largest coefficient: 18 significant digits, the precision the
// language promises. Every coefficient fits in an int64, and so does the
// sum of two.
inline constexpr int64_t kMaxDecimalCoefficient = 999'999'999'999'999'999;

// Parses `-12.50`, `+3`, `.5`, `4.440892e-16`, with `point` as the decimal
// separator. Returns nullopt on malformed text or beyond 18 significant
// digits.
std::optional<Decimal> parseDecimal(std::string_view text, char point = '.');

// Text with the value's own scale: {1250, 2} is "12.50".
std::string formatDecimal(Decimal value);

// Three-way comparison by value.
std::strong_ordering compareDecimal(Decimal a, Decimal b);
inline bool decimalEquals(Decimal a, Decimal b) { return compareDecimal(a, b) == 0; }

}  // namespace crm::runtime

namespace crm::runtime {

// Arithmetic. Each returns nullopt when the exact result does not fit an
// int64 coefficient (the caller reports an overflow) or, for division, when
// the divisor is zero.
std::optional<Decimal> addDecimal(Decimal a, Decimal b);
std::optional<Decimal> subtractDecimal(Decimal a, Decimal b);
std::optional<Decimal> multiplyDecimal(Decimal a, Decimal b);
// Keeps 18 significant digits, rounded half to even.
std::optional<Decimal> divideDecimal(Decimal a, Decimal b);
// The remainder with the sign of the dividend, as for int.
std::optional<Decimal> moduloDecimal(Decimal a, Decimal b);
std::optional<Decimal> negateDecimal(Decimal a);
inline Decimal decimalFromInt(int64_t i) { return Decimal{i, 0}; }
double decimalToDouble(Decimal d);
// The integer part, truncated toward zero.
int64_t decimalTruncate(Decimal d);
// The shortest decimal that reads back as `d`; nullopt for NaN, infinities
// and values beyond 18 significant digits.
std::optional<Decimal> decimalFromDouble(double d);

}  // namespace crm::runtime
