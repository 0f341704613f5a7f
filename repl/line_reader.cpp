#include "repl/line_reader.h"

#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <fstream>
#include <vector>

#include "repl/session.h"
#include "runtime/atomic_file.h"

namespace crm::repl {
namespace {

constexpr int kHistorySize = 1000;

class PlainReader : public LineReader {
 public:
  explicit PlainReader(std::istream& in) : in_(in) {}

  ReadResult read(bool) override {
    ReadResult result;
    if (!std::getline(in_, result.line))
      return result;
    if (!result.line.empty() && result.line.back() == '\r')
      result.line.pop_back();
    result.status = ReadStatus::Line;
    return result;
  }

 private:
  std::istream& in_;
};

class TerminalReader : public LineReader {
 public:
  TerminalReader(const Session& session, std::string historyPath, std::atomic<bool>* interrupt,
                 std::ostream& err)
      : session_(session), historyPath_(std::move(historyPath)), interrupt_(interrupt), err_(err) {
    editor_ = el_init("crm", stdin, stdout, stderr);
    history_ = history_init();
    HistEvent event;
    ::history(history_, &event, H_SETSIZE, kHistorySize);
    ::history(history_, &event, H_SETUNIQUE, 1);
    if (historyPath_.empty()) {
      historyWritable_ = false;
    } else {
      loadHistory();
    }

    el_set(editor_, EL_CLIENTDATA, this);
    el_set(editor_, EL_GETCFN, &TerminalReader::readCharacter);
    el_set(editor_, EL_EDITOR, "emacs");
    el_set(editor_, EL_HIST, ::history, history_);
    el_set(editor_, EL_PROMPT, &TerminalReader::prompt);
    // The wide form keeps the given names; the narrow el_set copies them
    // and el_end never frees the copies.
    el_wset(editor_, EL_ADDFN, L"crm-complete", L"Complete the word before the cursor",
            &TerminalReader::complete);
    el_set(editor_, EL_BIND, "^I", "crm-complete", nullptr);
    // Ctrl-C reaches the editor as a key, instead of SIGINT, while a line is
    // edited, and cancels the input.
    el_set(editor_, EL_SETTY, "-d", "-isig", nullptr);
    el_wset(editor_, EL_ADDFN, L"crm-cancel", L"Cancel the input", &TerminalReader::cancel);
    el_set(editor_, EL_BIND, "^C", "crm-cancel", nullptr);
    el_source(editor_, nullptr);  // the user's ~/.editrc, when there is one
  }

  ~TerminalReader() override {
    el_end(editor_);
    history_end(history_);
  }

  ReadResult read(bool continuation) override {
    continuation_ = continuation;
    cancelled_ = false;
    int count = 0;
    const char* line = el_gets(editor_, &count);
    ReadResult result;
    if (cancelled_) {
      std::fputs("^C\n", stdout);
      std::fflush(stdout);
      result.status = ReadStatus::Cancelled;
      return result;
    }
    if (line == nullptr || count <= 0) {
      std::fputs("\n", stdout);  // Ctrl-D leaves the prompt's line
      return result;
    }
    result.line.assign(line, static_cast<size_t>(count));
    while (!result.line.empty() && (result.line.back() == '\n' || result.line.back() == '\r')) {
      result.line.pop_back();
    }
    result.status = ReadStatus::Line;
    return result;
  }

  void remember(const std::string& input) override {
    HistEvent event;
    ::history(history_, &event, H_ENTER, input.c_str());
    saveHistory();
  }

 private:
  static TerminalReader& of(EditLine* editor) {
    void* data = nullptr;
    el_get(editor, EL_CLIENTDATA, &data);
    return *static_cast<TerminalReader*>(data);
  }

  static char* prompt(EditLine* editor) {
    static char first[] = "crm> ";
    static char next[] = "...> ";
    return of(editor).continuation_ ? next : first;
  }

  // Reads one character from standard input. A SIGINT that arrives while
  // no line is edited, such as between the end of an evaluation and the
  // next prompt, when the terminal still generates signals, reads as Ctrl-C.
  static int readCharacter(EditLine* editor, wchar_t* character) {
    sigset_t interruptOnly;
    sigset_t original;
    sigemptyset(&interruptOnly);
    sigaddset(&interruptOnly, SIGINT);
    // SIGINT stays blocked except inside ppoll(), so that it cannot arrive
    // between the check of the flag and the wait.
    pthread_sigmask(SIG_BLOCK, &interruptOnly, &original);
    int result = readUnblocked(of(editor).interrupt_, original, character);
    pthread_sigmask(SIG_SETMASK, &original, nullptr);
    return result;
  }

  // Returns 1 with a character, 0 at the end of input or -1 on an error,
  // as libedit's EL_GETCFN expects.
  static int readUnblocked(std::atomic<bool>* interrupt, const sigset_t& waitMask,
                           wchar_t* character) {
    std::mbstate_t state{};
    while (true) {
      if (interrupt != nullptr && interrupt->exchange(false)) {
        *character = L'\x03';
        return 1;
      }

      struct pollfd input {
        STDIN_FILENO, POLLIN, 0
      };
      if (ppoll(&input, 1, nullptr, &waitMask) < 0) {
        if (errno == EINTR)
          continue;
        return -1;
      }
      char byte = 0;
      ssize_t count = ::read(STDIN_FILENO, &byte, 1);
      if (count < 0 && errno == EINTR)
        continue;
      if (count <= 0)
        return count == 0 ? 0 : -1;

      size_t decoded = std::mbrtowc(character, &byte, 1, &state);
      if (decoded == static_cast<size_t>(-2))
        continue;  // more bytes of one character
      if (decoded == static_cast<size_t>(-1)) {
        // An invalid byte is passed on as it is, and the checker reports it.
        *character = static_cast<unsigned char>(byte);
      }
      return 1;
    }
  }

  static unsigned char cancel(EditLine* editor, int) {
    of(editor).cancelled_ = true;
    return CC_NEWLINE;
  }

  static unsigned char complete(EditLine* editor, int) { return of(editor).completeWord(editor); }

  unsigned char completeWord(EditLine* editor) {
    const LineInfo* info = el_line(editor);
    std::string_view line(info->buffer, static_cast<size_t>(info->lastchar - info->buffer));
    auto cursor = static_cast<size_t>(info->cursor - info->buffer);
    size_t start = 0;
    std::vector<std::string> matches = session_.completions(line, cursor, start);
    if (matches.empty())
      return CC_REFRESH_BEEP;
    std::string_view word = line.substr(start, cursor - start);
    std::string common = matches.front();
    for (const auto& match : matches) {
      size_t same = 0;
      while (same < common.size() && same < match.size() && common[same] == match[same])
        ++same;
      common.resize(same);
    }
    if (common.size() > word.size() && common.compare(0, word.size(), word) == 0) {
      el_insertstr(editor, common.substr(word.size()).c_str());
      return CC_REFRESH;
    }
    if (matches.size() == 1)
      return CC_REFRESH;
    listMatches(matches);
    return CC_REDISPLAY;
  }

  // Prints the matches in columns under the line being edited.
  static void listMatches(const std::vector<std::string>& matches) {
    size_t width = 0;
    for (const auto& match : matches)
      width = std::max(width, match.size());
    width += 2;
    size_t columns = std::max<size_t>(1, 80 / width);
    std::string text = "\n";
    for (size_t i = 0; i < matches.size(); ++i) {
      text += matches[i];
      bool endOfRow = (i + 1) % columns == 0 || i + 1 == matches.size();
      text += endOfRow ? "\n" : std::string(width - matches[i].size(), ' ');
    }
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }

  void loadHistory() {
    std::ifstream probe(historyPath_);
    if (!probe) {
      if (errno != ENOENT) {
        warn("cannot read the history file " + historyPath_ + ": " + std::strerror(errno));
      }
      return;
    }
    HistEvent event;
    if (::history(history_, &event, H_LOAD, historyPath_.c_str()) < 0) {
      warn("cannot read the history file " + historyPath_ + ": it is not a libedit history file");
    }
  }

  void saveHistory() {
    if (!historyWritable_)
      return;
    // libedit writes its format to a FILE with a descriptor (it fails on a
    // memory stream), so the text goes through an anonymous temporary file
    // and then to the history file atomically.
    FILE* scratch = std::tmpfile();
    if (scratch == nullptr) {
      warn(std::string("cannot save the history: no temporary file: ") + std::strerror(errno));
      return;
    }
    HistEvent event;
    ::history(history_, &event, H_SAVE_FP, scratch);
    std::string text;
    std::rewind(scratch);
    char chunk[4096];
    for (size_t read; (read = std::fread(chunk, 1, sizeof chunk, scratch)) > 0;) {
      text.append(chunk, read);
    }
    std::fclose(scratch);
    std::string error = runtime::writeFileAtomically(historyPath_, text, "the history file");
    if (!error.empty()) {
      historyWritable_ = false;
      warn(error);
    }
  }

  // Stops saving the history: a file that could not be read would lose its
  // entries if it were overwritten.
  void warn(const std::string& problem) {
    err_ << "crm: warning: " << problem << "; the session goes on without saving its history\n";
    err_.flush();
    historyWritable_ = false;
  }

  const Session& session_;
  std::string historyPath_;
  std::atomic<bool>* interrupt_;
  std::ostream& err_;
  EditLine* editor_ = nullptr;
  History* history_ = nullptr;
  bool continuation_ = false;
  bool cancelled_ = false;
  bool historyWritable_ = true;
};

}  // namespace

std::unique_ptr<LineReader> plainReader(std::istream& in) {
  return std::make_unique<PlainReader>(in);
}

std::unique_ptr<LineReader> terminalReader(const Session& session, const std::string& historyPath,
                                           std::atomic<bool>* interrupt, std::ostream& err) {
  return std::make_unique<TerminalReader>(session, historyPath, interrupt, err);
}

std::optional<std::string> historyPath() {
  if (const char* path = std::getenv("CRM_HISTORY"); path != nullptr && *path != '\0') {
    return std::string(path);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.crm_history";
  }
  return std::nullopt;
}

}  // namespace crm::repl
