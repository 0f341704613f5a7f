// Reads root scripts and their imports for the driver's entry points: each
// file once, parsed, with the names of the declarations that failed to
// parse. Internal to compiler/driver.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/driver/driver.h"

namespace crm::driver::internal {

struct ScriptLoader {
  Compilation& compilation;
  const CheckOptions& options;
  std::map<std::string, ast::Script*> byPath;
  std::map<const ast::Script*, std::vector<std::string>> brokenNames;
  std::set<const ast::Script*> withBrokenDeclarations;
  // Texts to use instead of reading files, by path; may be null.
  const std::map<std::string, std::string>* fileTexts = nullptr;

  // Reads and parses `path` once; returns null when it cannot be read.
  ast::Script* load(const std::string& path, const std::optional<std::string>& text,
                    source::SourceRange importedAt);

  bool readFile(const std::string& path, source::SourceRange importedAt, std::string& contents);

  // Collects `root` and everything it imports, depth first, each file once.
  void collect(ast::Script* script, std::vector<ast::Script*>& order,
               std::vector<std::string>& broken);
};

}  // namespace crm::driver::internal
