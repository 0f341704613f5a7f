// The built-in functions as the evaluation engines call them. Each
// overload of stdlib/signatures.cpp has one `Builtin` id; lowering maps a
// checked call to its id once, so no name is looked up at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "runtime/activity.h"
#include "runtime/store.h"
#include "runtime/value.h"

namespace crm::stdlib {

#define CRM_BUILTINS(X) \
  X(SizeString, "size_string") \
  X(SizeList, "size_list") \
  X(SizeSet, "size_set") \
  X(SizeMap, "size_map") \
  X(StringSize, "string_size") \
  X(ListSize, "list_size") \
  X(SetSize, "set_size") \
  X(MapSize, "map_size") \
  X(IntInt, "int_int") \
  X(IntDouble, "int_double") \
  X(IntDecimal, "int_decimal") \
  X(IntString, "int_string") \
  X(IntTimestamp, "int_timestamp") \
  X(DoubleDouble, "double_double") \
  X(DoubleInt, "double_int") \
  X(DoubleDecimal, "double_decimal") \
  X(DoubleString, "double_string") \
  X(DecimalDecimal, "decimal_decimal") \
  X(DecimalInt, "decimal_int") \
  X(DecimalDouble, "decimal_double") \
  X(DecimalString, "decimal_string") \
  X(StringString, "string_string") \
  X(StringInt, "string_int") \
  X(StringDouble, "string_double") \
  X(StringDecimal, "string_decimal") \
  X(StringBool, "string_bool") \
  X(StringDate, "string_date") \
  X(StringTimestamp, "string_timestamp") \
  X(StringDuration, "string_duration") \
  X(BoolString, "bool_string") \
  X(TimestampString, "timestamp_string") \
  X(DurationString, "duration_string") \
  X(DateString, "date_string") \
  X(DateTimestampZone, "date_timestamp_zone") \
  X(DaysSinceTimestamp, "days_since_timestamp") \
  X(DaysSinceDate, "days_since_date") \
  X(DaysUntilTimestamp, "days_until_timestamp") \
  X(DaysUntilDate, "days_until_date") \
  X(TimestampFullYear, "timestamp_full_year") \
  X(TimestampFullYearZone, "timestamp_full_year_zone") \
  X(TimestampMonth, "timestamp_month") \
  X(TimestampMonthZone, "timestamp_month_zone") \
  X(TimestampDayOfMonth, "timestamp_day_of_month") \
  X(TimestampDayOfMonthZone, "timestamp_day_of_month_zone") \
  X(TimestampDate, "timestamp_date") \
  X(TimestampDateZone, "timestamp_date_zone") \
  X(TimestampDayOfWeek, "timestamp_day_of_week") \
  X(TimestampDayOfWeekZone, "timestamp_day_of_week_zone") \
  X(TimestampDayOfYear, "timestamp_day_of_year") \
  X(TimestampDayOfYearZone, "timestamp_day_of_year_zone") \
  X(TimestampHours, "timestamp_hours") \
  X(TimestampHoursZone, "timestamp_hours_zone") \
  X(TimestampMinutes, "timestamp_minutes") \
  X(TimestampMinutesZone, "timestamp_minutes_zone") \
  X(TimestampSeconds, "timestamp_seconds") \
  X(TimestampToDate, "timestamp_to_date") \
  X(TimestampToDateZone, "timestamp_to_date_zone") \
  X(DateYear, "date_year") \
  X(DateMonth, "date_month") \
  X(DateDay, "date_day") \
  X(DateDayOfWeek, "date_day_of_week") \
  X(DurationHours, "duration_hours") \
  X(DurationMinutes, "duration_minutes") \
  X(DurationSeconds, "duration_seconds") \
  X(DurationMilliseconds, "duration_milliseconds") \
  X(AbsInt, "abs_int") \
  X(AbsDouble, "abs_double") \
  X(AbsDecimal, "abs_decimal") \
  X(StringContains, "string_contains") \
  X(StringStartsWith, "string_starts_with") \
  X(StringEndsWith, "string_ends_with") \
  X(StringMatches, "string_matches") \
  X(MatchesString, "matches_string") \
  X(StringLower, "string_lower") \
  X(StringUpper, "string_upper") \
  X(StringTrim, "string_trim") \
  X(StringEqualsIgnoreCase, "string_equals_ignore_case") \
  X(ListDistinct, "list_distinct") \
  X(ListExclude, "list_exclude") \
  X(ListCount, "list_count") \
  X(ListSumInt, "list_sum_int") \
  X(ListSumDouble, "list_sum_double") \
  X(ListSumDecimal, "list_sum_decimal") \
  X(ListSumDuration, "list_sum_duration") \
  X(ListAvgInt, "list_avg_int") \
  X(ListAvgDouble, "list_avg_double") \
  X(ListAvgDecimal, "list_avg_decimal") \
  X(ListMin, "list_min") \
  X(ListMax, "list_max") \
  X(ListFirst, "list_first") \
  X(ListLast, "list_last") \
  X(Favourite, "favourite") \
  X(FavouriteWeightsInt, "favourite_weights_int") \
  X(FavouriteWeightsDouble, "favourite_weights_double") \
  X(Purchased, "purchased") \
  X(Viewed, "viewed") \
  X(Carted, "carted") \
  X(Popular, "popular") \
  X(PopularWithin, "popular_within") \
  X(PopularWithinOptional, "popular_within_optional") \
  X(BoughtTogetherList, "bought_together_list") \
  X(BoughtTogetherProduct, "bought_together_product") \
  X(Similar, "similar") \
  X(ListDiverse, "list_diverse") \
  X(Fallback, "fallback") \
  X(ListFallback, "list_fallback") \
  X(ListTake, "list_take")

enum class Builtin : uint16_t {
#define CRM_BUILTIN_ENUM(name, id) name,
  CRM_BUILTINS(CRM_BUILTIN_ENUM)
#undef CRM_BUILTIN_ENUM
  Count
};

// The id of a signature's overload (`size_list` is Builtin::SizeList).
std::optional<Builtin> builtinById(std::string_view id);
std::string_view builtinId(Builtin builtin);

// The name a script calls, such as `size`.
std::string_view builtinName(Builtin builtin);

// Whether the run-time kinds of `arguments` fit the overload's parameter
// types: for calls whose `dyn` arguments leave the overload open until run
// time.
bool accepts(Builtin builtin, const runtime::Value* arguments, size_t count);

// The state a built-in may read besides its arguments.
struct BuiltinContext {
  int64_t now = 0;  // microseconds since the epoch
  // The loaded data and the current customer, for the recommendation
  // functions; null without data or outside a customer's evaluation.
  const runtime::Store* store = nullptr;
  const runtime::ActivitySchema* activity = nullptr;
  const runtime::Table* customers = nullptr;
  uint32_t customer = 0;
};

// Whether `builtin` reads the data, the customer or `now`, so that a call
// with constant arguments must not be folded before the run.
bool readsRunState(Builtin builtin);

// Calls `builtin` with `arguments` (the receiver first for a method). An
// error argument is the result; a failure is an error value of its kind.
runtime::Value callBuiltin(Builtin builtin, const runtime::Value* arguments, size_t count,
                           const BuiltinContext& context);

}  // namespace crm::stdlib
