// Tab completion of commands, declared names, customer fields and built-in
// functions.
#include <algorithm>
#include <set>

#include "repl/input.h"
#include "repl/session.h"
#include "stdlib/signatures.h"

namespace crm::repl {
namespace {

constexpr const char* kCommands[] = {":count", ":customer", ":explain", ":help", ":ir",  ":load",
                                     ":quit",  ":reload",   ":sample",  ":time", ":type"};

void addMatches(std::set<std::string>& matches, const std::string& prefix, std::string_view partial,
                const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (name.compare(0, partial.size(), partial) == 0)
      matches.insert(prefix + name);
  }
}

std::vector<std::string> builtinNames() {
  std::set<std::string> names;
  for (const auto& signature : stdlib::signatures())
    names.emplace(signature.name);
  for (const auto& macro : stdlib::macros())
    names.emplace(macro.name);
  return {names.begin(), names.end()};
}

}  // namespace

std::vector<std::string> Session::completions(std::string_view line, size_t cursor,
                                              size_t& start) const {
  cursor = std::min(cursor, line.size());
  std::set<std::string> matches;
  size_t first = line.find_first_not_of(" \t");
  // A command name at the start of the line.
  if (first != std::string_view::npos && line[first] == ':' &&
      line.find_first_of(" \t", first) >= cursor) {
    start = first;
    std::string_view partial = line.substr(first, cursor - first);
    for (const char* command : kCommands) {
      if (std::string_view(command).substr(0, partial.size()) == partial)
        matches.insert(command);
    }
    return {matches.begin(), matches.end()};
  }

  start = wordStart(line, cursor);
  std::string_view word = line.substr(start, cursor - start);
  size_t dot = word.rfind('.');
  static const std::vector<std::string> kBuiltins = builtinNames();
  if (dot == std::string_view::npos) {
    if (workspace_ != nullptr)
      addMatches(matches, "", word, workspace_->names);
    std::vector<std::string> sessionNames;
    for (const auto& declaration : declarations_)
      sessionNames.push_back(declaration.name);
    addMatches(matches, "", word, sessionNames);
    if (workspace_ != nullptr && workspace_->customers != nullptr) {
      addMatches(matches, "", word, {"customer"});
    }
    addMatches(matches, "", word, kBuiltins);
  } else {
    std::string receiver(word.substr(0, dot + 1));
    std::string_view partial = word.substr(dot + 1);
    if (receiver == "customer." && workspace_ != nullptr) {
      addMatches(matches, receiver, partial, workspace_->customerFields);
    } else {
      // A method call on some other value.
      addMatches(matches, receiver, partial, kBuiltins);
    }
  }
  return {matches.begin(), matches.end()};
}

}  // namespace crm::repl
