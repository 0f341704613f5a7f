#include "compiler/driver/driver.h"

#include <pthread.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "compiler/sema/checker.h"

namespace crm::driver {
namespace {

constexpr size_t kFrontEndStackBytes = 512u << 20;

struct Loader {
  Compilation& compilation;
  const CheckOptions& options;
  std::map<std::string, ast::Script*> byPath;
  std::map<const ast::Script*, std::vector<std::string>> brokenNames;
  std::set<const ast::Script*> withBrokenDeclarations;

  // Reads and parses `path` once; returns null when it cannot be read.
  ast::Script* load(const std::string& path, const std::optional<std::string>& text,
                    source::SourceRange importedAt) {
    std::string key = path;
    std::error_code error;
    auto canonical = std::filesystem::weakly_canonical(path, error);
    if (!error) key = canonical.string();
    if (auto found = byPath.find(key); found != byPath.end()) {
      return found->second;
    }
    std::string contents;
    if (text) {
      contents = *text;
    } else if (!readFile(path, importedAt, contents)) {
      return nullptr;
    }
    const auto& file = compilation.sources.add(path, std::move(contents));
    auto parsed = parse::parseFile(file, *compilation.diagnostics, options.limits);
    compilation.scripts.push_back(std::make_unique<ast::Script>(std::move(parsed.script)));
    ast::Script* script = compilation.scripts.back().get();
    byPath[key] = script;
    brokenNames[script] = std::move(parsed.brokenNames);
    if (parsed.hasBrokenDeclarations) withBrokenDeclarations.insert(script);
    return script;
  }

  bool readFile(const std::string& path, source::SourceRange importedAt, std::string& contents) {
    std::error_code error;
    // Only a regular file is opened: opening a FIFO would block.
    bool isFile = std::filesystem::is_regular_file(path, error);
    std::ifstream stream;
    if (isFile) {
      stream.open(path, std::ios::binary);
    }
    if (!isFile || !stream) {
      std::string reason = !std::filesystem::exists(path, error) ? "no such file"
                           : !isFile                               ? "not a regular file"
                                                                   : "permission denied";
      auto code = importedAt.valid() ? diag::Code::E0106 : diag::Code::E0001;
      compilation.diagnostics
          ->report(code, importedAt, "cannot read `" + path + "`: " + reason)
          .withHelp(importedAt.valid() ? "imports are relative to the importing file"
                                       : "check the path and the file's permissions");
      return false;
    }
    // Read in chunks, at most one byte past the limit, so that a huge file
    // is not loaded whole only to be rejected and memory follows the file's
    // real size (files under /proc report a size of 0).
    constexpr size_t kChunk = 64 * 1024;
    char chunk[kChunk];
    contents.clear();
    while (contents.size() <= options.limits.maxFileBytes && stream) {
      stream.read(chunk, static_cast<std::streamsize>(kChunk));
      contents.append(chunk, static_cast<size_t>(stream.gcount()));
    }
    if (stream.bad() || (!stream.eof() && contents.size() <= options.limits.maxFileBytes)) {
      compilation.diagnostics
          ->report(importedAt.valid() ? diag::Code::E0106 : diag::Code::E0001, importedAt,
                   "cannot read `" + path + "`: the read failed")
          .withHelp("check that the file is readable");
      return false;
    }
    if (contents.size() > options.limits.maxFileBytes) {
      auto size = std::filesystem::file_size(path, error);
      compilation.diagnostics
          ->report(diag::Code::E0003, importedAt,
                   "`" + path + "` is " + std::to_string(error ? contents.size() : size) +
                       " bytes, more than the " + std::to_string(options.limits.maxFileBytes) +
                       "-byte limit")
          .withHelp("split the script into files joined with `import`");
      return false;
    }
    return true;
  }

  // Collects `root` and everything it imports, depth first, each file once.
  void collect(ast::Script* script, std::vector<ast::Script*>& order,
               std::vector<std::string>& broken) {
    if (std::find(order.begin(), order.end(), script) != order.end()) return;
    order.push_back(script);
    const auto& names = brokenNames[script];
    broken.insert(broken.end(), names.begin(), names.end());
    std::filesystem::path base =
        std::filesystem::path(compilation.sources.file(script->file).path()).parent_path();
    for (auto& decl : script->decls) {
      if (decl->kind != ast::DeclKind::Import) continue;
      const auto& import = ast::as<ast::ImportDecl>(*decl);
      if (import.path.find('\0') != std::string::npos || import.path.empty()) {
        compilation.diagnostics
            ->report(diag::Code::E0106, import.pathRange,
                     import.path.empty() ? "import path is empty"
                                         : "import path contains a NUL character")
            .withHelp("write the path of a .crm file relative to this file");
        continue;
      }
      std::string path = (base / import.path).lexically_normal().string();
      if (ast::Script* imported = load(path, std::nullopt, import.pathRange)) {
        collect(imported, order, broken);
      }
    }
  }
};

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
    Loader loader{*compilation, options, {}, {}, {}};
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
