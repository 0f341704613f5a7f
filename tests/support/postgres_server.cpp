#include "tests/support/postgres_server.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

namespace fs = std::filesystem;

// The server listens on this port number, which only names the socket file
// `.s.PGSQL.5432` in the private socket directory, so parallel test
// processes do not collide.
constexpr const char* kPort = "5432";

// Runs `arguments` and waits for it, with its output in `logPath`. Returns
// the exit status, or -1 when it did not exit normally; 127 means that the
// program could not be started, and the log then names the program.
int runCommand(const std::vector<std::string>& arguments, const std::string& logPath) {
  // Everything the child needs is built before fork, because only
  // async-signal-safe calls are allowed between fork and exec.
  std::vector<char*> argv;
  for (const auto& argument : arguments)
    argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  std::string notStarted = "cannot start " + arguments[0] + "\n";
  pid_t child = fork();
  if (child < 0)
    return -1;
  if (child == 0) {
    int log = open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int input = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log < 0 || input < 0 || dup2(input, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) {
      _exit(127);
    }
    execvp(argv[0], argv.data());
    ssize_t written = write(2, notStarted.data(), notStarted.size());
    (void)written;
    _exit(127);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string readLog(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error))
    return "(no log at " + path + ")";
  return readFile(path);
}

}  // namespace

std::string PostgresServer::findBinaries() {
  if (const char* configured = std::getenv("CRM_POSTGRES_BIN")) {
    return fs::exists(fs::path(configured) / "initdb") ? configured : "";
  }
  std::string best;
  int bestVersion = -1;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (!fs::exists(entry.path() / "bin" / "initdb") || std::stoi(name) <= bestVersion)
      continue;
    bestVersion = std::stoi(name);
    best = (entry.path() / "bin").string();
  }
  return best;
}

PostgresServer::PostgresServer(std::string binaries) : binaries_(std::move(binaries)) {}

PostgresServer::~PostgresServer() {
  stop();
}

bool PostgresServer::start(std::string& error) {
  return createDirectory(error) && initializeCluster(error) && startServer(error);
}

// A fresh directory under /tmp rather than $TMPDIR, because a Unix socket
// path must stay under 108 bytes.
bool PostgresServer::createDirectory(std::string& error) {
  char pattern[] = "/tmp/crm_pg_XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    error = "cannot create a directory for the PostgreSQL server under /tmp";
    return false;
  }
  directory_ = pattern;
  asRoot_ = geteuid() == 0;
  if (!asRoot_)
    return true;
  const passwd* owner = getpwnam("postgres");
  if (owner == nullptr) {
    error =
        "the tests run as root, and initdb rejects root, but there is no `postgres` user "
        "to run it; create one or run the tests as another user";
    return false;
  }
  if (chown(directory_.c_str(), owner->pw_uid, owner->pw_gid) != 0) {
    error = "cannot give " + directory_ + " to the `postgres` user";
    return false;
  }
  return true;
}

bool PostgresServer::initializeCluster(std::string& error) {
  std::string log = directory_ + "/initdb.log";
  int status = runAsOwner({binaries_ + "/initdb", "-D", directory_ + "/data", "-U", "postgres",
                           "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                          log);
  if (status != 0) {
    error = "initdb failed with status " + std::to_string(status) + ":\n" + readLog(log);
    return false;
  }
  std::ofstream hba(directory_ + "/data/pg_hba.conf", std::ios::trunc);
  hba << "local all postgres trust\nlocal all all scram-sha-256\n";
  if (!hba.flush()) {
    error = "cannot write " + directory_ + "/data/pg_hba.conf";
    return false;
  }
  return true;
}

bool PostgresServer::startServer(std::string& error) {
  std::string log = directory_ + "/pg_ctl.log";
  // pg_ctl passes -o to the server through a shell; the directory name
  // from mkdtemp has no character that needs quoting.
  std::string serverOptions =
      "-c listen_addresses='' -k " + directory_ + " -p " + kPort + " -c fsync=off";
  int status =
      runAsOwner({binaries_ + "/pg_ctl", "-D", directory_ + "/data", "-l",
                  directory_ + "/server.log", "-w", "-t", "60", "-o", serverOptions, "start"},
                 log);
  if (status != 0) {
    error = "pg_ctl start failed with status " + std::to_string(status) + ":\n" + readLog(log) +
            "\nserver log:\n" + readLog(directory_ + "/server.log");
    return false;
  }
  running_ = true;
  return true;
}

void PostgresServer::stop() {
  if (running_) {
    std::string log = directory_ + "/pg_ctl_stop.log";
    std::vector<std::string> command = {
        binaries_ + "/pg_ctl", "-D", directory_ + "/data", "-w", "-t", "60", "-m", "fast", "stop"};
    if (runAsOwner(command, log) != 0) {
      std::cerr << "pg_ctl stop -m fast failed; stopping with -m immediate:\n" << readLog(log);
      command[7] = "immediate";
      runAsOwner(command, log);
    }
    running_ = false;
  }
  if (!directory_.empty()) {
    std::error_code error;
    fs::remove_all(directory_, error);
    directory_.clear();
  }
}

std::string PostgresServer::conninfo(const std::string& database, const std::string& user) const {
  return "host=" + directory_ + " port=" + kPort + " dbname=" + database + " user=" + user;
}

bool PostgresServer::runSql(const std::string& database, const std::string& sql,
                            std::string& error) const {
  std::string log = directory_ + "/psql.log";
  int status = runCommand({binaries_ + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                           directory_, "-p", kPort, "-U", "postgres", "-d", database, "-c", sql},
                          log);
  if (status != 0) {
    error =
        "psql failed with status " + std::to_string(status) + " on:\n" + sql + "\n" + readLog(log);
    return false;
  }
  return true;
}

int PostgresServer::runAsOwner(std::vector<std::string> arguments,
                               const std::string& logPath) const {
  if (asRoot_)
    arguments.insert(arguments.begin(), {"runuser", "-u", "postgres", "--"});
  return runCommand(arguments, logPath);
}

}  // namespace crm::testing
