// Runs the cases of the CEL conformance suite through the library: check the
// expression, lower it, fold its constants and evaluate it on one engine
// (through testing::evaluate). Values are written in the suite's tagged JSON
// encoding, which runtime/value_json.h reads.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "compiler/driver/expression.h"
#include "run/run.h"
#include "runtime/value.h"

namespace crm::testing::cel {

struct ConformanceCase {
  std::string file;  // the suite's file name without extension, such as `basic`
  std::string section;
  std::string name;
  int sourceLine = 0;  // where the case starts in the suite's original file
  std::string expression;
  // Variable name and tagged JSON value, such as {"x", R"({"int": "3"})"}.
  std::vector<std::pair<std::string, std::string>> bindings;
  std::vector<driver::Declaration> declarations;
  bool expectsError = false;
  std::string expectedValue;  // tagged JSON, empty when `expectsError`

  // `file/section/name`, unique across the suite.
  std::string id() const;
};

struct Outcome {
  enum class Status {
    Value,       // evaluation returned `value`, which may be an error value
    CheckError,  // the expression failed to parse or type-check
    BadCase,     // a binding or expected value is not valid tagged JSON
  };
  Status status = Status::BadCase;
  runtime::Value value;
  std::string detail;  // the diagnostics of a check error, or what is wrong with the case
};

// Checks, lowers, folds and evaluates the case's expression with its
// bindings on `engine`. Returns a BadCase outcome, without evaluating, when a
// binding or the expected value cannot be decoded.
Outcome evaluateCase(const ConformanceCase& testCase, run::Engine engine);

// Whether `outcome` is what the case expects. Any error value satisfies an
// expected error, because the suite's messages are not comparable.
bool meetsExpectation(const ConformanceCase& testCase, const Outcome& outcome);

// Exact equality for conformance results: kinds must match with no numeric
// conversion, doubles must have the same bits except that every NaN matches
// every NaN, lists compare element by element and maps without regard to
// order.
bool identical(const runtime::Value& a, const runtime::Value& b);

// The outcome as one line: the tagged JSON value, `error: MESSAGE`,
// `check error: DIAGNOSTICS` or `invalid case: DETAIL`.
std::string describe(const Outcome& outcome);

}  // namespace crm::testing::cel
