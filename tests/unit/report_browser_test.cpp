// The report as a browser renders it: headless Chromium loads the file
// from disk, and the DOM it prints must contain every chart's SVG with the
// numbers of the unit tests. A screenshot of the page is kept under the
// build folder (test-artifacts/) for people to look at. Skipped when
// Chromium is not installed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/atomic_file.h"
#include "tests/support/engines.h"
#include "tests/support/report_fixture.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

namespace fs = std::filesystem;

constexpr auto kBrowserTimeout = std::chrono::seconds(60);

// Debian's package installs /usr/bin/chromium; other places on PATH count
// too.
std::string findChromium() {
  const char* path = std::getenv("PATH");
  std::string directories = path != nullptr ? path : "/usr/bin";
  size_t start = 0;
  while (start <= directories.size()) {
    size_t end = directories.find(':', start);
    if (end == std::string::npos)
      end = directories.size();
    fs::path candidate = fs::path(directories.substr(start, end - start)) / "chromium";
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    start = end + 1;
  }
  return "";
}

struct BrowserRun {
  bool timedOut = false;
  int exitCode = -1;
};

// Runs `arguments` in a process group of its own, with HOME and the XDG
// folders in `home`, standard output to `outPath` and standard error to
// `errPath`. Kills the whole group when it outlives kBrowserTimeout, and
// any process of the group left behind once it exits.
BrowserRun runBrowser(const std::vector<std::string>& arguments, const fs::path& home,
                      const fs::path& outPath, const fs::path& errPath) {
  // Everything the child needs is made before fork(), which leaves it only
  // async-signal-safe calls to make.
  std::vector<std::string> environment = {"HOME=" + home.string(),
                                          "XDG_CONFIG_HOME=" + (home / ".config").string(),
                                          "XDG_CACHE_HOME=" + (home / ".cache").string()};
  for (char** variable = environ; *variable != nullptr; ++variable) {
    std::string_view entry(*variable);
    if (entry.rfind("HOME=", 0) != 0 && entry.rfind("XDG_CONFIG_HOME=", 0) != 0 &&
        entry.rfind("XDG_CACHE_HOME=", 0) != 0) {
      environment.emplace_back(entry);
    }
  }
  std::vector<char*> envp;
  for (auto& entry : environment)
    envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (const auto& argument : arguments)
    argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0) {
      ::_exit(126);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  BrowserRun run;
  if (pid < 0)
    return run;
  ::setpgid(pid, pid);
  auto deadline = std::chrono::steady_clock::now() + kBrowserTimeout;
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    if (std::chrono::steady_clock::now() > deadline) {
      run.timedOut = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pid, SIGKILL);
  if (!run.timedOut && WIFEXITED(status))
    run.exitCode = WEXITSTATUS(status);
  return run;
}

class ReportBrowserTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void SetUp() override {
    chromium_ = findChromium();
    if (chromium_.empty()) {
      GTEST_SKIP() << "chromium is not installed, so the report was not rendered in a browser; "
                      "install it with `apt-get install chromium` (scripts/setup.sh does)";
    }
    dir_ = fs::temp_directory_path() / ("crm_report_browser_test_" + std::to_string(::getpid()) +
                                        "_" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_ / "home");
    testing::ReportRun run(dir_ / "data", GetParam());
    ASSERT_EQ(run.problem, "");
    reportPath_ = dir_ / "report.html";
    ASSERT_EQ(runtime::writeFileAtomically(reportPath_.string(), run.html), "");
  }
  void TearDown() override {
    if (!dir_.empty())
      fs::remove_all(dir_);
  }

  // Chromium with a profile of its own in the test's folder, and without
  // the background requests a first start makes.
  std::vector<std::string> browser(std::vector<std::string> extra) const {
    std::vector<std::string> arguments = {chromium_,
                                          "--headless=new",
                                          "--no-sandbox",
                                          "--disable-gpu",
                                          "--user-data-dir=" + (dir_ / "profile").string(),
                                          "--no-first-run",
                                          "--no-default-browser-check",
                                          "--disable-extensions",
                                          "--disable-sync",
                                          "--disable-background-networking",
                                          "--disable-component-update"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    arguments.push_back("file://" + reportPath_.string());
    return arguments;
  }

  std::string chromium_;
  fs::path dir_;
  fs::path reportPath_;
};

TEST_P(ReportBrowserTest, RenderedDomContainsEveryChart) {
  fs::path dom = dir_ / "dom.html";
  fs::path log = dir_ / "chromium.log";
  BrowserRun run = runBrowser(browser({"--dump-dom"}), dir_ / "home", dom, log);
  ASSERT_FALSE(run.timedOut) << "chromium did not finish within 60 s";
  ASSERT_EQ(run.exitCode, 0) << testing::readFile(log.string());
  std::string html = testing::readFile(dom.string());
  ASSERT_FALSE(html.empty()) << testing::readFile(log.string());

  for (const auto& [id, expected] : testing::expectedCharts()) {
    auto tags = testing::tagsWithin(html, "chart-" + id);
    ASSERT_FALSE(tags.empty()) << "the rendered page has no chart-" << id;
    EXPECT_EQ(tags.front().name, "svg") << id;
    size_t bars = 0;
    for (const auto& tag : tags) {
      if (tag.name == "rect" && tag.attributes.count("data-value") != 0)
        ++bars;
    }
    EXPECT_EQ(bars, expected.size()) << id;
    EXPECT_EQ(testing::dataValues(html, "chart-" + id), expected) << id;
    EXPECT_EQ(testing::dataValues(html, "table-" + id), expected) << id;
  }
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST_P(ReportBrowserTest, ScreenshotIsSaved) {
  fs::path artifacts = fs::path(CRM_BINARY).parent_path() / "test-artifacts";
  fs::create_directories(artifacts);
  fs::path screenshot = artifacts / (std::string("report-") +
                                     (GetParam() == run::Engine::Jit ? "jit" : "interp") + ".png");
  fs::remove(screenshot);
  fs::path log = dir_ / "chromium.log";
  BrowserRun run = runBrowser(browser({"--screenshot=" + screenshot.string(),
                                       "--window-size=1200,2000", "--hide-scrollbars"}),
                              dir_ / "home", dir_ / "stdout.txt", log);
  ASSERT_FALSE(run.timedOut) << "chromium did not finish within 60 s";
  ASSERT_EQ(run.exitCode, 0) << testing::readFile(log.string());
  ASSERT_TRUE(fs::exists(screenshot)) << testing::readFile(log.string());
  EXPECT_GT(fs::file_size(screenshot), 1000u);
  std::string png = testing::readFile(screenshot.string());
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
}

INSTANTIATE_TEST_SUITE_P(Engines, ReportBrowserTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

}  // namespace
}  // namespace crm
