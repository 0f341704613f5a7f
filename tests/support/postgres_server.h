// A PostgreSQL server for tests, created from scratch in a temporary
// directory and reachable only through a Unix socket in that directory.
#pragma once

#include <string>
#include <vector>

namespace crm::testing {

class PostgresServer {
 public:
  // The folder that contains initdb, pg_ctl and psql: $CRM_POSTGRES_BIN when
  // set, else the newest /usr/lib/postgresql/VERSION/bin. Empty when no
  // such folder has initdb.
  static std::string findBinaries();

  explicit PostgresServer(std::string binaries);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates a cluster and starts it. The superuser `postgres` connects
  // without a password and every other role needs its password (SCRAM).
  // Run as root, initdb and the server run as the `postgres` user, because
  // initdb rejects root. Returns false with `error` set, the logs included.
  bool start(std::string& error);

  // Stops the server and removes its directory; the destructor calls it.
  // NOTE: a test process that crashes leaves its server running; stop it
  // with `pg_ctl -D /tmp/crm_pg_XXXXXX/data stop` as the user that started it.
  void stop();

  // A libpq connection string for `database` as `user`.
  std::string conninfo(const std::string& database, const std::string& user = "postgres") const;

  const std::string& socketDirectory() const { return directory_; }

  // Runs `sql` with psql as the superuser, stopping at the first error.
  // Returns false with psql's output in `error`.
  bool runSql(const std::string& database, const std::string& sql, std::string& error) const;

 private:
  bool createDirectory(std::string& error);
  bool initializeCluster(std::string& error);
  bool startServer(std::string& error);
  int runAsOwner(std::vector<std::string> arguments, const std::string& logPath) const;

  std::string binaries_;
  std::string directory_;  // the socket directory; the cluster is in data/
  bool asRoot_ = false;
  bool running_ = false;
};

}  // namespace crm::testing
