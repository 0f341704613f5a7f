#include "runtime/time_zone.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>
#include <map>
#include <mutex>

#include "runtime/time.h"

namespace crm::runtime {

struct TimeZone::Impl {
  cctz::time_zone zone;
};

std::optional<TimeZone> TimeZone::load(const std::string& name) {
  // Only IANA names: the zone library also reads a file path, and a name
  // from customer data must not open an arbitrary file (or a FIFO, which
  // would block the run).
  bool named = !name.empty() && name.size() <= 64 && name.front() != '/' &&
               name.find("..") == std::string::npos && name != "localtime";
  for (char c : name) {
    bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '/' || c == '_' || c == '-' || c == '+';
    named = named && allowed;
  }
  if (!named) return std::nullopt;
  // Loaded zones are cached: loading reads a tzdata file.
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const Impl>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto found = cache.find(name);
  if (found != cache.end()) {
    return TimeZone(name, found->second);
  }
  auto impl = std::make_shared<Impl>();
  if (!cctz::load_time_zone(name, &impl->zone)) {
    return std::nullopt;
  }
  cache.emplace(name, impl);
  return TimeZone(name, impl);
}

TimeZone TimeZone::utc() {
  auto impl = std::make_shared<Impl>();
  impl->zone = cctz::utc_time_zone();
  return TimeZone("UTC", impl);
}

int64_t TimeZone::toInstant(const CivilTime& civil) const {
  cctz::civil_second second(civil.year, civil.month, civil.day, civil.hour, civil.minute,
                            civil.second);
  auto lookup = impl_->zone.lookup(second);
  // For a skipped time `pre` applies the offset before the gap, which lands
  // after it; for a repeated time `pre` is the first occurrence.
  auto point = lookup.pre;
  int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(point.time_since_epoch()).count();
  return seconds * kMicrosPerSecond + civil.micros;
}

CivilTime TimeZone::toCivil(int64_t micros) const {
  int64_t seconds = micros >= 0 ? micros / kMicrosPerSecond
                                : -((-micros + kMicrosPerSecond - 1) / kMicrosPerSecond);
  int64_t fraction = micros - seconds * kMicrosPerSecond;
  auto point = std::chrono::time_point_cast<cctz::seconds>(
      std::chrono::system_clock::from_time_t(0)) + cctz::seconds(seconds);
  cctz::civil_second civil = cctz::convert(point, impl_->zone);
  return {static_cast<int>(civil.year()), civil.month(), civil.day(), civil.hour(),
          civil.minute(), civil.second(), fraction};
}

}  // namespace crm::runtime
