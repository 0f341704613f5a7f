#include "run/schedule.h"

#include <algorithm>
#include <cstdio>

#include "runtime/time.h"

namespace crm::run {

using runtime::CivilTime;
using runtime::kMicrosPerDay;
using runtime::TimeZone;

namespace {

constexpr int64_t kMicrosPerMinute = 60 * runtime::kMicrosPerSecond;

int64_t civilDays(const CivilTime& civil) {
  return runtime::daysFromCivil({civil.year, civil.month, civil.day});
}

CivilTime atDay(int64_t days, int minute) {
  runtime::CivilDate date = runtime::civilFromDays(days);
  CivilTime civil;
  civil.year = date.year;
  civil.month = date.month;
  civil.day = date.day;
  civil.hour = minute / 60;
  civil.minute = minute % 60;
  return civil;
}

// 0 for Monday to 6 for Sunday.
int weekday(int64_t days) {
  int64_t d = (days + 3) % 7;  // 1970-01-01 was a Thursday
  return static_cast<int>(d < 0 ? d + 7 : d);
}

bool inHours(const ir::DailyHours& hours, int minute) {
  if (hours.startMinute <= hours.endMinute) {
    return hours.startMinute <= minute && minute < hours.endMinute;
  }
  return minute >= hours.startMinute || minute < hours.endMinute;
}

int minuteOf(const CivilTime& civil) { return civil.hour * 60 + civil.minute; }

// The zone whose clock the channel's days are read on: the send window's,
// else the quiet hours', else the channel's own.
const TimeZone& daysZone(const ir::Channel& channel, const TimeZone& local,
                         const TimeZone& channelZone) {
  if (channel.sendWindow.present) return channel.sendWindow.local ? local : channelZone;
  if (channel.quiet.present) return channel.quiet.local ? local : channelZone;
  return channelZone;
}

}  // namespace

int64_t requestedTime(const ir::Campaign& campaign, int64_t now, const TimeZone& local) {
  if (campaign.delay == 0 && campaign.sendAtMinute < 0) return now;
  bool wholeDays = campaign.delay % kMicrosPerDay == 0;
  CivilTime civil = local.toCivil(wholeDays ? now : now + campaign.delay);
  if (wholeDays && campaign.delay != 0) {
    runtime::CivilDate date = runtime::civilFromDays(civilDays(civil) + campaign.delay / kMicrosPerDay);
    civil.year = date.year;
    civil.month = date.month;
    civil.day = date.day;
  }
  if (campaign.sendAtMinute < 0) {
    return wholeDays ? local.toInstant(civil) : now + campaign.delay;
  }
  CivilTime at = atDay(civilDays(civil), campaign.sendAtMinute);
  int64_t instant = local.toInstant(at);
  if (instant < now) instant = local.toInstant(atDay(civilDays(civil) + 1, campaign.sendAtMinute));
  return instant;
}

bool channelOpen(const ir::Channel& channel, int64_t at, const TimeZone& local,
                 const TimeZone& channelZone) {
  if (channel.quiet.present) {
    const TimeZone& zone = channel.quiet.local ? local : channelZone;
    if (inHours(channel.quiet, minuteOf(zone.toCivil(at)))) return false;
  }
  if (channel.sendWindow.present) {
    const TimeZone& zone = channel.sendWindow.local ? local : channelZone;
    if (!inHours(channel.sendWindow, minuteOf(zone.toCivil(at)))) return false;
  }
  if (channel.sendDays != 0x7f) {
    CivilTime civil = daysZone(channel, local, channelZone).toCivil(at);
    if ((channel.sendDays >> weekday(civilDays(civil)) & 1) == 0) return false;
  }
  return true;
}

std::optional<int64_t> nextOpening(const ir::Channel& channel, int64_t at, const TimeZone& local,
                                   const TimeZone& channelZone) {
  const int64_t limit = at + 14 * kMicrosPerDay;
  int64_t t = at;
  // Each step moves to the end of the closed stretch that contains `t`: the end
  // of the quiet hours, the next start of the send window, or the next
  // midnight of a day the channel does not send on.
  for (int step = 0; step < 64 && t <= limit; ++step) {
    if (channelOpen(channel, t, local, channelZone)) return t;
    int64_t next = t + kMicrosPerMinute;
    auto later = [&](const TimeZone& zone, int minute) {
      CivilTime civil = zone.toCivil(t);
      int64_t day = civilDays(civil);
      int64_t candidate = zone.toInstant(atDay(day, minute));
      if (candidate <= t) candidate = zone.toInstant(atDay(day + 1, minute));
      return candidate;
    };
    if (channel.quiet.present) {
      const TimeZone& zone = channel.quiet.local ? local : channelZone;
      if (inHours(channel.quiet, minuteOf(zone.toCivil(t)))) {
        next = later(zone, channel.quiet.endMinute);
        t = std::max(t + 1, next);
        continue;
      }
    }
    if (channel.sendWindow.present) {
      const TimeZone& zone = channel.sendWindow.local ? local : channelZone;
      if (!inHours(channel.sendWindow, minuteOf(zone.toCivil(t)))) {
        next = later(zone, channel.sendWindow.startMinute);
        t = std::max(t + 1, next);
        continue;
      }
    }
    // On a day the channel does not send, move to the next day at the start
    // of the send window or at midnight. The next step checks quiet hours.
    const TimeZone& zone = daysZone(channel, local, channelZone);
    int start = channel.sendWindow.present ? channel.sendWindow.startMinute : 0;
    next = zone.toInstant(atDay(civilDays(zone.toCivil(t)) + 1, start));
    t = std::max(t + 1, next);
  }
  return std::nullopt;
}

int64_t periodStart(ir::Period period, int64_t at, const TimeZone& zone) {
  CivilTime civil = zone.toCivil(at);
  int64_t days = civilDays(civil);
  switch (period) {
    case ir::Period::Hour: {
      CivilTime hour = atDay(days, civil.hour * 60);
      return zone.toInstant(hour);
    }
    case ir::Period::Day: return zone.toInstant(atDay(days, 0));
    case ir::Period::Week: return zone.toInstant(atDay(days - weekday(days), 0));
    case ir::Period::Month: {
      CivilTime first = atDay(days - (civil.day - 1), 0);
      return zone.toInstant(first);
    }
  }
  return at;
}

int64_t shiftPeriods(ir::Period period, int64_t start, int64_t count, const TimeZone& zone) {
  CivilTime civil = zone.toCivil(start);
  int64_t days = civilDays(civil);
  switch (period) {
    case ir::Period::Hour: return start + count * 3600 * runtime::kMicrosPerSecond;
    case ir::Period::Day: return zone.toInstant(atDay(days + count, minuteOf(civil)));
    case ir::Period::Week: return zone.toInstant(atDay(days + 7 * count, minuteOf(civil)));
    case ir::Period::Month: {
      int64_t month = int64_t{civil.year} * 12 + (civil.month - 1) + count;
      CivilTime first = civil;
      first.year = static_cast<int>(month / 12);
      first.month = static_cast<int>(month % 12) + 1;
      first.day = 1;
      return zone.toInstant(first);
    }
  }
  return start;
}

std::string formatLocal(int64_t at, const TimeZone& zone) {
  CivilTime civil = zone.toCivil(at);
  int64_t wall = civilDays(civil) * kMicrosPerDay +
                 ((civil.hour * 60 + civil.minute) * 60 + civil.second) * runtime::kMicrosPerSecond +
                 civil.micros;
  int64_t offsetMinutes = (wall - at) / kMicrosPerMinute;
  char sign = offsetMinutes < 0 ? '-' : '+';
  if (offsetMinutes < 0) offsetMinutes = -offsetMinutes;
  std::string text = runtime::formatTimestamp(wall);  // ends with Z
  text.pop_back();
  char offset[8];
  std::snprintf(offset, sizeof offset, "%c%02d:%02d", sign, static_cast<int>(offsetMinutes / 60),
                static_cast<int>(offsetMinutes % 60));
  return text + offset;
}

const char* periodName(ir::Period period) {
  switch (period) {
    case ir::Period::Hour: return "hour";
    case ir::Period::Day: return "day";
    case ir::Period::Week: return "week";
    case ir::Period::Month: return "month";
  }
  return "?";
}

}  // namespace crm::run
