#include "runtime/value_literal.h"

#include <cstdio>

#include "runtime/store.h"

namespace crm::runtime {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\x%02x", static_cast<unsigned char>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string literalText(const Value& value) {
  switch (value.kind()) {
    case ValueKind::String:
      return quoted(value.asString());
    case ValueKind::List: {
      std::string out = "[";
      for (size_t i = 0; i < value.listSize(); ++i) {
        out += (i > 0 ? ", " : "") + literalText(value.listAt(i));
      }
      return out + "]";
    }
    case ValueKind::Map: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : value.asMap().entries) {
        out += (first ? "" : ", ") + literalText(key) + ": " + literalText(item);
        first = false;
      }
      return out + "}";
    }
    case ValueKind::Row:
      return value.table()->name + "(" + quoted(displayText(value)) + ")";
    case ValueKind::Date:
    case ValueKind::Timestamp:
    case ValueKind::Duration:
      return std::string(valueKindName(value.kind())) + "(\"" + displayText(value) + "\")";
    default:
      return displayText(value);
  }
}

}  // namespace crm::runtime
