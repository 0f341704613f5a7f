// Which lists of the customer entity hold its activity with the catalog,
// for the recommendation functions. A list of purchase lines is a list
// field whose elements are entities (other than the event entity) with a
// field that references the catalog and a timestamp field `at`. The event
// list is the customer's list of the event entity, when its elements have
// the same two fields. Their first string or enum field named `type`,
// `event_type` or `kind` tells whether an event is a view, a cart addition
// or a purchase.
#pragma once

#include <optional>
#include <vector>

#include "compiler/ast/ast.h"

namespace crm::lower {

struct ActivityFieldList {
  size_t customerField = 0;  // positions among the entities' fields
  size_t productField = 0;
  size_t timeField = 0;
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
