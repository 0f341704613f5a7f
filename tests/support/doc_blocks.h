// The fenced code blocks of Markdown documents, as the documentation test
// reads them: the info string of each block, the commands of shell blocks
// with the output they show, and the comparison of that output with what a
// command printed. docs/README.md describes the conventions.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace crm::testing {

// One fenced block. `line` is the 1-based line of the opening fence, and
// `text` the lines between the fences, without the fence's indentation.
struct CodeBlock {
  int line = 0;
  std::string info;
  std::string text;
};

// Returns the fenced blocks of a Markdown text, in order. `failure` is set
// when a block is not closed.
std::vector<CodeBlock> extractBlocks(const std::string& markdown, std::string& failure);

// The meaning of an info string such as `crm fragment context=PATH` or
// `sh exit=1`.
struct BlockInfo {
  std::string language;                   // empty for a block without info string
  bool fragment = false;                  // crm: declarations that need a context
  bool expression = false;                // crm: one expression per line
  std::optional<std::string> file;        // file=PATH: saved there before later blocks
  std::optional<std::string> context;     // context=PATH: the script that gives names
  int exitCode = 0;                       // exit=N: the exit code of every command
  std::optional<std::string> skipReason;  // skip: REASON
};

// Parses an info string, or returns nullopt and sets `failure` for an
// unknown option, a `skip:` without reason or an invalid exit code.
std::optional<BlockInfo> parseInfo(const std::string& info, std::string& failure);

// One command of a shell block. `expectedOutput` contains the lines shown
// after a `$ ` command, up to the next one. It is empty for a command that
// shows none, and for every command of a block without `$ ` prompts.
struct ShellCommand {
  int offset = 0;  // the line within the block, 0-based
  std::string command;
  std::vector<std::string> expectedOutput;
};

// Splits a shell block into commands. Lines ending in `\` continue on the
// next line. Without `$ ` prompts every line is a command, except empty
// lines and `#` comments.
std::vector<ShellCommand> parseShellBlock(const std::string& text);

// Whether a command runs crm: one of its words is `crm`, `build/crm` or
// `./build/crm`.
bool invokesCrm(const std::string& command);

// Whether `actual` matches the lines `expected`. A line of only `...`, indented
// or not, matches any number of lines, `...` inside a line matches any text, and white space at
// the end of lines and empty lines at the end are ignored.
bool outputMatches(const std::vector<std::string>& expected, const std::string& actual);

}  // namespace crm::testing
