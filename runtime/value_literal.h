// The text of a value as an expression would write it, for `crm eval` and
// `crm repl`.
#pragma once

#include <string>

#include "runtime/value.h"

namespace crm::runtime {

// Strings are quoted and escaped, so that `["a, b"]` and `["a", "b"]` print
// apart. Rows print as `Entity("key")`, dates, timestamps and durations as
// `timestamp("2026-01-01T00:00:00Z")`, and other values as displayText()
// writes them.
std::string literalText(const Value& value);

}  // namespace crm::runtime
