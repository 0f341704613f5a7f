#include "tests/support/doc_blocks.h"

#include <charconv>
#include <sstream>

namespace crm::testing {
namespace {

constexpr std::string_view kFence = "```";
constexpr std::string_view kEllipsis = "...";

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trimRight(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

size_t indentationOf(const std::string& line) {
  size_t spaces = 0;
  while (spaces < line.size() && line[spaces] == ' ') ++spaces;
  return spaces;
}

bool isFence(const std::string& line) {
  return line.compare(indentationOf(line), kFence.size(), kFence) == 0;
}

std::vector<std::string> splitWords(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// Whether `line` matches `pattern`, where each `...` of the pattern stands
// for any text.
bool lineMatches(const std::string& pattern, const std::string& line) {
  size_t split = pattern.find(kEllipsis);
  if (split == std::string::npos) return pattern == line;
  std::string prefix = pattern.substr(0, split);
  if (line.compare(0, prefix.size(), prefix) != 0) return false;
  std::string rest = pattern.substr(split + kEllipsis.size());
  for (size_t start = prefix.size(); start <= line.size(); ++start) {
    if (lineMatches(rest, line.substr(start))) return true;
  }
  return false;
}

bool linesMatch(const std::vector<std::string>& expected, size_t i,
                const std::vector<std::string>& actual, size_t j) {
  if (i == expected.size()) return j == actual.size();
  if (expected[i].substr(indentationOf(expected[i])) == kEllipsis) {
    for (size_t skip = j; skip <= actual.size(); ++skip) {
      if (linesMatch(expected, i + 1, actual, skip)) return true;
    }
    return false;
  }
  return j < actual.size() && lineMatches(expected[i], actual[j]) &&
         linesMatch(expected, i + 1, actual, j + 1);
}

std::vector<std::string> normalized(std::vector<std::string> lines) {
  for (auto& line : lines) line = trimRight(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace

std::vector<CodeBlock> extractBlocks(const std::string& markdown, std::string& failure) {
  std::vector<CodeBlock> blocks;
  std::vector<std::string> lines = splitLines(markdown);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!isFence(lines[i])) continue;
    size_t indentation = indentationOf(lines[i]);
    CodeBlock block;
    block.line = static_cast<int>(i) + 1;
    block.info = trimRight(lines[i].substr(indentation + kFence.size()));
    size_t end = i + 1;
    for (; end < lines.size() && !isFence(lines[end]); ++end) {
      size_t strip = std::min(indentation, indentationOf(lines[end]));
      block.text += lines[end].substr(strip) + "\n";
    }
    if (end == lines.size()) {
      failure = "line " + std::to_string(block.line) + ": the block is not closed";
      return blocks;
    }
    blocks.push_back(block);
    i = end;
  }
  return blocks;
}

std::optional<BlockInfo> parseInfo(const std::string& info, std::string& failure) {
  BlockInfo parsed;
  std::string options = info;
  size_t skip = info.find("skip:");
  if (skip != std::string::npos) {
    std::string reason = info.substr(skip + 5);
    reason.erase(0, reason.find_first_not_of(' '));
    if (reason.empty()) {
      failure = "`skip:` needs a reason, such as `skip: needs a PostgreSQL server`";
      return std::nullopt;
    }
    parsed.skipReason = reason;
    options = info.substr(0, skip);
  }
  std::vector<std::string> words = splitWords(options);
  if (words.empty()) return parsed;
  parsed.language = words[0];
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "fragment") {
      parsed.fragment = true;
    } else if (word == "expr") {
      parsed.expression = true;
    } else if (word.starts_with("file=") && word.size() > 5) {
      parsed.file = word.substr(5);
    } else if (word.starts_with("context=") && word.size() > 8) {
      parsed.context = word.substr(8);
    } else if (word.starts_with("exit=")) {
      std::string_view digits(word);
      digits.remove_prefix(5);
      auto [end, error] = std::from_chars(digits.begin(), digits.end(), parsed.exitCode);
      if (error != std::errc{} || end != digits.end() || digits.empty()) {
        failure = "invalid `" + word + "`: exit= takes an exit code, such as exit=1";
        return std::nullopt;
      }
    } else {
      failure = "unknown option `" + word + "` in the info string `" + info +
                "`; the options are fragment, expr, file=PATH, context=PATH, exit=N and "
                "skip: REASON";
      return std::nullopt;
    }
  }
  return parsed;
}

std::vector<ShellCommand> parseShellBlock(const std::string& text) {
  std::vector<std::string> lines = splitLines(text);
  bool prompts = false;
  for (const auto& line : lines) prompts = prompts || line.starts_with("$ ");

  std::vector<ShellCommand> commands;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (prompts) {
      if (!line.starts_with("$ ")) {
        if (!commands.empty()) commands.back().expectedOutput.push_back(line);
        continue;
      }
      line = line.substr(2);
    } else if (line.find_first_not_of(' ') == std::string::npos ||
               line[line.find_first_not_of(' ')] == '#') {
      continue;
    }
    ShellCommand command;
    command.offset = static_cast<int>(i);
    command.command = line;
    while (!command.command.empty() && command.command.back() == '\\' && i + 1 < lines.size()) {
      command.command += "\n" + lines[++i];
    }
    commands.push_back(command);
  }
  return commands;
}

bool invokesCrm(const std::string& command) {
  for (const auto& word : splitWords(command)) {
    if (word == "crm" || word == "build/crm" || word == "./build/crm") return true;
  }
  return false;
}

bool outputMatches(const std::vector<std::string>& expected, const std::string& actual) {
  return linesMatch(normalized(expected), 0, normalized(splitLines(actual)), 0);
}

}  // namespace crm::testing
