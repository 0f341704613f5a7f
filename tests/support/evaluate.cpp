#include "tests/support/evaluate.h"

#include <bit>
#include <cmath>

#include "compiler/driver/expression.h"
#include "compiler/lower/lower.h"
#include "interp/interpreter.h"
#include "jit/jit.h"
#include "runtime/value_json.h"

namespace crm::testing {

Evaluation evaluate(const std::string& expression, run::Engine engine,
                    const std::vector<std::pair<std::string, std::string>>& declarations,
                    const std::map<std::string, runtime::Value>& bindings, int64_t now) {
  Evaluation result;
  driver::ExpressionInput input;
  input.text = expression;
  for (const auto& [name, type] : declarations) input.declarations.push_back({name, type});
  auto checked = driver::checkExpression(input);
  if (checked.compilation->hasErrors() || checked.expression == nullptr) {
    for (const auto& diagnostic : checked.compilation->diagnostics->sorted()) {
      result.diagnostics += std::string(diag::info(diagnostic.code).id) + " " +
                            diagnostic.message + "\n";
    }
    return result;
  }
  result.checked = true;
  result.type = ast::toString(checked.type);
  auto lowered = lower::lowerExpression({}, *checked.expression, checked.variables);
  interp::foldConstants(lowered.expression);
  std::unique_ptr<jit::CompiledProgram> compiled;
  if (engine == run::Engine::Jit) {
    std::string error;
    compiled = jit::compile(*lowered.program, nullptr, jit::Options{}, error,
                            lowered.expression.get());
    if (compiled == nullptr) {
      result.checked = false;
      result.diagnostics = "the JIT failed: " + error;
      return result;
    }
  }
  // The JIT's code runs through the interpreter's native-code hook.
  interp::Interpreter interpreter(*lowered.program, nullptr, now);
  interpreter.setNativeCode(compiled.get());
  for (const auto& external : lowered.program->externals) {
    auto it = bindings.find(external.name);
    // As in `crm eval`, a declared variable without a value is an error.
    interpreter.bindExternal(
        external.slot, it != bindings.end()
                           ? it->second
                           : runtime::Value::error(runtime::ErrorKind::InvalidArgument,
                                                   "`" + external.name + "` has no value"));
  }
  result.value = interpreter.evaluate(*lowered.expression);
  return result;
}

bool sameValue(const runtime::Value& a, const runtime::Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.isError()) {
    return a.asError().kind == b.asError().kind && a.asError().message == b.asError().message;
  }
  if (a.is(runtime::ValueKind::Double)) {
    double x = a.asDouble();
    double y = b.asDouble();
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y);
  }
  // The tagged encoding writes doubles inside lists in their shortest
  // round-trip form, so equal text is equal bits there too.
  return runtime::encodeTagged(a) == runtime::encodeTagged(b);
}

std::string describe(const runtime::Value& value) {
  std::string text = runtime::encodeTagged(value);
  if (value.isError()) text += std::string(" (") + runtime::errorKindName(value.asError().kind) + ")";
  return text;
}

}  // namespace crm::testing
