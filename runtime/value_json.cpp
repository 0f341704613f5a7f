#include "runtime/value_json.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "runtime/store.h"
#include "runtime/time.h"

namespace crm::runtime {

using nlohmann::json;

namespace {

json encode(const Value& value) {
  switch (value.kind()) {
    case ValueKind::Null: return json{{"null", true}};
    case ValueKind::Bool: return json{{"bool", value.asBool()}};
    case ValueKind::Int: return json{{"int", std::to_string(value.asInt())}};
    case ValueKind::Double: {
      double d = value.asDouble();
      if (std::isnan(d)) return json{{"double", "NaN"}};
      if (std::isinf(d)) return json{{"double", d > 0 ? "Infinity" : "-Infinity"}};
      return json{{"double", d}};
    }
    case ValueKind::Decimal: return json{{"decimal", formatDecimal(value.asDecimal())}};
    case ValueKind::String: return json{{"string", std::string(value.asString())}};
    case ValueKind::Date: return json{{"date", formatDate(value.asInt())}};
    case ValueKind::Timestamp: return json{{"timestamp", formatTimestamp(value.asInt())}};
    case ValueKind::Duration: return json{{"duration", formatDuration(value.asInt())}};
    case ValueKind::Enum: {
      const EnumInfo* info = value.enumInfo();
      return json{{"enum",
                   {{"type", info != nullptr ? info->name : ""},
                    {"value", displayText(value)}}}};
    }
    case ValueKind::Row:
      return json{{"row", {{"entity", value.table()->name}, {"key", displayText(value)}}}};
    case ValueKind::List: {
      json items = json::array();
      for (size_t i = 0; i < value.listSize(); ++i) items.push_back(encode(value.listAt(i)));
      return json{{"list", items}};
    }
    case ValueKind::Map: {
      json entries = json::array();
      for (const auto& [key, item] : value.asMap().entries) {
        entries.push_back(json::array({encode(key), encode(item)}));
      }
      return json{{"map", entries}};
    }
    case ValueKind::Record: {
      const auto& record = value.asRecord();
      json fields = json::array();
      for (size_t i = 0; i < record.fields.size(); ++i) {
        fields.push_back(json::array({record.info->fields[i], encode(record.fields[i])}));
      }
      return json{{"record", {{"type", record.info->name}, {"fields", fields}}}};
    }
    case ValueKind::Error: return json{{"error", value.asError().message}};
  }
  return json();
}

Value invalid(const std::string& message) {
  return Value::error(ErrorKind::InvalidArgument, message);
}

Value decode(const json& node, bool& ok) {
  if (!node.is_object() || node.size() != 1) {
    ok = false;
    return invalid("a value is an object with one key naming its type, such as {\"int\": \"3\"}");
  }
  const std::string& tag = node.begin().key();
  const json& body = node.begin().value();
  auto fail = [&](const std::string& message) {
    ok = false;
    return invalid("{\"" + tag + "\": ...}: " + message);
  };
  if (tag == "null") return Value::null();
  if (tag == "bool") {
    if (!body.is_boolean()) return fail("expected true or false");
    return Value::boolean(body.get<bool>());
  }
  if (tag == "int") {
    if (!body.is_string()) return fail("write the integer as a string, such as \"3\"");
    const std::string text = body.get<std::string>();
    errno = 0;
    char* end = nullptr;
    long long parsed = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno == ERANGE) {
      return fail("'" + text + "' is not a 64-bit integer");
    }
    return Value::integer(parsed);
  }
  if (tag == "double") {
    if (body.is_number()) return Value::floating(body.get<double>());
    if (body.is_string()) {
      const std::string text = body.get<std::string>();
      if (text == "NaN") return Value::floating(std::numeric_limits<double>::quiet_NaN());
      if (text == "Infinity") return Value::floating(std::numeric_limits<double>::infinity());
      if (text == "-Infinity") return Value::floating(-std::numeric_limits<double>::infinity());
    }
    return fail("expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
  }
  if (tag == "decimal") {
    if (!body.is_string()) return fail("write the decimal as a string, such as \"10.00\"");
    auto decimal = parseDecimal(body.get<std::string>());
    if (!decimal) return fail("'" + body.get<std::string>() + "' is not a decimal");
    return Value::decimal(*decimal);
  }
  if (tag == "string") {
    if (!body.is_string()) return fail("expected a string");
    return Value::string(body.get<std::string>());
  }
  if (tag == "date" || tag == "timestamp" || tag == "duration") {
    if (!body.is_string()) return fail("expected a string");
    const std::string text = body.get<std::string>();
    if (tag == "date") {
      auto days = parseDate(text);
      if (!days) return fail("'" + text + "' is not a date YYYY-MM-DD");
      return Value::date(*days);
    }
    if (tag == "timestamp") {
      auto micros = parseTimestamp(text);
      if (!micros) return fail("'" + text + "' is not an RFC 3339 timestamp");
      return Value::timestamp(*micros);
    }
    // Protobuf JSON durations are seconds with an `s` suffix.
    auto micros = parseDurationLiteral(text);
    if (!micros) return fail("'" + text + "' is not a duration such as \"3600s\"");
    return Value::duration(*micros);
  }
  if (tag == "list") {
    if (!body.is_array()) return fail("expected an array of values");
    std::vector<Value> items;
    for (const auto& item : body) {
      Value v = decode(item, ok);
      if (!ok) return v;
      items.push_back(std::move(v));
    }
    return Value::list(std::move(items));
  }
  if (tag == "map") {
    if (!body.is_array()) return fail("expected an array of [key, value] pairs");
    std::vector<std::pair<Value, Value>> entries;
    for (const auto& entry : body) {
      if (!entry.is_array() || entry.size() != 2) return fail("expected [key, value] pairs");
      Value key = decode(entry[0], ok);
      if (!ok) return key;
      Value item = decode(entry[1], ok);
      if (!ok) return item;
      for (const auto& existing : entries) {
        Value same = equals(existing.first, key);
        if (!same.isError() && same.asBool()) {
          return fail("the key " + encodeTagged(key) + " appears twice");
        }
      }
      entries.emplace_back(std::move(key), std::move(item));
    }
    return Value::map(std::move(entries));
  }
  return fail("unknown type tag; the tags are null, bool, int, double, decimal, string, date, "
              "timestamp, duration, list and map");
}

}  // namespace

std::string celTypeName(const Value& value) {
  switch (value.kind()) {
    case ValueKind::Null: return "null_type";
    case ValueKind::Bool: return "bool";
    case ValueKind::Int: return "int";
    case ValueKind::Double: return "double";
    case ValueKind::Decimal: return "decimal";
    case ValueKind::String: return "string";
    case ValueKind::Date: return "date";
    case ValueKind::Timestamp: return "timestamp";
    case ValueKind::Duration: return "duration";
    case ValueKind::List: {
      std::set<std::string> elements;
      for (size_t i = 0; i < value.listSize(); ++i) elements.insert(celTypeName(value.listAt(i)));
      return "list(" + (elements.size() == 1 ? *elements.begin() : std::string("dyn")) + ")";
    }
    case ValueKind::Map: {
      std::set<std::string> keys;
      std::set<std::string> items;
      for (const auto& [key, item] : value.asMap().entries) {
        keys.insert(celTypeName(key));
        items.insert(celTypeName(item));
      }
      std::string key = keys.size() == 1 ? *keys.begin() : "dyn";
      std::string item = items.size() == 1 ? *items.begin() : "dyn";
      return "map(" + key + ", " + item + ")";
    }
    default: return "dyn";
  }
}

std::string encodeTagged(const Value& value) {
  return encode(value).dump(-1, ' ', false, json::error_handler_t::replace);
}

Value decodeTagged(std::string_view text, bool& ok) {
  ok = true;
  json node = json::parse(text, nullptr, false);
  if (node.is_discarded()) {
    ok = false;
    return invalid("not valid JSON: " + std::string(text.substr(0, 80)));
  }
  return decode(node, ok);
}

}  // namespace crm::runtime
