// The operators of the language over Values, with CEL's error rules: int64
// overflow, division and modulo by zero, and out-of-range times are error
// values; an error operand is the result. Both engines and the built-in
// functions use these, so every operator has one definition.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/value.h"

namespace crm::runtime {

// The maximum length of a string and of a list that `+` builds. Without
// them, a chain of lets that each double a value (`let b = a + a`) would
// exhaust memory. They equal the limits of a string literal and of a child
// list.
inline constexpr size_t kMaxConcatenatedBytes = 1u << 20;
inline constexpr size_t kMaxConcatenatedElements = 1000000;
// The elements that macros may visit in one evaluation for one customer,
// nested macros included: `[1..10].map(a, [1..10].map(b, ...))` nested ten
// deep would otherwise build 10^10 values, and `exists` nested as deep
// would run for hours.
inline constexpr size_t kMaxMacroVisits = 10000000;

// A longer result of `+` is a range error.
Value add(const Value& a, const Value& b);
Value subtract(const Value& a, const Value& b);
Value multiply(const Value& a, const Value& b);
Value divide(const Value& a, const Value& b);
Value modulo(const Value& a, const Value& b);
Value negate(const Value& a);

// `<`, `<=`, `>`, `>=`: false when a NaN takes part.
enum class Ordering : uint8_t { Less, LessEqual, Greater, GreaterEqual };
Value ordered(Ordering ordering, const Value& a, const Value& b);

// CEL's commutative `&&` (isAnd) and `||` once both sides are known: the
// deciding value wins over an error on either side, otherwise the first
// error. Callers may skip the right side when the left one decides.
Value combineLogical(bool isAnd, const Value& left, const Value& right);

// `x in c`: an element of a list or a key of a map.
Value contains(const Value& collection, const Value& element);

// `t within d` at `now`: `now - d <= t <= now` for a timestamp; for a date,
// between the UTC dates of `now - d` and `now`, bounds included.
Value within(const Value& time, const Value& window, int64_t now);

// Checked int64 arithmetic for callers that hold plain integers.
bool addOverflows(int64_t a, int64_t b, int64_t& result);
bool multiplyOverflows(int64_t a, int64_t b, int64_t& result);

// Error values with the standard messages.
Value overflowError(const char* operation);
Value divideByZeroError();

}  // namespace crm::runtime
