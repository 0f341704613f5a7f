#include "fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace crm::fuzz {

namespace fs = std::filesystem;

namespace {

void removeScratchFolder() {
  std::error_code ignored;
  fs::remove_all(scratchFolder(), ignored);
}

}  // namespace

const std::string& scratchFolder() {
  // Never destroyed: the exit handler that removes the folder runs after
  // the destructors of function-local statics.
  static const std::string* folder = [] {
    fs::path path = fs::temp_directory_path() / ("crm-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(path);
    auto* name = new std::string(path.string());
    std::atexit(removeScratchFolder);
    return name;
  }();
  return *folder;
}

std::string writeScratchFile(const std::string& name, std::string_view bytes) {
  std::string path = scratchFolder() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("cannot write the scratch file " + path, {});
  return path;
}

std::vector<std::string_view> splitInput(const uint8_t* data, size_t size, size_t parts) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> pieces;
  while (pieces.size() + 1 < parts) {
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) break;
    pieces.push_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  pieces.push_back(rest);
  pieces.resize(parts);
  return pieces;
}

std::unique_ptr<driver::Compilation> checkFixedScript(const std::string& name,
                                                      const std::string& script) {
  std::string path = writeScratchFile(name, script);
  auto compilation = driver::checkScripts({{path, std::nullopt}});
  if (compilation->hasErrors()) {
    for (const auto& diagnostic : compilation->diagnostics->sorted()) {
      std::cerr << diagnostic.message << "\n";
    }
    fail("the target's own script does not check", script);
  }
  return compilation;
}

std::vector<const ast::Script*> scriptsOf(const driver::Compilation& compilation) {
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation.scripts) scripts.push_back(script.get());
  return scripts;
}

void fail(const std::string& what, std::string_view input) {
  std::cerr << "crm fuzz finding: " << what << "\n";
  if (!input.empty() && input.size() <= 4096) {
    std::cerr << "input:\n" << input << "\n";
  }
  std::abort();
}

}  // namespace crm::fuzz
