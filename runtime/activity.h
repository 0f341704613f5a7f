// The positions in the store of a customer's activity with the catalog:
// the lists that the recommendation functions (favourite, purchased,
// viewed, ...) read. Lowering derives them from the schema, by the rules of
// docs/language.md, section 8, "Recommendations".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/value.h"

namespace crm::runtime {

enum class ActivityKind : uint8_t { Purchase, Cart, View };

// A list field of the customer entity whose elements reference the catalog.
struct ActivityList {
  uint32_t customerColumn = 0;  // the list field of the customer table
  uint32_t productColumn = 0;   // the catalog reference of the element, or of its lines
  uint32_t timeColumn = 0;      // the element's time
  // For a list of orders: the order's list of lines, whose product column
  // is productColumn; -1 for a list of purchase lines.
  int linesColumn = -1;
  // The event list: its elements' `type`, `event_type` or `kind` field;
  // -1 for a list of purchase lines, or for events without such a field,
  // which all count as views.
  int typeColumn = -1;
  const EnumInfo* typeEnum = nullptr;  // when the type field is an enum
  bool events = false;  // the list of the event entity
};

struct ActivitySchema {
  std::vector<std::string> levels;  // the catalog's, broadest first
  std::vector<ActivityList> purchases;
  bool hasEvents = false;
  ActivityList events;
};

}  // namespace crm::runtime
