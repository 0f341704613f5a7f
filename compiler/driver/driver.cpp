#include "compiler/driver/driver.h"

#include <pthread.h>

#include <functional>
#include <set>

#include "compiler/driver/script_loader.h"
#include "compiler/sema/checker.h"

namespace crm::driver {
namespace {

constexpr size_t kFrontEndStackBytes = 512u << 20;

}  // namespace

void runWithLargeStack(const std::function<void()>& work) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, kFrontEndStackBytes);
  pthread_t thread;
  std::exception_ptr failure;
  struct Task {
    const std::function<void()>* work;
    std::exception_ptr* failure;
  } task{&work, &failure};
  int started = pthread_create(
      &thread, &attributes,
      [](void* argument) -> void* {
        auto* t = static_cast<Task*>(argument);
        try {
          (*t->work)();
        } catch (...) {
          *t->failure = std::current_exception();
        }
        return nullptr;
      },
      &task);
  pthread_attr_destroy(&attributes);
  if (started != 0) {
    work();  // no thread available: run on the caller's stack
    return;
  }
  pthread_join(thread, nullptr);
  if (failure) {
    std::rethrow_exception(failure);
  }
}

std::unique_ptr<Compilation> checkScripts(const std::vector<SourceInput>& roots,
                                          const CheckOptions& options) {
  auto compilation = std::make_unique<Compilation>();
  compilation->diagnostics =
      std::make_unique<diag::DiagnosticEngine>(compilation->sources, options.errorLimit);
  for (diag::Code code : options.allowed) {
    compilation->diagnostics->allow(code);
  }
  runWithLargeStack([&] {
    internal::ScriptLoader loader{*compilation, options, {}, {}, {}};
    std::set<const ast::Decl*> used;
    std::set<const ast::Decl*> duplicates;
    std::vector<const ast::Script*> checkedRoots;
    for (const auto& root : roots) {
      ast::Script* script = loader.load(root.path, root.text, {});
      if (script == nullptr) continue;
      sema::Program program;
      loader.collect(script, program.scripts, program.brokenNames);
      program.rootHasBrokenDeclarations = loader.withBrokenDeclarations.count(script) != 0;
      if (compilation->diagnostics->limitReached()) break;
      sema::check(program, compilation->types, *compilation->diagnostics);
      used.insert(program.used.begin(), program.used.end());
      duplicates.insert(program.duplicates.begin(), program.duplicates.end());
      // A use inside a declaration that failed to parse cannot be seen.
      if (!program.rootHasBrokenDeclarations) checkedRoots.push_back(script);
    }
    for (const ast::Script* root : checkedRoots) {
      sema::reportUnused(*root, used, duplicates, *compilation->diagnostics);
    }
  });
  return compilation;
}

}  // namespace crm::driver
