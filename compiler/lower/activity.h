// Which lists of the customer entity hold its activity with the catalog,
// for the recommendation functions. A list of purchases is a list field
// whose elements are entities (other than the event entity) with a time
// and either a field that references the catalog (purchase lines) or a
// list of lines that do (orders). The time is the timestamp field `at`, or
// else the first timestamp field. The event list is the customer's list of
// the event entity, when its elements have a time and a catalog reference.
// Their first string or enum field named `type`, `event_type` or `kind`
// gives the kind of each event (docs/language.md, "Recommendations").
#pragma once

#include <optional>
#include <vector>

#include "compiler/ast/ast.h"

namespace crm::lower {

struct ActivityFieldList {
  size_t customerField = 0;  // positions among the entities' fields
  size_t productField = 0;  // of the lines, for an order
  size_t timeField = 0;
  int linesField = -1;  // an order's list of lines; -1 for purchase lines
  int typeField = -1;  // events only; -1 when the event entity has none
  const ast::Decl* typeEnum = nullptr;  // when the type field is an enum
};

struct ActivityFields {
  std::vector<ActivityFieldList> purchases;
  std::optional<ActivityFieldList> events;
};

ActivityFields findActivityFields(const ast::EntityDecl* customer,
                                  const ast::EntityDecl* catalog);

}  // namespace crm::lower
