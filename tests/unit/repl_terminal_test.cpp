// `crm repl` driven through a pseudo-terminal, as a person types: history
// recall, multi-line input, errors, completion and Ctrl-C.
#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/test_support.h"

namespace crm {
namespace {

using namespace std::chrono_literals;

constexpr auto kTimeout = 10s;

// A `crm repl` process on the child side of a pseudo-terminal.
class Terminal {
 public:
  Terminal(const std::string& script, const std::string& home, const std::string& history) {
    struct winsize size {};
    size.ws_row = 40;
    size.ws_col = 120;
    pid_ = forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      setenv("HOME", home.c_str(), 1);
      setenv("CRM_HISTORY", history.c_str(), 1);
      setenv("TERM", "xterm", 1);
      execl(CRM_BINARY, "crm", "repl", script.c_str(), "--as-of", "2026-06-01T00:00:00Z",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }

  ~Terminal() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0)
      close(master_);
  }

  bool started() const { return pid_ > 0; }

  void type(const std::string& keys) {
    ASSERT_EQ(write(master_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  }

  // Reads until the output since the last wait contains `text`; false on
  // timeout or when the process ended first.
  bool waitFor(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (true) {
      size_t found = output_.find(text, consumed_);
      if (found != std::string::npos) {
        consumed_ = found + text.size();
        return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      struct pollfd descriptor {
        master_, POLLIN, 0
      };
      if (poll(&descriptor, 1, static_cast<int>(left.count())) <= 0)
        return false;
      char buffer[4096];
      ssize_t count = read(master_, buffer, sizeof buffer);
      if (count <= 0)
        return false;
      output_.append(buffer, static_cast<size_t>(count));
    }
  }

  // Waits for `text` and then for libedit to take the terminal out of
  // canonical mode. Keys typed before that are seen by the terminal's line
  // discipline, which turns Ctrl-D into an end of file and Ctrl-C into a
  // signal, instead of by libedit.
  bool prompt(const std::string& text = "crm> ") {
    if (!waitFor(text))
      return false;
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      struct termios modes {};
      // On a pseudo-terminal's master side, tcgetattr() reads the modes
      // that the child side uses.
      if (tcgetattr(master_, &modes) == 0 && (modes.c_lflag & ICANON) == 0)
        return true;
      usleep(2000);
    }
    return false;
  }

  // Waits for the process to end; returns its exit status, or -1.
  int finish() {
    std::string rest;
    char buffer[4096];
    while (true) {
      struct pollfd descriptor {
        master_, POLLIN, 0
      };
      if (poll(&descriptor, 1, 10000) <= 0)
        break;
      ssize_t count = read(master_, buffer, sizeof buffer);
      if (count <= 0)
        break;
      output_.append(buffer, static_cast<size_t>(count));
    }
    // A process that does not end in time is killed, and the test fails.
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        exited_ = true;
        return -1;
      }
      usleep(10000);
    }
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  void interrupt() { kill(pid_, SIGINT); }

  bool running() {
    if (exited_)
      return false;
    return waitpid(pid_, nullptr, WNOHANG) == 0;
  }

  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  bool exited_ = false;
  std::string output_;
  size_t consumed_ = 0;
};

class ReplTerminalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("crm_repl_terminal_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "home");
    write("shop.crm",
          "customer entity Customer key id {\n  id: string\n  age: int?\n  city: string\n}\n"
          "source customers: Customer from csv(\"customers.csv\") {}\n"
          "segment adult = (customer.age ?? 0) >= 18\n");
    write("customers.csv", "id,age,city\nc1,34,Paris\nc2,,Lyon\nc3,17,Paris\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string history() const { return path("home/history"); }

  std::filesystem::path dir_;
};

TEST_F(ReplTerminalTest, UpArrowRecallsHistory) {
  Terminal terminal(path("shop.crm"), path("home"), history());
  ASSERT_TRUE(terminal.started());
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("40 + 2\r");
  ASSERT_TRUE(terminal.waitFor("42  : int")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type(":count adult\r");
  ASSERT_TRUE(terminal.waitFor("1 of 3 customers")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("\x1b[A\x1b[A\r");  // Up twice: `40 + 2`
  ASSERT_TRUE(terminal.waitFor("42  : int")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type(":quit\r");
  EXPECT_EQ(terminal.finish(), 0) << terminal.output();
  EXPECT_EQ(testing::readFile(history()),
            "_HiStOrY_V2_\n40\\040+\\0402\n:count\\040adult\n40\\040+\\0402\n:quit\n");
}

TEST_F(ReplTerminalTest, HistoryPersistsAcrossSessions) {
  {
    Terminal terminal(path("shop.crm"), path("home"), history());
    ASSERT_TRUE(terminal.prompt()) << terminal.output();
    terminal.type("6 * 7\r");
    ASSERT_TRUE(terminal.waitFor("42  : int")) << terminal.output();
    ASSERT_TRUE(terminal.prompt()) << terminal.output();
    terminal.type("\x04");  // Ctrl-D
    EXPECT_EQ(terminal.finish(), 0) << terminal.output();
  }
  Terminal terminal(path("shop.crm"), path("home"), history());
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("\x1b[A\r");
  ASSERT_TRUE(terminal.waitFor("42  : int")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("\x04");
  EXPECT_EQ(terminal.finish(), 0);
}

TEST_F(ReplTerminalTest, MultiLineDeclarationIsOneEntry) {
  Terminal terminal(path("shop.crm"), path("home"), history());
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("segment parisian = (\r");
  ASSERT_TRUE(terminal.prompt("...> ")) << terminal.output();
  terminal.type("customer.city == \"Paris\" &&\r");
  ASSERT_TRUE(terminal.prompt("...> ")) << terminal.output();
  terminal.type("adult)\r");
  ASSERT_TRUE(terminal.waitFor("defined segment parisian")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type(":count parisian\r");
  ASSERT_TRUE(terminal.waitFor("1 of 3 customers")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type(":quit\r");
  EXPECT_EQ(terminal.finish(), 0) << terminal.output();
  EXPECT_EQ(testing::readFile(history()),
            "_HiStOrY_V2_\n"
            "segment\\040parisian\\040=\\040(\\012customer.city\\040==\\040\"Paris\"\\040&&"
            "\\012adult)\n:count\\040parisian\n:quit\n");
}

TEST_F(ReplTerminalTest, SyntaxErrorThenCorrectInput) {
  Terminal terminal(path("shop.crm"), path("home"), history());
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("1 + + )\r");
  ASSERT_TRUE(terminal.waitFor("<input>:1:")) << terminal.output();
  ASSERT_TRUE(terminal.waitFor("error[E0010]")) << terminal.output();
  ASSERT_TRUE(terminal.waitFor("^")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("1 + 2\r");
  ASSERT_TRUE(terminal.waitFor("3  : int")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type(":quit\r");
  EXPECT_EQ(terminal.finish(), 0) << terminal.output();
}

TEST_F(ReplTerminalTest, TabCompletesFieldAndName) {
  Terminal terminal(path("shop.crm"), path("home"), history());
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type(":customer c1\r");
  ASSERT_TRUE(terminal.waitFor("customer c1")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("customer.ci\t == \"Paris\" && adu\t\r");
  ASSERT_TRUE(terminal.waitFor("true  : bool")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type(":quit\r");
  EXPECT_EQ(terminal.finish(), 0) << terminal.output();
  EXPECT_NE(
      testing::readFile(history()).find("customer.city\\040==\\040\"Paris\"\\040&&\\040adult"),
      std::string::npos);
}

TEST_F(ReplTerminalTest, TabListsSeveralMatches) {
  Terminal terminal(path("shop.crm"), path("home"), history());
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("customer.\t");
  ASSERT_TRUE(terminal.waitFor("customer.age")) << terminal.output();
  ASSERT_TRUE(terminal.waitFor("customer.city")) << terminal.output();
  ASSERT_TRUE(terminal.waitFor("customer.id")) << terminal.output();
  terminal.type("\x15:quit\r");  // Ctrl-U clears the line
  EXPECT_EQ(terminal.finish(), 0) << terminal.output();
}

TEST_F(ReplTerminalTest, CtrlCCancelsInput) {
  Terminal terminal(path("shop.crm"), path("home"), history());
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("100 +\r");
  ASSERT_TRUE(terminal.prompt("...> ")) << terminal.output();
  terminal.type("\x03");
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  EXPECT_TRUE(terminal.running());
  terminal.type("2 + 2\r");
  ASSERT_TRUE(terminal.waitFor("4  : int")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("half typed\x03");
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  // SIGINT from outside the terminal cancels the line too.
  terminal.type("7 *");
  ASSERT_TRUE(terminal.waitFor("7 *")) << terminal.output();
  terminal.interrupt();
  ASSERT_TRUE(terminal.waitFor("^C")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  EXPECT_TRUE(terminal.running());
  terminal.type(":quit\r");
  EXPECT_EQ(terminal.finish(), 0) << terminal.output();
  EXPECT_EQ(terminal.output().find("error"), std::string::npos) << terminal.output();
  EXPECT_EQ(testing::readFile(history()), "_HiStOrY_V2_\n2\\040+\\0402\n:quit\n");
}

TEST_F(ReplTerminalTest, UnwritableHistoryWarnsAndGoesOn) {
  Terminal terminal(path("shop.crm"), path("home"), path("missing/folder/history"));
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("1 + 1\r");
  ASSERT_TRUE(terminal.waitFor("crm: warning: cannot write the history file")) << terminal.output();
  ASSERT_TRUE(terminal.waitFor("2  : int")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type("2 + 2\r");
  ASSERT_TRUE(terminal.waitFor("4  : int")) << terminal.output();
  ASSERT_TRUE(terminal.prompt()) << terminal.output();
  terminal.type(":quit\r");
  EXPECT_EQ(terminal.finish(), 0) << terminal.output();
  EXPECT_FALSE(std::filesystem::exists(path("missing")));
}

TEST_F(ReplTerminalTest, PipedInputHasNoPrompt) {
  std::string command =
      std::string(CRM_BINARY) + " repl " + path("shop.crm") + " > " + path("out.txt") + " 2>&1";
  FILE* pipe = popen(command.c_str(), "w");
  ASSERT_NE(pipe, nullptr);
  std::fputs(":count adult\nsegment s =\n  customer.city == \"Lyon\"\n:count s\n", pipe);
  ASSERT_EQ(pclose(pipe), 0);
  EXPECT_EQ(testing::readFile(path("out.txt")),
            "1 of 3 customers\ndefined segment s\n1 of 3 customers\n");
}

}  // namespace
}  // namespace crm
