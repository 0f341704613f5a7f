// Failure paths of the real `crm` program. The cases are a customer whose
// evaluation fails, --max-errors, a full disk, unwritable or clashing
// output paths, a history that is missing, not a database or unreachable,
// temporary files of killed writers, and a program too large for the JIT.
// Each must end in one clear message and its exit code. No output file may
// be left under its final name or as a temporary, and the history must be
// unchanged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>

#include "history/history.h"
#include "jit/jit.h"
#include "run/prepare.h"
#include "run/run.h"
#include "runtime/atomic_file.h"
#include "runtime/operators.h"
#include "runtime/time.h"
#include "tests/support/engines.h"
#include "tests/support/evaluate.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

namespace fs = std::filesystem;

// Customer c2 has no visits, so its spend per visit divides by zero.
const char* const kScript = R"(
customer entity Customer key id {
  id: string
  visits: int
  spend: int
}
source customers: Customer from csv("customers.csv") { columns { id  visits  spend } }
channel email { reachable: true }
let per_visit = customer.spend / customer.visits
segment regular = per_visit >= 10
campaign thanks { audience: regular  channels: email  priority: 5 }
)";

const char* const kAsOf = "2024-03-05T12:00:00Z";

struct Limits {
  rlim_t fileBytes = RLIM_INFINITY;  // RLIMIT_FSIZE
  bool asNobody = false;             // run as uid and gid 65534
};

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The last line of `text`, without its line break.
std::string lastLine(const std::string& text) {
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  size_t start = trimmed.rfind('\n');
  return start == std::string::npos ? trimmed : trimmed.substr(start + 1);
}

class ReliabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_reliability_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    write("script.crm", kScript);
    write("customers.csv", "id,visits,spend\nc1,2,40\nc2,0,5\nc3,5,10\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs `crm ARGUMENTS` in a child process with `limits`, in dir_.
  Outcome crm(const std::vector<std::string>& arguments, Limits limits = {}) {
    std::string outPath = (dir_ / ".." / (dir_.filename().string() + ".out")).string();
    std::string errPath = (dir_ / ".." / (dir_.filename().string() + ".err")).string();
    std::vector<std::string> all = {CRM_BINARY};
    all.insert(all.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& argument : all) argv.push_back(argument.data());
    argv.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
      if (::chdir(dir_.c_str()) != 0) ::_exit(126);
      // A write past the limit then fails with EFBIG instead of killing.
      ::signal(SIGXFSZ, SIG_IGN);
      rlimit size{limits.fileBytes, limits.fileBytes};
      if (limits.fileBytes != RLIM_INFINITY && ::setrlimit(RLIMIT_FSIZE, &size) != 0) ::_exit(126);
      if (limits.asNobody && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(126);
      ::execv(CRM_BINARY, argv.data());
      ::_exit(127);
    }

    Outcome outcome;
    int status = 0;
    if (pid > 0 && ::waitpid(pid, &status, 0) == pid) {
      outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    outcome.out = slurp(outPath);
    outcome.err = slurp(errPath);
    fs::remove(outPath);
    fs::remove(errPath);
    return outcome;
  }

  std::vector<std::string> run(const std::vector<std::string>& more) {
    std::vector<std::string> arguments = {"run", "script.crm", "--as-of", kAsOf, "--threads", "1"};
    arguments.insert(arguments.end(), more.begin(), more.end());
    return arguments;
  }

  // The names in dir_, sorted, to show that nothing else was left there.
  // SQLite's own files beside history.db come and go with its connections.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      std::string name = entry.path().filename().string();
      if (name == "history.db-wal" || name == "history.db-shm") continue;
      names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // A history with one message, as an earlier run would leave it.
  void seedHistory(const std::string& location) {
    std::string error;
    auto history = history::History::open(location, true, error);
    ASSERT_NE(history, nullptr) << error;
    ASSERT_TRUE(history->begin(true, 1000, error)) << error;
    history::Contact contact;
    contact.customer = "c1";
    contact.campaign = "older";
    contact.channel = "email";
    contact.at = *runtime::parseTimestamp("2024-03-01T08:00:00Z");
    ASSERT_TRUE(history->append({"seed", contact.at, "seed"}, {contact}, error)) << error;
    ASSERT_TRUE(history->commit(error)) << error;
  }

  size_t historySize(const std::string& location) {
    std::string error;
    auto history = history::History::open(location, false, error);
    EXPECT_NE(history, nullptr) << error;
    if (history == nullptr) return SIZE_MAX;
    std::vector<history::Contact> all;
    EXPECT_TRUE(history->begin(false, 1000, error)) << error;
    EXPECT_TRUE(history->contacts(std::numeric_limits<int64_t>::min(), "", all, error)) << error;
    history->rollback();
    return all.size();
  }

  // Customers c0000 to c0999, each with one message of about 170 bytes.
  void writeManyCustomers() {
    std::string customers = "id,visits,spend\n";
    for (int i = 0; i < 1000; ++i) {
      char id[8];
      std::snprintf(id, sizeof id, "c%04d", i);
      customers += std::string(id) + ",1,20\n";
    }
    write("customers.csv", customers);
  }

  fs::path dir_;
};

// Error isolation, on each engine: the customer whose evaluation fails is
// dropped with the error and counted, and the others are decided as usual.
class ReliabilityEngineTest : public ReliabilityTest,
                              public ::testing::WithParamInterface<const char*> {};

TEST_P(ReliabilityEngineTest, FailingCustomerDoesNotStopTheRun) {
  Outcome outcome = crm(run({"--engine", GetParam(), "--out", "out.jsonl"}));
  ASSERT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_EQ(slurp(dir_ / "out.jsonl"),
            R"({"customer":"c1","campaign":"thanks","status":"send","channel":"email","send_at":"2024-03-05T12:00:00Z","offer":[],"priority":5,"rank":1,"as_of":"2024-03-05T12:00:00Z"})"
            "\n"
            R"({"customer":"c2","campaign":"thanks","status":"dropped","offer":[],"priority":5,"reason":"error: division by zero","as_of":"2024-03-05T12:00:00Z"})"
            "\n");
  EXPECT_NE(outcome.err.find("customers evaluated: 3\n"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("  thanks    dropped: error                           1\n"),
            std::string::npos)
      << outcome.err;
  EXPECT_NE(outcome.err.find("\nerrors: 1\n  regular: 1\n  customer c2, regular: division by "
                             "zero\n"),
            std::string::npos)
      << outcome.err;
}

TEST_P(ReliabilityEngineTest, MaxErrorsStopsWithAPartialSummary) {
  std::string history = path("history.db");
  seedHistory(history);
  Outcome outcome = crm(run({"--engine", GetParam(), "--out", "out.jsonl", "--max-errors", "0",
                             "--history", history, "--commit"}));
  EXPECT_EQ(outcome.status, 1);
  // One thread evaluates c1, then c2, whose error stops the run.
  EXPECT_NE(outcome.err.find("customers evaluated: 2\n"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("  customer c2, regular: division by zero\n"), std::string::npos)
      << outcome.err;
  EXPECT_EQ(lastLine(outcome.err),
            "crm: the run stopped after more than 0 evaluation errors (--max-errors); no "
            "decisions were written");
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(files(), (std::vector<std::string>{"customers.csv", "history.db", "script.crm"}));
  EXPECT_EQ(historySize(history), 1u);
}

TEST_P(ReliabilityEngineTest, MaxErrorsAtTheCountFinishes) {
  Outcome outcome = crm(run({"--engine", GetParam(), "--out", "out.jsonl", "--max-errors", "1"}));
  EXPECT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_TRUE(fs::exists(dir_ / "out.jsonl"));
}

INSTANTIATE_TEST_SUITE_P(Engines, ReliabilityEngineTest, ::testing::Values("interp", "jit"),
                         [](const auto& info) { return std::string(info.param); });

// `+` stops at the limits of one string and one list, so that values
// doubled again and again cannot exhaust memory.
class ConcatenationLimitTest : public ::testing::TestWithParam<run::Engine> {};

// `map` and `filter` count the elements they visit in one evaluation, inner
// macros included: over n elements, `l.map(a, l.filter(b, ...))` visits
// n + n * n. 3161 + 3161^2 = 9,995,082 is within the budget of 10,000,000;
// 3162 + 3162^2 = 10,001,406 is not.
std::string nestedMacroCount(size_t n, run::Engine engine, bool& isError) {
  std::vector<runtime::Value> items;
  for (size_t i = 0; i < n; ++i) items.push_back(runtime::Value::integer(static_cast<int64_t>(i)));
  std::map<std::string, runtime::Value> bindings = {{"l", runtime::Value::list(items)}};
  testing::Evaluation result = testing::evaluate(
      "l.map(a, l.filter(b, b == a).size()).size()", engine, {{"l", "list<int>"}}, bindings);
  if (!result.checked) return result.diagnostics;
  isError = result.value.isError();
  return isError ? result.value.asError().message : std::to_string(result.value.asInt());
}

TEST_P(ConcatenationLimitTest, NestedMacrosWithinTheBudgetRun) {
  bool isError = false;
  EXPECT_EQ(nestedMacroCount(3161, GetParam(), isError), "3161");
  EXPECT_FALSE(isError);
}

TEST_P(ConcatenationLimitTest, NestedMacrosOverTheBudgetAreAnError) {
  bool isError = false;
  EXPECT_EQ(nestedMacroCount(3162, GetParam(), isError),
            "`filter` would build more than 10000000 list elements in one evaluation; nest fewer "
            "macros or filter the lists first");
  EXPECT_TRUE(isError);
}

// `exists` counts its visits as `map` and `filter` do: over n elements,
// `l.exists(a, l.exists(b, ...))` that finds nothing visits n + n * n.
std::string nestedExists(size_t n, run::Engine engine, bool& isError) {
  std::vector<runtime::Value> items;
  for (size_t i = 0; i < n; ++i) items.push_back(runtime::Value::integer(static_cast<int64_t>(i)));
  std::map<std::string, runtime::Value> bindings = {{"l", runtime::Value::list(items)}};
  testing::Evaluation result = testing::evaluate("l.exists(a, l.exists(b, b < 0))", engine,
                                                 {{"l", "list<int>"}}, bindings);
  if (!result.checked) return result.diagnostics;
  isError = result.value.isError();
  if (isError) return result.value.asError().message;
  return result.value.asBool() ? "true" : "false";
}

TEST_P(ConcatenationLimitTest, NestedExistsWithinTheBudgetRuns) {
  bool isError = false;
  EXPECT_EQ(nestedExists(3161, GetParam(), isError), "false");
  EXPECT_FALSE(isError);
}

TEST_P(ConcatenationLimitTest, NestedExistsOverTheBudgetIsAnError) {
  bool isError = false;
  EXPECT_EQ(nestedExists(3162, GetParam(), isError),
            "`exists` would visit more than 10000000 list elements in one evaluation; nest fewer "
            "macros or filter the lists first");
  EXPECT_TRUE(isError);
}

TEST_P(ConcatenationLimitTest, StringAtTheLimitIsBuilt) {
  std::map<std::string, runtime::Value> bindings = {
      {"s", runtime::Value::string(std::string(runtime::kMaxConcatenatedBytes / 2, 'a'))}};
  testing::Evaluation result = testing::evaluate("size(s + s)", GetParam(), {{"s", "string"}},
                                                 bindings);
  ASSERT_TRUE(result.checked) << result.diagnostics;
  ASSERT_FALSE(result.value.isError()) << result.value.asError().message;
  EXPECT_EQ(result.value.asInt(), 1048576);
}

TEST_P(ConcatenationLimitTest, LongerStringIsAnError) {
  std::map<std::string, runtime::Value> bindings = {
      {"s", runtime::Value::string(std::string(runtime::kMaxConcatenatedBytes / 2, 'a'))}};
  testing::Evaluation result = testing::evaluate("s + s + \"b\"", GetParam(),
                                                 {{"s", "string"}}, bindings);
  ASSERT_TRUE(result.checked) << result.diagnostics;
  ASSERT_TRUE(result.value.isError());
  EXPECT_EQ(result.value.asError().message,
            "`+` would build a string of 1048577 bytes, more than the 1048576 that one string may "
            "hold");
}

TEST_P(ConcatenationLimitTest, LongerListIsAnError) {
  std::vector<runtime::Value> items(runtime::kMaxConcatenatedElements / 2,
                                    runtime::Value::integer(1));
  std::map<std::string, runtime::Value> bindings = {{"l", runtime::Value::list(items)}};
  testing::Evaluation atLimit = testing::evaluate("size(l + l)", GetParam(), {{"l", "list(int)"}},
                                                  bindings);
  ASSERT_TRUE(atLimit.checked) << atLimit.diagnostics;
  ASSERT_FALSE(atLimit.value.isError()) << atLimit.value.asError().message;
  EXPECT_EQ(atLimit.value.asInt(), 1000000);
  testing::Evaluation over = testing::evaluate("l + l + [2]", GetParam(), {{"l", "list(int)"}},
                                               bindings);
  ASSERT_TRUE(over.value.isError());
  EXPECT_EQ(over.value.asError().message,
            "`+` would build a list of 1000001 elements, more than the 1000000 that one list may "
            "hold");
}

INSTANTIATE_TEST_SUITE_P(Engines, ConcatenationLimitTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

// A chain of lets that doubles a customer's text: the customer whose text
// passes the limit gets an error, and the run goes on.
TEST_P(ReliabilityEngineTest, DoublingLetsStopAtTheStringLimit) {
  std::string script = kScript;
  script += "let d0 = customer.id + \"0123456789abcdef\"\n";
  for (int i = 1; i <= 16; ++i) {
    script += "let d" + std::to_string(i) + " = d" + std::to_string(i - 1) + " + d" +
              std::to_string(i - 1) + "\n";
  }
  script += "segment long_text = size(d16) > 0\n"
            "campaign text { audience: long_text  channels: email }\n";
  write("script.crm", script);
  Outcome outcome = crm(run({"--engine", GetParam(), "--out", "out.jsonl"}));
  ASSERT_EQ(outcome.status, 0) << outcome.err;
  // d15 holds 18 * 2^15 = 589,824 bytes, so d16 would hold 1,179,648.
  EXPECT_NE(outcome.err.find("  customer c1, long_text: `+` would build a string of 1179648 "
                             "bytes, more than the 1048576 that one string may hold\n"),
            std::string::npos)
      << outcome.err;
  EXPECT_NE(slurp(dir_ / "out.jsonl").find(R"("customer":"c1","campaign":"thanks","status":"send")"),
            std::string::npos);
}

TEST_F(ReliabilityTest, FullDiskLeavesNoFileAndNoHistory) {
  writeManyCustomers();
  std::string history = path("history.db");
  seedHistory(history);
  Limits limits;
  limits.fileBytes = 64 * 1024;
  Outcome outcome =
      crm(run({"--out", "out.jsonl", "--history", history, "--commit"}), limits);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err,
            "crm: cannot write the decisions file 'out.jsonl': File too large (the file size "
            "limit, `ulimit -f`, or the file system's maximum); raise the limit or write the "
            "file to another file system\n");
  EXPECT_EQ(files(), (std::vector<std::string>{"customers.csv", "history.db", "script.crm"}));
  EXPECT_EQ(historySize(history), 1u);

  // With room, the same run completes and appends its thousand messages.
  Outcome again = crm(run({"--out", "out.jsonl", "--history", history, "--commit"}));
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(historySize(history), 1001u);
}

TEST_F(ReliabilityTest, FullDiskKeepsThePreviousFile) {
  writeManyCustomers();
  write("out.jsonl", "the previous decisions\n");
  Limits limits;
  limits.fileBytes = 64 * 1024;
  Outcome outcome = crm(run({"--out", "out.jsonl"}), limits);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(slurp(dir_ / "out.jsonl"), "the previous decisions\n");
  EXPECT_EQ(files(), (std::vector<std::string>{"customers.csv", "out.jsonl", "script.crm"}));
}

// The report is written after the decisions, so a report that cannot be
// written costs only the report.
TEST_F(ReliabilityTest, FullDiskAtTheReportKeepsDecisions) {
  Limits limits;
  // The decisions take about 300 bytes and the report about 9 KiB.
  limits.fileBytes = 4096;
  Outcome outcome = crm(run({"--out", "out.jsonl", "--report", "report.html"}), limits);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(lastLine(outcome.err),
            "crm: cannot write the report 'report.html': File too large (the file size limit, "
            "`ulimit -f`, or the file system's maximum); raise the limit or write the file to "
            "another file system; the decisions were written, only the report is missing");
  EXPECT_EQ(files(), (std::vector<std::string>{"customers.csv", "out.jsonl", "script.crm"}));
  EXPECT_NE(slurp(dir_ / "out.jsonl").find(R"("customer":"c1")"), std::string::npos);
}

// SQLite cannot grow the history past the file size limit: the run fails
// before publishing its decisions, and the history keeps what it had.
TEST_F(ReliabilityTest, FullDiskAtTheHistoryLeavesNoFile) {
  std::string history = path("history.db");
  seedHistory(history);
  Limits limits;
  limits.fileBytes = 4096;
  Outcome outcome = crm(run({"--out", "out.jsonl", "--history", history, "--commit"}), limits);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err.rfind("crm: the contact history " + history + ": ", 0), 0u)
      << outcome.err;
  EXPECT_NE(outcome.err.find("; check the free space and the file size limit where the history "
                             "is, then run again\n"),
            std::string::npos)
      << outcome.err;
  EXPECT_EQ(files(), (std::vector<std::string>{"customers.csv", "history.db", "script.crm"}));
  EXPECT_EQ(historySize(history), 1u);
}

TEST_F(ReliabilityTest, UnwritableFolderFailsBeforeTheRun) {
  fs::create_directories(dir_ / "locked");
  fs::permissions(dir_ / "locked", fs::perms::owner_read | fs::perms::owner_exec |
                                       fs::perms::others_read | fs::perms::others_exec);
  Limits limits;
  // Root writes to any folder, so the run gives up root's rights.
  limits.asNobody = ::geteuid() == 0;
  Outcome outcome = crm(run({"--out", "locked/out.jsonl"}), limits);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err,
            "crm: cannot write the decisions file 'locked/out.jsonl': Permission denied; write "
            "it to a folder you may write to, or change the permissions of 'locked'\n");
  EXPECT_TRUE(fs::is_empty(dir_ / "locked"));
}

TEST_F(ReliabilityTest, OutputPathsThatCannotBeFilesAreErrors) {
  fs::create_directories(dir_ / "folder");
  Outcome folder = crm(run({"--out", "folder"}));
  EXPECT_EQ(folder.status, 1);
  EXPECT_EQ(folder.err,
            "crm: cannot write the decisions file 'folder': it is a folder; give the path of a "
            "file\n");
  Outcome missing = crm(run({"--out", "missing/out.jsonl"}));
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err,
            "crm: cannot write the decisions file 'missing/out.jsonl': the folder 'missing' does "
            "not exist; create it first\n");
  Outcome report = crm(run({"--out", "out.jsonl", "--report", "missing/report.html"}));
  EXPECT_EQ(report.status, 1);
  EXPECT_EQ(report.err,
            "crm: cannot write the report 'missing/report.html': the folder 'missing' does not "
            "exist; create it first\n");
  EXPECT_EQ(files(), (std::vector<std::string>{"customers.csv", "folder", "script.crm"}));
}

TEST_F(ReliabilityTest, OutputNamingAnInputIsRejected) {
  Outcome script = crm(run({"--out", "script.crm"}));
  EXPECT_EQ(script.status, 2);
  EXPECT_EQ(lastLine(script.err),
            "crm: --out script.crm is the script 'script.crm', which the run reads; give --out "
            "another path");
  EXPECT_EQ(slurp(dir_ / "script.crm"), kScript);

  // Another spelling of the same file is the same file.
  Outcome data = crm(run({"--out", "./customers.csv"}));
  EXPECT_EQ(data.status, 2);
  EXPECT_EQ(lastLine(data.err),
            "crm: --out ./customers.csv is the data file 'customers.csv' of source "
            "`customers`, which the run reads; give --out another path");
  EXPECT_EQ(slurp(dir_ / "customers.csv"), "id,visits,spend\nc1,2,40\nc2,0,5\nc3,5,10\n");

  Outcome report = crm(run({"--out", "out.jsonl", "--report", "customers.csv"}));
  EXPECT_EQ(report.status, 2);
  EXPECT_NE(lastLine(report.err).find("crm: --report customers.csv is the data file"),
            std::string::npos)
      << report.err;

  std::string history = path("history.db");
  seedHistory(history);
  Outcome historyOut = crm(run({"--out", "history.db", "--history", history}));
  EXPECT_EQ(historyOut.status, 2);
  EXPECT_EQ(lastLine(historyOut.err),
            "crm: --out history.db is the contact history '" + history +
                "', which the run reads; give --out another path");
  EXPECT_EQ(historySize(history), 1u);
}

// The history a committing run creates does not exist before the run, and
// must still not be replaced by the decisions.
TEST_F(ReliabilityTest, OutputNamingANewHistoryIsRejected) {
  Outcome outcome = crm(run({"--history", "history.db", "--commit", "--out", "./history.db"}));
  EXPECT_EQ(outcome.status, 2);
  EXPECT_EQ(lastLine(outcome.err),
            "crm: --out ./history.db is the contact history 'history.db', which the run reads; "
            "give --out another path");
  EXPECT_FALSE(fs::exists(dir_ / "history.db"));
}

TEST_F(ReliabilityTest, TwoOutputsNamingOneFileAreRejected) {
  Outcome report = crm(run({"--out", "x.jsonl", "--report", "./x.jsonl"}));
  EXPECT_EQ(report.status, 2);
  EXPECT_EQ(lastLine(report.err),
            "crm: --out x.jsonl and --report ./x.jsonl name the same file; give each output its "
            "own path");
  EXPECT_FALSE(fs::exists(dir_ / "x.jsonl"));

  Outcome rejects = crm(run({"--out", path("same.txt"), "--rejects", "same.txt"}));
  EXPECT_EQ(rejects.status, 2);
  EXPECT_EQ(lastLine(rejects.err), "crm: --out " + path("same.txt") +
                                       " and --rejects same.txt name the same file; give each "
                                       "output its own path");
  EXPECT_FALSE(fs::exists(dir_ / "same.txt"));
}

TEST_F(ReliabilityTest, JunitNamingTheScriptIsRejected) {
  Outcome outcome = crm({"test", "script.crm", "--junit", "./script.crm"});
  EXPECT_EQ(outcome.status, 2);
  EXPECT_EQ(lastLine(outcome.err),
            "crm: --junit ./script.crm is the script 'script.crm', which the tests read; give "
            "--junit another path");
  EXPECT_EQ(slurp(dir_ / "script.crm"), kScript);
}

TEST_F(ReliabilityTest, RejectsNamingAnInputIsRejected) {
  write("customers.csv", "id,visits,spend\nc1,2,40\nc2,many,5\n");
  Outcome outcome = crm({"load", "script.crm", "--max-bad-records", "1", "--rejects",
                         "customers.csv"});
  EXPECT_EQ(outcome.status, 1);
  // `crm load` prints the report of a failed load, with its errors, on
  // standard error.
  EXPECT_NE(outcome.err.find("--rejects customers.csv is the data file 'customers.csv' of "
                             "source `customers`, which the load reads; give --rejects another "
                             "path"),
            std::string::npos)
      << outcome.err;
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(slurp(dir_ / "customers.csv"), "id,visits,spend\nc1,2,40\nc2,many,5\n");
}

TEST_F(ReliabilityTest, HistoryThatIsNotADatabaseIsLeftAlone) {
  write("notes.txt", "these are notes, not a database\n");
  for (bool commit : {false, true}) {
    auto arguments = run({"--out", "out.jsonl", "--history", "notes.txt"});
    if (commit) arguments.push_back("--commit");
    Outcome outcome = crm(arguments);
    EXPECT_EQ(outcome.status, 1) << commit;
    EXPECT_EQ(outcome.err,
              "crm: the contact history notes.txt is not an SQLite database; name a history "
              "file, or a new path that a run with --commit creates\n")
        << commit;
    EXPECT_EQ(slurp(dir_ / "notes.txt"), "these are notes, not a database\n");
  }
  EXPECT_EQ(files(), (std::vector<std::string>{"customers.csv", "notes.txt", "script.crm"}));
}

TEST_F(ReliabilityTest, MissingHistoryIsCreatedOnlyByACommit) {
  Outcome readOnly = crm(run({"--out", "out.jsonl", "--history", "new.db"}));
  EXPECT_EQ(readOnly.status, 1);
  EXPECT_EQ(readOnly.err,
            "crm: no contact history at new.db; a run with --commit creates it, or leave out "
            "--history to run without one\n");
  EXPECT_FALSE(fs::exists(dir_ / "new.db"));
  EXPECT_FALSE(fs::exists(dir_ / "out.jsonl"));

  Outcome commit = crm(run({"--out", "out.jsonl", "--history", "new.db", "--commit"}));
  EXPECT_EQ(commit.status, 0) << commit.err;
  EXPECT_EQ(historySize(path("new.db")), 1u);

  Outcome noFolder = crm(run({"--out", "out.jsonl", "--history", "none/new.db", "--commit"}));
  EXPECT_EQ(noFolder.status, 1);
  EXPECT_EQ(noFolder.err,
            "crm: cannot create the contact history none/new.db: the folder 'none' does not "
            "exist; create it first\n");
}

TEST_F(ReliabilityTest, HistoryThatIsAFolderIsAnError) {
  fs::create_directories(dir_ / "history");
  for (bool commit : {false, true}) {
    auto arguments = run({"--out", "out.jsonl", "--history", "history"});
    if (commit) arguments.push_back("--commit");
    Outcome outcome = crm(arguments);
    EXPECT_EQ(outcome.status, 1);
    EXPECT_EQ(outcome.err, "crm: the contact history history is a folder; name a file\n");
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "history"));
}

TEST_F(ReliabilityTest, LockedHistoryFailsAfterTheTimeout) {
  std::string history = path("history.db");
  seedHistory(history);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(history.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto started = std::chrono::steady_clock::now();
  Outcome outcome = crm(run({"--out", "out.jsonl", "--history", history, "--commit",
                             "--lock-timeout", "0.3"}));
  auto waited = std::chrono::steady_clock::now() - started;
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err, "crm: the contact history " + history +
                             " is locked by another run (waited 0.30 s); try again when it "
                             "finishes, or raise --lock-timeout\n");
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::seconds(10));
  EXPECT_FALSE(fs::exists(dir_ / "out.jsonl"));
  EXPECT_EQ(historySize(history), 1u);
}

// A port on 127.0.0.1 that nothing listens on: bound, then closed.
int closedPort() {
  int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(socket, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(socket);
  return ntohs(address.sin_port);
}

TEST_F(ReliabilityTest, UnreachablePostgresFailsAtOnce) {
  std::string socketUri = "postgresql:///crm?host=" + path("no-server");
  std::string portUri = "postgresql://127.0.0.1:" + std::to_string(closedPort()) + "/crm";
  for (const std::string& uri : {socketUri, portUri}) {
    auto started = std::chrono::steady_clock::now();
    Outcome outcome = crm(run({"--out", "out.jsonl", "--history", uri, "--commit"}));
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << uri;
    EXPECT_EQ(outcome.status, 1) << uri;
    EXPECT_EQ(outcome.err.rfind("crm: cannot reach the contact history in PostgreSQL: connection "
                                "to server ",
                                0),
              0u)
        << outcome.err;
    EXPECT_NE(outcome.err.find("; check that the server runs and that the URI names its host (or "
                               "socket folder) and port\n"),
              std::string::npos)
        << outcome.err;
    // One line.
    EXPECT_EQ(outcome.err.find('\n'), outcome.err.size() - 1) << outcome.err;
  }
  EXPECT_EQ(files(), (std::vector<std::string>{"customers.csv", "script.crm"}));
}

// A server that accepts the connection and never replies: the connect
// timeout, 10 seconds by default, ends the wait.
TEST_F(ReliabilityTest, SilentPostgresTimesOut) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::string uri = "postgresql://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/crm";
  auto started = std::chrono::steady_clock::now();
  Outcome outcome = crm(run({"--out", "out.jsonl", "--history", uri, "--commit"}));
  auto waited = std::chrono::steady_clock::now() - started;
  ::close(listener);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_NE(outcome.err.find("failed: timeout expired; check that the server runs"),
            std::string::npos)
      << outcome.err;
  EXPECT_GE(waited, std::chrono::seconds(9));
  EXPECT_LT(waited, std::chrono::seconds(30));
  EXPECT_FALSE(fs::exists(dir_ / "out.jsonl"));
}

// A child process that opens an AtomicFile for `target` and keeps it
// open, without committing, until the object is destroyed.
class LiveWriter {
 public:
  explicit LiveWriter(const std::string& target) {
    int ready[2];
    if (::pipe(ready) != 0 || ::pipe(release_) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(release_[1]);
      runtime::AtomicFile file;
      char byte = file.open(target, "the decisions file") ? 1 : 0;
      // A closed pipe, as when the test fails, ends the wait too.
      if (::write(ready[1], &byte, 1) != 1 || ::read(release_[0], &byte, 1) < 0) ::_exit(1);
      ::_exit(0);
    }
    char opened = 0;
    opened_ = pid_ > 0 && ::read(ready[0], &opened, 1) == 1 && opened == 1;
    ::close(ready[0]);
    ::close(ready[1]);
    ::close(release_[0]);
  }
  ~LiveWriter() {
    ::close(release_[1]);
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  }
  bool opened() const { return opened_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int release_[2] = {-1, -1};
  bool opened_ = false;
};

// A writer that dies before commit() leaves its temporary file, named
// after the target and its process. The next writer of the target removes
// it, but not the file of a writer that still runs.
TEST_F(ReliabilityTest, StaleTemporaryFilesAreRemoved) {
  std::string target = path("out.jsonl");
  auto temporaries = [&] {
    std::vector<std::string> names;
    for (const auto& name : files()) {
      if (name.rfind(".out.jsonl.tmp-", 0) == 0) names.push_back(name);
    }
    return names;
  };
  std::optional<LiveWriter> live(target);
  ASSERT_TRUE(live->opened());
  // The dead writer: a child that exits without running destructors.
  pid_t dead = ::fork();
  if (dead == 0) {
    runtime::AtomicFile file;
    if (!file.open(target, "the decisions file") || !file.write("partial") || !file.sync()) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(dead, &status, 0), dead);
  ASSERT_EQ(WEXITSTATUS(status), 0);

  std::vector<std::string> before = temporaries();
  ASSERT_EQ(before.size(), 2u);
  std::string deadPrefix = ".out.jsonl.tmp-" + std::to_string(dead) + "-";
  std::string livePrefix = ".out.jsonl.tmp-" + std::to_string(live->pid()) + "-";
  std::string deadFile = before[0].rfind(deadPrefix, 0) == 0 ? before[0] : before[1];
  EXPECT_EQ(deadFile.rfind(deadPrefix, 0), 0u) << deadFile;
  EXPECT_EQ(deadFile.size(), deadPrefix.size() + 6) << deadFile;
  EXPECT_EQ(slurp(dir_ / deadFile), "partial");

  EXPECT_EQ(runtime::removeStaleTemporaries(target), 1u);
  std::vector<std::string> after = temporaries();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].rfind(livePrefix, 0), 0u) << after[0];

  // The live writer ends without committing, so its file is stale too:
  // the next run removes it and leaves only its own result.
  live.reset();
  Outcome outcome = crm(run({"--out", "out.jsonl"}));
  EXPECT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_EQ(temporaries(), std::vector<std::string>{});
  EXPECT_TRUE(fs::exists(target));
}

// A file of the same pattern whose lock is held is in use, whatever process
// id its name contains, as a writer in another PID namespace would hold it.
TEST_F(ReliabilityTest, LockedTemporaryFileIsKept) {
  std::string name = ".out.jsonl.tmp-999999999-abcdef";
  write(name, "in use");
  int descriptor = ::open(path(name).c_str(), O_RDONLY);
  ASSERT_GE(descriptor, 0);
  ASSERT_EQ(::flock(descriptor, LOCK_EX), 0);
  // flock locks belong to the open file, so the check must come from
  // another process to see this one.
  pid_t child = ::fork();
  if (child == 0) ::_exit(static_cast<int>(runtime::removeStaleTemporaries(path("out.jsonl"))));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(fs::exists(path(name)));
  ::close(descriptor);
  EXPECT_EQ(runtime::removeStaleTemporaries(path("out.jsonl")), 1u);
  EXPECT_FALSE(fs::exists(path(name)));
}

TEST_F(ReliabilityTest, LargeProgramRunsOnInterpreter) {
  // 12,500 lets of 21 nodes each: 262,500 nodes and more.
  std::string script = kScript;
  std::string any = "segment any_let = false";
  for (int i = 0; i < 12500; ++i) {
    std::string name = "l" + std::to_string(i);
    script += "let " + name + " = customer.spend * " + std::to_string(i) +
              " + (customer.visits > 3 ? customer.visits : " + std::to_string(i) +
              ") - customer.spend / (customer.visits + 1) > " + std::to_string(i % 7) +
              "  // crm:allow(W0101)\n";
    if (i % 100 == 0) any += " || " + name;
  }
  script += any + "\ncampaign any { audience: any_let  channels: email  priority: 1 }\n";
  write("script.crm", script);

  Outcome jit = crm(run({"--engine", "jit", "--out", "jit.jsonl"}));
  ASSERT_EQ(jit.status, 0) << jit.err.substr(0, 2000);
  EXPECT_NE(jit.err.find("crm run: as of 2024-03-05T12:00:00Z, engine interp, 1 thread\nnote: "
                         "the script's program has "),
            std::string::npos)
      << jit.err.substr(0, 2000);
  EXPECT_NE(jit.err.find(" expression nodes, more than the 250000 that the JIT compiles; the "
                         "interpreter evaluates it instead, with the same results\n"),
            std::string::npos);
  Outcome interp = crm(run({"--engine", "interp", "--out", "interp.jsonl"}));
  ASSERT_EQ(interp.status, 0);
  EXPECT_EQ(slurp(dir_ / "jit.jsonl"), slurp(dir_ / "interp.jsonl"));
  EXPECT_NE(slurp(dir_ / "jit.jsonl").find(R"("customer":"c1","campaign":"any","status":"send")"),
            std::string::npos);
}

// The same through the library, with the limit one node below the
// program and at it: the result is the interpreter's either way, with the
// note only in the first case.
TEST_F(ReliabilityTest, JitLimitIsExact) {
  run::Prepared prepared = run::prepareScript(path("script.crm"), load::LoadOptions{});
  ASSERT_TRUE(prepared.ok()) << testing::summarize(*prepared.compilation);
  run::RunOptions options;
  options.asOf = *runtime::parseTimestamp(kAsOf);
  options.engine = run::Engine::Interpreter;
  run::RunResult reference = run::runProgram(*prepared.program, *prepared.store, options);
  std::string expected = run::formatDecisions(run::OutputFormat::Jsonl, *prepared.program,
                                              *prepared.store, reference, options.asOf);

  options.engine = run::Engine::Jit;
  size_t nodes = jit::countNodes(*prepared.program);
  options.jitMaxNodes = nodes - 1;
  run::RunResult over = run::runProgram(*prepared.program, *prepared.store, options);
  EXPECT_EQ(over.engineError, "");
  EXPECT_EQ(over.engineNote, "the script's program has " + std::to_string(nodes) +
                                 " expression nodes, more than the " + std::to_string(nodes - 1) +
                                 " that the JIT compiles; the interpreter evaluates it instead, "
                                 "with the same results");
  EXPECT_EQ(run::formatDecisions(run::OutputFormat::Jsonl, *prepared.program, *prepared.store,
                                 over, options.asOf),
            expected);
  EXPECT_EQ(over.errorCount, 1u);

  options.jitMaxNodes = nodes;
  run::RunResult within = run::runProgram(*prepared.program, *prepared.store, options);
  EXPECT_EQ(within.engineNote, "");
  EXPECT_EQ(run::formatDecisions(run::OutputFormat::Jsonl, *prepared.program, *prepared.store,
                                 within, options.asOf),
            expected);
}

}  // namespace
}  // namespace crm
