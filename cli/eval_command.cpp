// `crm eval`: check and evaluate one expression, alone with bound variables
// or against one customer of a script's data.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <utf8proc.h>

#include <cstdlib>

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
#include "runtime/value_literal.h"

namespace crm::cli {
namespace {

using runtime::Value;
using runtime::ValueKind;

// Whether a bound value has the run-time shape of a declared type.
bool fitsType(const Value& value, const ast::Type* type) {
  if (type == nullptr) return true;
  if (type->isOptional()) return value.isNull() || fitsType(value, type->element);
  switch (type->kind) {
    case ast::TypeKind::Dyn: return true;
    case ast::TypeKind::Null: return value.isNull();
    case ast::TypeKind::Bool: return value.is(ValueKind::Bool);
    case ast::TypeKind::Int: return value.is(ValueKind::Int);
    case ast::TypeKind::Double: return value.is(ValueKind::Double);
    case ast::TypeKind::Decimal: return value.is(ValueKind::Decimal);
    case ast::TypeKind::String: return value.is(ValueKind::String);
    case ast::TypeKind::Date: return value.is(ValueKind::Date);
    case ast::TypeKind::Timestamp: return value.is(ValueKind::Timestamp);
    case ast::TypeKind::Duration: return value.is(ValueKind::Duration);
    case ast::TypeKind::List:
    case ast::TypeKind::Set: {
      if (!value.is(ValueKind::List)) return false;
      for (size_t i = 0; i < value.listSize(); ++i) {
        if (!fitsType(value.listAt(i), type->element)) return false;
        // A set contains each element once.
        for (size_t j = 0; type->kind == ast::TypeKind::Set && j < i; ++j) {
          Value same = runtime::equals(value.listAt(i), value.listAt(j));
          if (!same.isError() && same.asBool()) return false;
        }
      }
      return true;
    }
    case ast::TypeKind::Map: {
      if (!value.is(ValueKind::Map)) return false;
      for (const auto& [key, item] : value.asMap().entries) {
        if (!fitsType(key, type->element) || !fitsType(item, type->value)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

std::string normalizedNfc(const std::string& text) {
  utf8proc_uint8_t* normalized = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(text.c_str()));
  if (normalized == nullptr) return text;
  std::string result(reinterpret_cast<const char*>(normalized));
  std::free(normalized);
  return result;
}

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
    out << runtime::literalText(value) << "  : " << typeName << "\n";
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
      err << "crm: --as-of: "
          << runtime::timestampProblem(arguments.asOf, "'" + arguments.asOf + "'") << "\n";
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
    if (!bound.emplace(name, value).second) {
      err << "crm: --bind gives `" << name << "` twice\n";
      return kUsageError;
    }
  }
  std::map<std::string, std::string> declared;
  for (const auto& declaration : arguments.declarations) {
    std::string name;
    std::string type;
    if (!splitAssignment(declaration, "--declare", name, type, err)) return kUsageError;
    if (!declared.emplace(name, type).second) {
      err << "crm: --declare gives `" << name << "` twice\n";
      return kUsageError;
    }
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
  // A bound value must be of its variable's declared type.
  for (const auto& [name, type] : checked.variables) {
    auto it = bound.find(name);
    if (it != bound.end() && !fitsType(it->second, type)) {
      err << "crm: --bind " << name << ": the value " << runtime::encodeTagged(it->second)
          << " is not of the declared type " << ast::toString(type) << "\n";
      return kUsageError;
    }
  }

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
      // The loader stores text in NFC, so the key is looked up in NFC too.
      auto row = customers->findRow(normalizedNfc(arguments.customer));
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
    jitOptions.cacheDir = arguments.cacheDir;
    std::string error;
    compiled = jit::compile(*lowered.program, store.get(), jitOptions, error,
                            lowered.expression.get());
    if (compiled == nullptr) {
      err << "crm: the JIT failed: " << error << "\nUse --engine interp meanwhile.\n";
      return kInternalError;
    }
    if (!compiled->note().empty()) err << "crm: note: " << compiled->note() << "\n";
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
