// The signatures of the built-in functions and methods. The checker resolves
// calls against this table; the interpreter and the JIT will implement each
// overload under its `id`, shared as one extern "C" symbol per overload.
//
// Types are written as patterns: the built-in type names, `list<T>`,
// `set<T>`, `map<K, V>`, `T?`, and the type variables T, K and V, which
// bind to whatever the first use matches.
#pragma once

#include <string_view>
#include <vector>

namespace crm::stdlib {

struct Signature {
  std::string_view id;        // unique overload id, e.g. "size_list"
  std::string_view name;      // what a script writes
  std::string_view receiver;  // pattern of the receiver; empty for a global function
  std::vector<std::string_view> parameters;
  std::string_view result;
  std::string_view summary;
};

// Every overload, global functions first, in a stable order.
const std::vector<Signature>& signatures();

// Macros take a variable name and expressions over it, so they are typed by
// the checker itself; this list documents them and feeds "did you mean".
struct MacroInfo {
  std::string_view name;
  std::string_view form;  // e.g. "list.filter(x, predicate) -> list<T>"
  std::string_view summary;
};

const std::vector<MacroInfo>& macros();

}  // namespace crm::stdlib
