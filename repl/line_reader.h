// Reading the lines of `crm repl`: with libedit (line editing, history,
// completion, Ctrl-C) when standard input is a terminal, or plain lines,
// without prompts, when it is not.
#pragma once

#include <atomic>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

namespace crm::repl {

class Session;

enum class ReadStatus { Line, Cancelled, End };

struct ReadResult {
  ReadStatus status = ReadStatus::End;
  std::string line;  // without its line break
};

class LineReader {
 public:
  virtual ~LineReader() = default;
  // Reads one line. `continuation` selects the prompt of a line that
  // continues an input.
  virtual ReadResult read(bool continuation) = 0;
  // Records a whole input, possibly several lines, as one history entry.
  virtual void remember(const std::string& input) {}
};

// Plain lines from `in`, for scripts and pipes.
std::unique_ptr<LineReader> plainReader(std::istream& in);

// libedit on standard input and output, with completions from `session`.
// The history is read from `historyPath` when it exists, and written back
// after each input. A history that cannot be read or written gets one
// warning on `err`, and the session goes on without it. When `interrupt`
// is set while a line is read, the input is cancelled as by Ctrl-C.
std::unique_ptr<LineReader> terminalReader(const Session& session, const std::string& historyPath,
                                           std::atomic<bool>* interrupt, std::ostream& err);

// The history file: $CRM_HISTORY, else $HOME/.crm_history; none without
// either.
std::optional<std::string> historyPath();

}  // namespace crm::repl
