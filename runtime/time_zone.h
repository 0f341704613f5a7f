// IANA time zones, read from the system's tzdata. A thin wrapper so that the
// zone library stays inside runtime/time_zone.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace crm::runtime {

struct CivilTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int64_t micros = 0;  // fraction of the second
};

class TimeZone {
 public:
  // Loads a zone such as "America/New_York" or "UTC"; nullopt when unknown.
  static std::optional<TimeZone> load(const std::string& name);
  static TimeZone utc();

  const std::string& name() const { return name_; }

  // Converts a local civil time to its instant. A time repeated when clocks
  // go back takes its first occurrence. A time skipped when clocks go
  // forward moves forward by the length of the gap (02:30 becomes 03:30).
  int64_t toInstant(const CivilTime& civil) const;
  CivilTime toCivil(int64_t micros) const;

 private:
  struct Impl;
  TimeZone(std::string name, std::shared_ptr<const Impl> impl)
      : name_(std::move(name)), impl_(std::move(impl)) {}

  std::string name_;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace crm::runtime
