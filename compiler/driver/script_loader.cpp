#include "compiler/driver/script_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace crm::driver::internal {

ast::Script* ScriptLoader::load(const std::string& path,
                                const std::optional<std::string>& text,
                                source::SourceRange importedAt) {
  std::string key = path;
  std::error_code error;
  auto canonical = std::filesystem::weakly_canonical(path, error);
  if (!error) key = canonical.string();
  if (auto found = byPath.find(key); found != byPath.end()) {
    return found->second;
  }
  std::string contents;
  const std::string* snapshot = nullptr;
  if (fileTexts != nullptr) {
    auto found = fileTexts->find(path);
    if (found != fileTexts->end()) snapshot = &found->second;
  }
  if (text) {
    contents = *text;
  } else if (snapshot != nullptr) {
    contents = *snapshot;
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

bool ScriptLoader::readFile(const std::string& path, source::SourceRange importedAt,
                            std::string& contents) {
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

void ScriptLoader::collect(ast::Script* script, std::vector<ast::Script*>& order,
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

}  // namespace crm::driver::internal
