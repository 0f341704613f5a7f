// The contact history end to end, through the real `crm` program. Covers
// runs that commit, repeated run ids, runs started together against one cap,
// a locked history and runs killed at random points, on SQLite and on a real
// PostgreSQL server on a Unix socket.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "history/history.h"
#include "runtime/time.h"
#include "tests/support/postgres_server.h"
#include "tests/support/test_support.h"

extern char** environ;

namespace crm {
namespace {

namespace fs = std::filesystem;

// Ten customers who each get one e-mail a run, under a cap of three per
// calendar day.
const char* const kScript = R"(
customer entity Customer key id {
  id: string
}
source customers: Customer from csv("customers.csv") { columns { id } }
channel email { reachable: true }
campaign news { audience: true  channels: email }
pressure { at most 3 per calendar day }
)";

struct Process {
  pid_t pid = -1;
  std::string out;
  std::string err;
};

// Starts `crm ARGS` with its output in files of `dir`.
Process spawnCrm(const fs::path& dir, const std::vector<std::string>& arguments,
                 const std::string& name) {
  Process process;
  process.out = (dir / (name + ".out")).string();
  process.err = (dir / (name + ".err")).string();
  std::vector<std::string> all = {CRM_BINARY};
  all.insert(all.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, process.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, process.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (posix_spawn(&process.pid, CRM_BINARY, &actions, nullptr, argv.data(), environ) != 0) {
    process.pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return process;
}

int waitFor(const Process& process) {
  int status = 0;
  if (process.pid < 0 || waitpid(process.pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t countOf(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_history_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
    std::string customers = "id\n";
    for (int i = 0; i < 10; ++i) customers += "c" + std::to_string(i) + "\n";
    write("customers.csv", customers);
    write("script.crm", kScript);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs crm to the end and returns its exit code.
  int crm(const std::vector<std::string>& arguments, const std::string& name = "crm") {
    return waitFor(spawnCrm(dir_, arguments, name));
  }
  std::vector<std::string> runArguments(const std::string& history, const char* asOf,
                                        const std::string& out) {
    return {"run", path("script.crm"), "--as-of", asOf, "--history", history, "--commit",
            "--engine", "interp", "--out", out};
  }

  // Seeds `history` with `count` messages to `customer` at `at`.
  void seed(const std::string& location, const std::string& customer, int count,
            const char* at) {
    std::string error;
    auto history = history::History::open(location, true, error);
    ASSERT_NE(history, nullptr) << error;
    ASSERT_TRUE(history->begin(true, 1000, error)) << error;
    std::vector<history::Contact> sends;
    for (int i = 0; i < count; ++i) {
      history::Contact contact;
      contact.customer = customer;
      contact.campaign = "older";
      contact.channel = "email";
      contact.at = *runtime::parseTimestamp(at);
      sends.push_back(contact);
    }
    ASSERT_TRUE(history->append({"seed-" + customer, *runtime::parseTimestamp(at), "seed"}, sends,
                                error))
        << error;
    ASSERT_TRUE(history->commit(error)) << error;
  }

  // The messages of the history, by reading it back through the library.
  std::vector<history::Contact> contacts(const std::string& location) {
    std::string error;
    auto history = history::History::open(location, false, error);
    EXPECT_NE(history, nullptr) << error;
    std::vector<history::Contact> all;
    if (history == nullptr) return all;
    EXPECT_TRUE(history->begin(false, 1000, error)) << error;
    EXPECT_TRUE(history->contacts(std::numeric_limits<int64_t>::min(), "", all, error)) << error;
    history->rollback();
    return all;
  }

  // Ten runs at once, each with one candidate per customer, against a cap
  // of three a day where c0 already had two today: c0 gets exactly one
  // more message over all the runs, every other customer exactly three.
  void concurrentRunsKeepTheCap(const std::string& location) {
    seed(location, "c0", 2, "2024-03-05T08:00:00Z");
    std::vector<Process> runs;
    for (int i = 0; i < 10; ++i) {
      auto arguments = runArguments(location, "2024-03-05T12:00:00Z", path("out" + std::to_string(i)));
      arguments.push_back("--run-id");
      arguments.push_back("parallel-" + std::to_string(i));
      runs.push_back(spawnCrm(dir_, arguments, "run" + std::to_string(i)));
    }
    size_t c0Sends = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      EXPECT_EQ(waitFor(runs[i]), 0) << slurp(runs[i].err);
      c0Sends += countOf(slurp(path("out" + std::to_string(i))),
                         R"({"customer":"c0","campaign":"news","status":"send")");
    }
    EXPECT_EQ(c0Sends, 1u);
    std::map<std::string, size_t> perCustomer;
    for (const auto& contact : contacts(location)) ++perCustomer[contact.customer];
    EXPECT_EQ(perCustomer["c0"], 3u);
    for (int i = 1; i < 10; ++i) EXPECT_EQ(perCustomer["c" + std::to_string(i)], 3u) << i;
  }

  fs::path dir_;
};

TEST_F(HistoryTest, CommitAppendsRunOnce) {
  std::string history = path("history.db");
  ASSERT_EQ(crm(runArguments(history, "2024-03-05T12:00:00Z", path("first.jsonl")), "first"), 0)
      << slurp(path("first.err"));
  EXPECT_NE(slurp(path("first.err")).find("history: appended 10 messages as run "),
            std::string::npos)
      << slurp(path("first.err"));
  ASSERT_EQ(crm(runArguments(history, "2024-03-05T12:00:00Z", path("again.jsonl")), "again"), 0);
  EXPECT_NE(slurp(path("again.err")).find("is already in the history; nothing appended"),
            std::string::npos)
      << slurp(path("again.err"));
  EXPECT_EQ(slurp(path("first.jsonl")), slurp(path("again.jsonl")));
  EXPECT_EQ(contacts(history).size(), 10u);

  // Two more runs the same day fill the cap of three; a fourth is capped.
  crm(runArguments(history, "2024-03-05T13:00:00Z", path("second.jsonl")));
  crm(runArguments(history, "2024-03-05T14:00:00Z", path("third.jsonl")));
  ASSERT_EQ(crm(runArguments(history, "2024-03-05T15:00:00Z", path("fourth.jsonl")), "fourth"), 0);
  std::string fourth = slurp(path("fourth.jsonl"));
  EXPECT_EQ(countOf(fourth, R"("reason":"capped by `at most 3 per calendar day`")"), 10u) << fourth;
  EXPECT_EQ(contacts(history).size(), 30u);
  // The next day has room again.
  ASSERT_EQ(crm(runArguments(history, "2024-03-06T09:00:00Z", path("next.jsonl"))), 0);
  EXPECT_EQ(countOf(slurp(path("next.jsonl")), R"("status":"send")"), 10u);
}

TEST_F(HistoryTest, ARunIdThatDecidedOtherwiseIsRefused) {
  std::string history = path("history.db");
  auto first = runArguments(history, "2024-03-05T12:00:00Z", path("first.jsonl"));
  first.insert(first.end(), {"--run-id", "daily"});
  ASSERT_EQ(crm(first, "first"), 0) << slurp(path("first.err"));
  // The same id a day later decides other messages: publishing them would
  // leave the history without them.
  auto later = runArguments(history, "2024-03-06T12:00:00Z", path("later.jsonl"));
  later.insert(later.end(), {"--run-id", "daily"});
  EXPECT_EQ(crm(later, "later"), 1);
  EXPECT_NE(slurp(path("later.err")).find("run daily is already in the history with other "
                                          "messages (10 then, 10 now)"),
            std::string::npos)
      << slurp(path("later.err"));
  EXPECT_FALSE(fs::exists(path("later.jsonl")));
  EXPECT_EQ(contacts(history).size(), 10u);
}

TEST_F(HistoryTest, DryRunLeavesFileUnchanged) {
  std::string history = path("history.db");
  seed(history, "c0", 1, "2024-03-01T08:00:00Z");
  std::string before = slurp(history);
  fs::permissions(history, fs::perms::owner_read | fs::perms::group_read);
  ASSERT_EQ(crm({"run", path("script.crm"), "--as-of", "2024-03-05T12:00:00Z", "--history",
                 history, "--out", path("out.jsonl")},
                "dry"),
            0)
      << slurp(path("dry.err"));
  EXPECT_TRUE(slurp(history) == before);
  fs::permissions(history, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(HistoryTest, EmptyAndNonNumericOptionsAreUsageErrors) {
  EXPECT_EQ(crm({"run", path("script.crm"), "--history", ""}, "empty"), 2);
  EXPECT_NE(slurp(path("empty.err")).find("--history: must not be empty"), std::string::npos)
      << slurp(path("empty.err"));
  EXPECT_EQ(crm({"run", path("script.crm"), "--history", path("h.db"), "--commit",
                 "--lock-timeout", "nan"},
                "nan"),
            2);
  EXPECT_NE(slurp(path("nan.err")).find("--lock-timeout: expected a number from 0 to 86400, not 'nan'"), std::string::npos)
      << slurp(path("nan.err"));
  EXPECT_EQ(crm({"test", path("script.crm"), "--min-coverage", "nan"}, "coverage"), 2);
}

TEST_F(HistoryTest, ConcurrentRunsOnSqliteNeverExceedACap) {
  concurrentRunsKeepTheCap(path("history.db"));
}

TEST_F(HistoryTest, LockedHistoryTimesOut) {
  std::string history = path("history.db");
  seed(history, "c0", 1, "2024-03-01T08:00:00Z");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(history.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto arguments = runArguments(history, "2024-03-05T12:00:00Z", path("out.jsonl"));
  arguments.push_back("--lock-timeout");
  arguments.push_back("0.2");
  EXPECT_EQ(crm(arguments, "locked"), 1);
  EXPECT_NE(slurp(path("locked.err")).find("is locked by another run (waited 0.20 s)"),
            std::string::npos)
      << slurp(path("locked.err"));
  EXPECT_FALSE(fs::exists(path("out.jsonl")));
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

TEST_F(HistoryTest, MissingHistoryAndBadOptionsAreClearErrors) {
  EXPECT_EQ(crm({"run", path("script.crm"), "--as-of", "2024-03-05T12:00:00Z", "--history",
                 path("missing.db")},
                "missing"),
            1);
  EXPECT_NE(slurp(path("missing.err")).find("no contact history at " + path("missing.db")),
            std::string::npos)
      << slurp(path("missing.err"));
  EXPECT_EQ(crm({"run", path("script.crm"), "--commit"}, "nohistory"), 2);
  EXPECT_NE(slurp(path("nohistory.err")).find("--commit appends to the contact history, so it "
                                               "needs --history PATH"),
            std::string::npos);
  EXPECT_EQ(crm({"run", path("script.crm"), "--as-of", "2024-03-05T12:00:00Z", "--history",
                 dir_.string(), "--commit"},
                "folder"),
            1);
  EXPECT_NE(slurp(path("folder.err")).find("is a folder; name a file"), std::string::npos)
      << slurp(path("folder.err"));
}

TEST_F(HistoryTest, KilledRunLeavesHistoryWhole) {
  // More customers, so that the run takes long enough to be killed in
  // each of its stages: loading, evaluating, writing and committing.
  std::string customers = "id\n";
  for (int i = 0; i < 5000; ++i) customers += "c" + std::to_string(i) + "\n";
  write("customers.csv", customers);
  std::string history = path("history.db");
  const char* const asOf = "2024-03-05T12:00:00Z";

  // The reference: the same run, completed, in another history.
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(crm(runArguments(path("reference.db"), asOf, path("reference.jsonl"))), 0);
  auto duration = std::chrono::steady_clock::now() - started;
  std::string reference = slurp(path("reference.jsonl"));
  ASSERT_EQ(countOf(reference, "\n"), 5000u);

  std::mt19937 random(20241204);
  std::uniform_int_distribution<int64_t> delay(
      0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count() * 11 / 10);
  int completed = 0;
  for (int point = 0; point < 50; ++point) {
    fs::remove(history);
    fs::remove(path("history.db-wal"));
    fs::remove(path("history.db-shm"));
    fs::remove(path("out.jsonl"));
    seed(history, "c0", 1, "2024-03-01T08:00:00Z");
    Process run = spawnCrm(dir_, runArguments(history, asOf, path("out.jsonl")), "killed");
    std::this_thread::sleep_for(std::chrono::microseconds(delay(random)));
    kill(run.pid, SIGKILL);
    int status = waitFor(run);
    if (status == 0) ++completed;

    // The history contains the seed and either nothing or all of the run.
    size_t messages = contacts(history).size();
    EXPECT_TRUE(messages == 1 || messages == 5001) << "kill point " << point << ": " << messages;
    // A decision file under its final name is complete.
    if (fs::exists(path("out.jsonl"))) {
      EXPECT_TRUE(slurp(path("out.jsonl")) == reference) << "kill point " << point;
    }
    // Running again completes with the same decisions, appended once.
    ASSERT_EQ(crm(runArguments(history, asOf, path("out.jsonl")), "rerun"), 0)
        << slurp(path("rerun.err"));
    EXPECT_TRUE(slurp(path("out.jsonl")) == reference) << "kill point " << point;
    EXPECT_EQ(contacts(history).size(), 5001u) << "kill point " << point;
  }
  // Most kills land inside the run.
  EXPECT_LT(completed, 25);
}

class PostgresHistoryTest : public HistoryTest {
 protected:
  static void SetUpTestSuite() {
    binaries_ = testing::PostgresServer::findBinaries();
    if (binaries_.empty()) return;
    server_ = new testing::PostgresServer(binaries_);
    server_->start(startError_);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (binaries_.empty()) {
      GTEST_SKIP() << "no PostgreSQL binaries (no /usr/lib/postgresql/VERSION/bin has initdb, "
                      "or CRM_POSTGRES_BIN names none); install the postgresql package";
    }
    ASSERT_TRUE(startError_.empty()) << startError_;
    HistoryTest::SetUp();
    database_ = "history_" + std::to_string(++databases_);
    std::string error;
    ASSERT_TRUE(server_->runSql("postgres", "CREATE DATABASE " + database_, error)) << error;
  }
  std::string location() const {
    return "postgresql:///" + database_ + "?host=" + server_->socketDirectory() + "&user=postgres";
  }

  static std::string binaries_;
  static std::string startError_;
  static testing::PostgresServer* server_;
  static int databases_;
  std::string database_;
};

std::string PostgresHistoryTest::binaries_;
std::string PostgresHistoryTest::startError_;
testing::PostgresServer* PostgresHistoryTest::server_ = nullptr;
int PostgresHistoryTest::databases_ = 0;

TEST_F(PostgresHistoryTest, CommitAppendsRunOnce) {
  ASSERT_EQ(crm(runArguments(location(), "2024-03-05T12:00:00Z", path("first.jsonl")), "first"), 0)
      << slurp(path("first.err"));
  ASSERT_EQ(crm(runArguments(location(), "2024-03-05T12:00:00Z", path("again.jsonl")), "again"), 0)
      << slurp(path("again.err"));
  EXPECT_NE(slurp(path("again.err")).find("is already in the history; nothing appended"),
            std::string::npos);
  EXPECT_EQ(slurp(path("first.jsonl")), slurp(path("again.jsonl")));
  EXPECT_EQ(contacts(location()).size(), 10u);
}

TEST_F(PostgresHistoryTest, ConcurrentRunsNeverExceedACap) {
  concurrentRunsKeepTheCap(location());
}

TEST_F(PostgresHistoryTest, AHeldLockTimesOut) {
  // Creates the tables, then holds the history's lock from another session.
  ASSERT_EQ(crm(runArguments(location(), "2024-03-05T12:00:00Z", path("first.jsonl")), "first"), 0)
      << slurp(path("first.err"));
  PGconn* holder = PQconnectdb(location().c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  PQclear(PQexec(holder, "SELECT pg_advisory_lock(7201996115)"));
  auto arguments = runArguments(location(), "2024-03-06T12:00:00Z", path("out.jsonl"));
  arguments.insert(arguments.end(), {"--lock-timeout", "0.5"});
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(crm(arguments, "locked"), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_NE(slurp(path("locked.err")).find("is locked by another run (waited 0.50 s)"),
            std::string::npos)
      << slurp(path("locked.err"));
  EXPECT_FALSE(fs::exists(path("out.jsonl")));
  PQfinish(holder);
}

TEST_F(PostgresHistoryTest, UnreachableServerFails) {
  EXPECT_EQ(crm({"run", path("script.crm"), "--as-of", "2024-03-05T12:00:00Z", "--history",
                 "postgresql:///nowhere?host=" + path("no-socket-here"), "--commit"},
                "unreachable"),
            1);
  EXPECT_NE(slurp(path("unreachable.err")).find("cannot reach the contact history in PostgreSQL"),
            std::string::npos)
      << slurp(path("unreachable.err"));
}

}  // namespace
}  // namespace crm
