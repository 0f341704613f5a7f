// The JIT against the interpreter. The input's first line, when it is a
// number, seeds the values of the bound variables (the differential test's
// random environment: every scalar type and lists of them); the rest is an
// expression over them. An expression that checks must give the same type
// and the same value, or the same error, on both engines.
//
// CRM_FUZZ_SEEDS=DIR makes the target write generated seed inputs to DIR
// before it starts, for scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "tests/support/evaluate.h"
#include "tests/support/random_programs.h"

using namespace crm;
namespace rnd = crm::testing::random;

namespace {

// Longer expressions only slow the search: the generator's cases are far
// shorter.
constexpr size_t kMaxInput = 4096;
constexpr size_t kGeneratedSeeds = 300;

rnd::Environment environmentFor(uint64_t seed) {
  rnd::Random random(seed);
  return rnd::randomEnvironment(random);
}

void writeSeeds(const std::string& folder) {
  std::filesystem::create_directories(folder);
  const std::vector<rnd::Kind> kinds = {rnd::Kind::Bool,     rnd::Kind::Int,     rnd::Kind::Double,
                                        rnd::Kind::Decimal,  rnd::Kind::String,  rnd::Kind::Timestamp,
                                        rnd::Kind::Duration, rnd::Kind::Date};
  for (size_t i = 0; i < kGeneratedSeeds; ++i) {
    rnd::Environment environment = environmentFor(i);
    rnd::Random random(i + 1000003);
    rnd::ExpressionGenerator generator(random, rnd::GeneratorOptions{});
    rnd::Type type;
    type.kind = random.pick(kinds);
    type.optional = random.percent(20);
    rnd::Scope scope;
    scope.values = environment.leaves;
    std::string text = generator.generate(type, scope).text();
    std::ofstream(folder + "/generated-" + std::to_string(i), std::ios::binary)
        << i << "\n" << text;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (const char* folder = std::getenv("CRM_FUZZ_SEEDS")) writeSeeds(folder);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  uint64_t seed = 0;
  std::string_view expression = input;
  size_t newline = input.find('\n');
  std::string_view first = input.substr(0, newline);
  if (newline != std::string_view::npos && !first.empty() && first.size() <= 9 &&
      first.find_first_not_of("0123456789") == std::string_view::npos) {
    seed = std::stoull(std::string(first));
    expression = input.substr(newline + 1);
  }
  rnd::Environment environment = environmentFor(seed);
  std::string text(expression);
  testing::Evaluation interpreter = testing::evaluate(
      text, run::Engine::Interpreter, environment.declarations, environment.bindings, environment.now);
  if (!interpreter.checked) return 0;
  testing::Evaluation jit = testing::evaluate(text, run::Engine::Jit, environment.declarations,
                                              environment.bindings, environment.now);
  if (!jit.checked) fuzz::fail("the JIT rejected an expression that checks: " + jit.diagnostics, input);
  if (jit.type != interpreter.type || !testing::sameValue(jit.value, interpreter.value)) {
    fuzz::fail("the engines disagree\n" + rnd::describe(environment) +
                   "interpreter: " + testing::describe(interpreter.value) + " : " +
                   interpreter.type + "\njit:         " + testing::describe(jit.value) + " : " +
                   jit.type,
               input);
  }
  return 0;
}
