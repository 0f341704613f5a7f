// `crm eval`: check and evaluate one expression, alone with bound variables
// or against one customer of a script's data.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/driver/expression.h"
#include "compiler/lower/lower.h"
#include "interp/interpreter.h"
#include "jit/jit.h"
#include "loader/loader.h"
#include "runtime/time.h"
#include "runtime/value_json.h"

namespace crm::cli {
namespace {

using runtime::Value;
using runtime::ValueKind;

bool splitAssignment(const std::string& text, const char* option, std::string& name,
                     std::string& value, std::ostream& err) {
  auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    err << "crm: " << option << " takes NAME=VALUE, not '" << text << "'\n";
    return false;
  }
  name = text.substr(0, equals);
  value = text.substr(equals + 1);
  return true;
}

int report(const EvalArguments& arguments, std::ostream& out, const Value& value,
           const ast::Type* type) {
  bool json = arguments.format == "json";
  if (value.isError()) {
    if (json) {
      out << nlohmann::json{{"error", value.asError().message}}.dump(
                 -1, ' ', false, nlohmann::json::error_handler_t::replace)
          << "\n";
    } else {
      out << "error: " << value.asError().message << "\n";
    }
    return kInvalidInput;
  }
  std::string typeName = type != nullptr ? ast::toString(type) : "dyn";
  if (json) {
    out << "{\"value\":" << runtime::encodeTagged(value) << ",\"type\":"
        << nlohmann::json(typeName).dump() << "}\n";
  } else {
    bool quoted = value.is(ValueKind::String);
    out << (quoted ? "\"" : "") << runtime::displayText(value) << (quoted ? "\"" : "")
        << "  : " << typeName << "\n";
  }
  return kSuccess;
}

}  // namespace

int runEval(const EvalArguments& arguments, std::ostream& out, std::ostream& err) {
  if (!arguments.customer.empty() && arguments.script.empty()) {
    err << "crm: --customer needs --script, whose data holds the customer\n";
    return kUsageError;
  }
  int64_t now = 0;
  if (!arguments.asOf.empty()) {
    auto parsed = runtime::parseTimestamp(arguments.asOf);
    if (!parsed) {
      err << "crm: --as-of takes an RFC 3339 timestamp such as 2018-03-01T00:00:00Z, not '"
          << arguments.asOf << "'\n";
      return kUsageError;
    }
    now = *parsed;
  } else {
    now = std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  }

  driver::ExpressionInput input;
  input.text = arguments.expression;
  if (!arguments.script.empty()) input.scriptPath = arguments.script;
  std::map<std::string, Value> bound;
  for (const auto& binding : arguments.bindings) {
    std::string name;
    std::string json;
    if (!splitAssignment(binding, "--bind", name, json, err)) return kUsageError;
    bool ok = true;
    Value value = runtime::decodeTagged(json, ok);
    if (!ok) {
      err << "crm: --bind " << name << ": " << value.asError().message << "\n";
      return kUsageError;
    }
    bound[name] = value;
  }
  std::map<std::string, std::string> declared;
  for (const auto& declaration : arguments.declarations) {
    std::string name;
    std::string type;
    if (!splitAssignment(declaration, "--declare", name, type, err)) return kUsageError;
    declared[name] = type;
  }
  for (const auto& [name, value] : bound) {
    if (declared.count(name) == 0) declared[name] = runtime::celTypeName(value);
  }
  for (const auto& [name, type] : declared) input.declarations.push_back({name, type});

  auto checked = driver::checkExpression(input);
  auto& compilation = *checked.compilation;
  auto diagnostics = compilation.diagnostics->sorted();
  if (compilation.hasErrors() || checked.expression == nullptr) {
    if (arguments.format == "json") {
      std::string message;
      for (const auto& diagnostic : diagnostics) {
        if (diagnostic.severity == diag::Severity::Error) {
          message = diagnostic.message;
          break;
        }
      }
      out << nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace)
          << "\n";
    }
    diag::renderHuman(err, compilation.sources, diagnostics, {false});
    return kInvalidInput;
  }
  diag::renderHuman(err, compilation.sources, diagnostics, {false});

  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation.scripts) scripts.push_back(script.get());
  auto lowered = lower::lowerExpression(scripts, *checked.expression, checked.variables);
  interp::foldConstants(lowered.expression);

  std::unique_ptr<runtime::Store> store;
  uint32_t customerRow = 0;
  if (!arguments.script.empty()) {
    load::LoadOptions loadOptions;
    int status = prepareLoadOptions(arguments.load, loadOptions, err);
    if (status == kSuccess) status = checkSourceNames(loadOptions, compilation, err);
    if (status != kSuccess) return status;
    auto loaded = load::loadProgram(scripts, compilation.sources, loadOptions);
    if (!loaded.report.ok()) {
      load::printReport(err, loaded.report);
      return kInvalidInput;
    }
    store = std::move(loaded.store);
    if (!arguments.customer.empty()) {
      runtime::Table* customers = store->table(lowered.program->customerEntity);
      if (customers == nullptr) {
        err << "crm: the script declares no customer entity\n";
        return kUsageError;
      }
      if (!customers->hasKeyIndex()) customers->buildKeyIndex();
      auto row = customers->findRow(arguments.customer);
      if (!row) {
        err << "crm: no " << customers->name << " has the key '" << arguments.customer << "'\n";
        return kInvalidInput;
      }
      customerRow = *row;
    }
  }

  std::unique_ptr<jit::CompiledProgram> compiled;
  if (arguments.engine == "jit") {
    jit::Options jitOptions;
    jitOptions.optLevel = arguments.jitOpt;
    std::string error;
    compiled = jit::compile(*lowered.program, store.get(), jitOptions, error,
                            lowered.expression.get());
    if (compiled == nullptr) {
      err << "crm: the JIT failed: " << error << "\nUse --engine interp meanwhile.\n";
      return kInternalError;
    }
  }
  interp::Interpreter interpreter(*lowered.program, store.get(), now);
  interpreter.setNativeCode(compiled.get());
  if (store != nullptr && !arguments.customer.empty()) interpreter.setCustomer(customerRow);
  for (const auto& external : lowered.program->externals) {
    auto it = bound.find(external.name);
    if (it != bound.end()) interpreter.bindExternal(external.slot, it->second);
  }
  for (const auto& external : lowered.program->externals) {
    if (bound.count(external.name) != 0) continue;
    // A declared variable without a value is an error where it is read.
    interpreter.bindExternal(external.slot,
                             Value::error(runtime::ErrorKind::InvalidArgument,
                                          "`" + external.name + "` is declared but has no value; "
                                          "give it one with --bind"));
  }
  Value value = interpreter.evaluate(*lowered.expression);
  return report(arguments, out, value, checked.type);
}

}  // namespace crm::cli
