// The tagged JSON encoding of values that `crm eval --format json`, `--bind`
// and the CEL conformance files share: one object with one key naming the
// type, such as {"int": "3"}, {"double": 1.5}, {"string": "a"},
// {"list": [...]}, {"map": [[K, V], ...]}, {"timestamp": "RFC 3339"},
// {"duration": "3600s"}, extended with {"decimal": "10.00"} and
// {"date": "2026-01-01"}. Rows, enum values and records, which only scripts
// produce, are written as {"row": {"entity": E, "key": K}},
// {"enum": {"type": T, "value": NAME}} and {"record": {"type": T, "fields":
// [[NAME, V], ...]}}.
#pragma once

#include <string>
#include <string_view>

#include "runtime/value.h"

namespace crm::runtime {

// The JSON text of `value`. An error value is {"error": MESSAGE}.
std::string encodeTagged(const Value& value);

// The CEL type name of a value, for declaring a bound variable that has no
// declared type: `int`, `list(string)`, `map(string, dyn)`; elements of
// different types give `dyn`.
std::string celTypeName(const Value& value);

// Parses one tagged value from JSON text. On failure returns an error value
// whose message names the problem, and `ok` tells the two apart.
Value decodeTagged(std::string_view json, bool& ok);

}  // namespace crm::runtime
