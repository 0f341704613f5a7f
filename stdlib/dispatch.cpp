// Choosing an overload by the run-time kinds of its arguments.
#include <string>
#include <vector>

#include "stdlib/builtins.h"
#include "stdlib/signatures.h"

namespace crm::stdlib {
namespace {

using runtime::Value;
using runtime::ValueKind;

const Signature& signatureOf(Builtin builtin) {
  static const std::vector<const Signature*> table = [] {
    std::vector<const Signature*> byBuiltin(static_cast<size_t>(Builtin::Count), nullptr);
    for (const auto& signature : signatures()) {
      if (auto builtin = builtinById(signature.id)) {
        byBuiltin[static_cast<size_t>(*builtin)] = &signature;
      }
    }
    return byBuiltin;
  }();
  return *table[static_cast<size_t>(builtin)];
}

bool isTypeVariable(std::string_view pattern) {
  return pattern == "T" || pattern == "K" || pattern == "V" || pattern == "P";
}

// Whether `value` fits `pattern`, such as `int`, `list<T>`, `list<int>` or
// `T?`. Type variables fit anything; the checker has already related them.
bool fits(std::string_view pattern, const Value& value) {
  if (!pattern.empty() && pattern.back() == '?') {
    return value.isNull() || fits(pattern.substr(0, pattern.size() - 1), value);
  }
  if (isTypeVariable(pattern)) return true;
  auto open = pattern.find('<');
  if (open != std::string_view::npos) {
    std::string_view outer = pattern.substr(0, open);
    std::string_view inner = pattern.substr(open + 1, pattern.size() - open - 2);
    if (outer == "map") return value.is(ValueKind::Map);
    if (outer != "list" && outer != "set") return false;
    if (!value.is(ValueKind::List)) return false;
    for (size_t i = 0; i < value.listSize(); ++i) {
      if (!fits(inner, value.listAt(i))) return false;
    }
    return true;
  }
  return pattern == runtime::valueKindName(value.kind());
}

}  // namespace

std::string_view builtinName(Builtin builtin) { return signatureOf(builtin).name; }

bool accepts(Builtin builtin, const Value* arguments, size_t count) {
  const Signature& signature = signatureOf(builtin);
  size_t first = 0;
  if (!signature.receiver.empty()) {
    if (count == 0 || !fits(signature.receiver, arguments[0])) return false;
    first = 1;
  }
  if (count - first != signature.parameters.size()) return false;
  for (size_t i = 0; i < signature.parameters.size(); ++i) {
    if (!fits(signature.parameters[i], arguments[first + i])) return false;
  }
  return true;
}

}  // namespace crm::stdlib
