// When a message goes out: a campaign's delay and send time in the
// customer's time zone, then the channel's quiet hours, send window and
// send days. Also the calendar periods of channel capacities and pressure
// windows. All of it is civil-time arithmetic through runtime::TimeZone, so
// it stays right across daylight-saving changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/lower/ir.h"
#include "runtime/time_zone.h"

namespace crm::run {

// The instant a campaign asks for, before the channel's hours apply: `now`
// plus the delay, counted in local calendar days when it is whole days, at
// the campaign's `send_at` local time when it has one. A `send_at` that has
// already passed today (with no delay) moves to tomorrow.
int64_t requestedTime(const ir::Campaign& campaign, int64_t now, const runtime::TimeZone& local);

// Whether `channel` may send at `at`.
bool channelOpen(const ir::Channel& channel, int64_t at, const runtime::TimeZone& local,
                 const runtime::TimeZone& channelZone);

// The first instant at or after `at` when `channel` may send, or nullopt
// when there is none within 14 days (hours that never open).
std::optional<int64_t> nextOpening(const ir::Channel& channel, int64_t at,
                                   const runtime::TimeZone& local,
                                   const runtime::TimeZone& channelZone);

// The start of the calendar period containing `at` in `zone`, and the start
// of the period `count` periods later (negative counts go back).
int64_t periodStart(ir::Period period, int64_t at, const runtime::TimeZone& zone);
int64_t shiftPeriods(ir::Period period, int64_t start, int64_t count,
                     const runtime::TimeZone& zone);

// `2021-11-08T14:00:00-05:00`: the instant as a local time with its offset.
std::string formatLocal(int64_t at, const runtime::TimeZone& zone);

const char* periodName(ir::Period period);

}  // namespace crm::run
