#include "tests/support/evaluate.h"

#include "compiler/driver/expression.h"
#include "compiler/lower/lower.h"
#include "interp/interpreter.h"
#include "jit/jit.h"

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

}  // namespace crm::testing
