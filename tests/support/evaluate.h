// Evaluates one expression through the library, as `crm eval` does, on a
// chosen engine: for the table-driven evaluation tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "run/run.h"
#include "runtime/value.h"

namespace crm::testing {

struct Evaluation {
  bool checked = false;       // false: the expression did not check
  std::string diagnostics;    // when it did not
  runtime::Value value;
  std::string type;           // the static type, as the language writes it
};

// Checks `expression` with `declarations` (name, CEL type), binds `bindings`
// (name, value) and evaluates it at `now` (microseconds since the epoch).
Evaluation evaluate(const std::string& expression, run::Engine engine,
                    const std::vector<std::pair<std::string, std::string>>& declarations = {},
                    const std::map<std::string, runtime::Value>& bindings = {},
                    int64_t now = 0);

// Whether the engines agree on a value: the same kind and value, doubles
// bit for bit with any NaN equal to any NaN, errors of the same kind and
// message.
bool sameValue(const runtime::Value& a, const runtime::Value& b);

// The value in the tagged encoding, with an error's kind.
std::string describe(const runtime::Value& value);

}  // namespace crm::testing
