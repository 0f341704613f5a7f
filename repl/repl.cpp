#include "repl/repl.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <clocale>
#include <iostream>

#include "repl/input.h"

namespace crm::repl {
namespace {

std::atomic<bool> interruptRequested{false};

void onInterrupt(int) {
  interruptRequested.store(true);
}

bool isBlank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

void runLoop(Session& session, LineReader& reader, std::ostream& out, std::ostream& err) {
  std::string input;
  while (true) {
    ReadResult read = reader.read(!input.empty());
    if (read.status == ReadStatus::Cancelled) {
      input.clear();
      continue;
    }
    bool end = read.status == ReadStatus::End;
    if (!end) {
      if (input.empty() && isBlank(read.line))
        continue;
      if (!input.empty())
        input += "\n";
      input += read.line;
      // An empty line ends an input that is still open, which then gets
      // its error from the checker.
      if (!isBlank(read.line) && needsMoreInput(input))
        continue;
    }
    if (!isBlank(input)) {
      while (!input.empty() && (input.back() == '\n' || input.back() == ' '))
        input.pop_back();
      reader.remember(input);
      interruptRequested.store(false);
      bool goOn = session.handle(input, out, err);
      // A Ctrl-C that stopped this input does not cancel the next one.
      interruptRequested.store(false);
      out.flush();
      err.flush();
      if (!goOn)
        return;
    }
    input.clear();
    if (end)
      return;
  }
}

void runOnStandardInput(Session& session, std::ostream& out, std::ostream& err) {
  if (!isatty(STDIN_FILENO)) {
    auto reader = plainReader(std::cin);
    runLoop(session, *reader, out, err);
    return;
  }
  // libedit decodes multibyte characters in the locale's encoding.
  std::setlocale(LC_CTYPE, "");
  struct sigaction action {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction previous {};
  sigaction(SIGINT, &action, &previous);
  session.setInterruptFlag(&interruptRequested);

  auto reader = terminalReader(session, historyPath().value_or(""), &interruptRequested, err);
  runLoop(session, *reader, out, err);

  session.setInterruptFlag(nullptr);
  sigaction(SIGINT, &previous, nullptr);
}

}  // namespace crm::repl
