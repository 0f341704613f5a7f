#include "tests/support/cel_conformance.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>

#include "runtime/value_json.h"
#include "tests/support/evaluate.h"

namespace crm::testing::cel {
namespace {

using runtime::Value;
using runtime::ValueKind;

// The instant that `now` reads: 2026-01-01T00:00:00Z. No case of the suite
// reads `now`, but a fixed instant keeps every run identical.
constexpr int64_t kNow = 1767225600LL * 1000000;

// Makes a check-error outcome whose detail is the lines of `diagnostics`
// joined with "; ".
Outcome checkError(const std::string& diagnostics) {
  Outcome outcome;
  outcome.status = Outcome::Status::CheckError;
  for (char c : diagnostics) {
    if (c == '\n') {
      outcome.detail += "; ";
    } else {
      outcome.detail += c;
    }
  }
  if (outcome.detail.ends_with("; "))
    outcome.detail.resize(outcome.detail.size() - 2);
  return outcome;
}

Outcome badCase(std::string detail) {
  Outcome outcome;
  outcome.status = Outcome::Status::BadCase;
  outcome.detail = std::move(detail);
  return outcome;
}

// The declarations of the case, followed by one for each binding that has
// none, typed from its value.
std::vector<std::pair<std::string, std::string>> declarationsOf(
    const ConformanceCase& testCase, const std::map<std::string, Value>& bound) {
  std::vector<std::pair<std::string, std::string>> declarations;
  std::set<std::string> declared;
  for (const auto& declaration : testCase.declarations) {
    declarations.emplace_back(declaration.name, declaration.celType);
    declared.insert(declaration.name);
  }
  for (const auto& [name, value] : bound) {
    if (declared.count(name) == 0)
      declarations.emplace_back(name, runtime::celTypeName(value));
  }
  return declarations;
}

bool identicalDoubles(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

bool identicalLists(const Value& a, const Value& b) {
  if (a.listSize() != b.listSize())
    return false;
  for (size_t i = 0; i < a.listSize(); ++i) {
    if (!identical(a.listAt(i), b.listAt(i)))
      return false;
  }
  return true;
}

// Keys are unique within a map, so equal sizes and a match for every entry
// of `a` make the maps equal.
bool identicalMaps(const Value& a, const Value& b) {
  const auto& left = a.asMap().entries;
  const auto& right = b.asMap().entries;
  if (left.size() != right.size())
    return false;
  for (const auto& [key, item] : left) {
    bool found = false;
    for (const auto& [otherKey, otherItem] : right) {
      if (identical(key, otherKey)) {
        found = identical(item, otherItem);
        break;
      }
    }
    if (!found)
      return false;
  }
  return true;
}

}  // namespace

std::string ConformanceCase::id() const {
  return file + "/" + section + "/" + name;
}

Outcome evaluateCase(const ConformanceCase& testCase, run::Engine engine) {
  if (!testCase.expectsError) {
    bool ok = true;
    Value expected = runtime::decodeTagged(testCase.expectedValue, ok);
    if (!ok)
      return badCase("expected value: " + expected.asError().message);
  }
  std::map<std::string, Value> bound;
  for (const auto& [name, json] : testCase.bindings) {
    bool ok = true;
    Value value = runtime::decodeTagged(json, ok);
    if (!ok)
      return badCase("binding `" + name + "`: " + value.asError().message);
    bound[name] = value;
  }

  Evaluation evaluation =
      evaluate(testCase.expression, engine, declarationsOf(testCase, bound), bound, kNow);
  if (!evaluation.checked)
    return checkError(evaluation.diagnostics);
  Outcome outcome;
  outcome.status = Outcome::Status::Value;
  outcome.value = evaluation.value;
  return outcome;
}

bool meetsExpectation(const ConformanceCase& testCase, const Outcome& outcome) {
  if (outcome.status != Outcome::Status::Value)
    return false;
  if (testCase.expectsError)
    return outcome.value.isError();
  bool ok = true;
  Value expected = runtime::decodeTagged(testCase.expectedValue, ok);
  return ok && identical(outcome.value, expected);
}

bool identical(const Value& a, const Value& b) {
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
    case ValueKind::Null:
      return true;
    case ValueKind::Bool:
      return a.asBool() == b.asBool();
    case ValueKind::Int:
    case ValueKind::Date:
    case ValueKind::Timestamp:
    case ValueKind::Duration:
      return a.asInt() == b.asInt();
    case ValueKind::Double:
      return identicalDoubles(a.asDouble(), b.asDouble());
    case ValueKind::String:
      return a.asString() == b.asString();
    case ValueKind::List:
      return identicalLists(a, b);
    case ValueKind::Map:
      return identicalMaps(a, b);
    case ValueKind::Error:
      return false;
    default: {
      // Decimals, enums, rows and records, which the suite's tagged values
      // cannot express, compare with CEL equality.
      Value equal = runtime::equals(a, b);
      return !equal.isError() && equal.asBool();
    }
  }
}

std::string describe(const Outcome& outcome) {
  switch (outcome.status) {
    case Outcome::Status::Value:
      if (outcome.value.isError())
        return "error: " + outcome.value.asError().message;
      return runtime::encodeTagged(outcome.value);
    case Outcome::Status::CheckError:
      return "check error: " + outcome.detail;
    case Outcome::Status::BadCase:
      return "invalid case: " + outcome.detail;
  }
  return "";
}

}  // namespace crm::testing::cel
