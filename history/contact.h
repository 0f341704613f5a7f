// One message of the contact history: what an earlier run sent (or
// scheduled) to a customer. The run engine reads these to count pressure
// caps and channel capacity, and to know which trigger events were already
// handled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crm::history {

struct Contact {
  std::string customer;  // the customer's key, as text
  std::string campaign;
  std::string channel;
  std::string group;  // empty without one
  int64_t at = 0;     // when it goes out, microseconds since the epoch
  bool transactional = false;
  // The ids of the trigger events the message handled; empty for
  // campaigns without a trigger.
  std::vector<std::string> events;
  std::string runId;
};

}  // namespace crm::history
