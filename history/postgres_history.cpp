// The contact history in a PostgreSQL database, with the same tables as the
// SQLite history. A committing run serialises with others through a
// transaction-scoped advisory lock taken before it reads, which the server
// releases at COMMIT, at ROLLBACK, or when the connection drops.
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "history/history.h"

namespace crm::history {
namespace {

// Seconds that connecting may take, unless the URI sets connect_timeout.
constexpr const char* kConnectTimeoutSeconds = "10";

// A libpq message on one line: its lines trimmed and joined with "; ".
std::string oneLine(const char* message) {
  std::string text;
  std::string line;
  auto flushLine = [&] {
    size_t begin = line.find_first_not_of(" \t");
    size_t end = line.find_last_not_of(" \t");
    if (begin != std::string::npos) {
      if (!text.empty()) text += "; ";
      text += line.substr(begin, end - begin + 1);
    }
    line.clear();
  };
  for (const char* c = message; *c != '\0'; ++c) {
    if (*c == '\n') {
      flushLine();
    } else {
      line += *c;
    }
  }
  flushLine();
  return text;
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS crm_runs (
  run_id TEXT PRIMARY KEY,
  as_of BIGINT NOT NULL,
  script_hash TEXT NOT NULL,
  sends BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS crm_contacts (
  run_id TEXT NOT NULL REFERENCES crm_runs(run_id),
  customer TEXT NOT NULL,
  campaign TEXT NOT NULL,
  channel TEXT NOT NULL,
  campaign_group TEXT NOT NULL DEFAULT '',
  send_at BIGINT NOT NULL,
  transactional BOOLEAN NOT NULL DEFAULT false,
  events TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS crm_contacts_send_at ON crm_contacts(send_at);
CREATE TABLE IF NOT EXISTS crm_responses (
  customer TEXT NOT NULL,
  campaign TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('open', 'click', 'conversion')),
  at BIGINT NOT NULL
);
)sql";

// The advisory lock key of the history: any fixed number that other
// applications on the database are unlikely to use.
constexpr const char* kLockKey = "7201996115";

struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ClearResult>;

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

class PostgresHistory : public History {
 public:
  explicit PostgresHistory(PGconn* connection) : connection_(connection) {}
  ~PostgresHistory() override {
    if (open_) run("ROLLBACK");
    PQfinish(connection_);
  }

  bool setUp(std::string& error) {
    return ok(run("SET client_min_messages = warning; SET client_encoding = 'UTF8'"), error);
  }

  bool begin(bool write, int lockTimeoutMs, std::string& error) override {
    if (!ok(run("BEGIN ISOLATION LEVEL READ COMMITTED"), error)) return false;
    open_ = true;
    if (!write) {
      Result tables = run("SELECT to_regclass('crm_contacts') IS NOT NULL");
      if (!ok(tables, error)) return false;
      if (std::string(PQgetvalue(tables.get(), 0, 0)) != "t") {
        error = "the contact history in PostgreSQL has no crm tables yet; a run with --commit "
                "creates them";
        rollback();
        return false;
      }
      return true;
    }
    // The server's lock_timeout does not bound a wait for an advisory
    // lock, so the run tries for the lock until its own deadline.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(lockTimeoutMs);
    while (true) {
      Result result = run(std::string("SELECT pg_try_advisory_xact_lock(") + kLockKey + ")");
      if (!ok(result, error)) {
        rollback();
        return false;
      }
      if (std::string(PQgetvalue(result.get(), 0, 0)) == "t") {
        // The first committing run creates the tables, under the lock so
        // that two first runs do not race.
        if (!ok(run(kSchema), error)) {
          rollback();
          return false;
        }
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    char waited[32];
    std::snprintf(waited, sizeof waited, "%.2f", lockTimeoutMs / 1000.0);
    error = std::string("the contact history is locked by another run (waited ") + waited +
            " s); try again when it finishes, or raise --lock-timeout";
    rollback();
    return false;
  }

  bool hasRun(const std::string& runId, bool& found, std::string& error) override {
    Result result = query("SELECT 1 FROM crm_runs WHERE run_id = $1", {runId});
    if (!ok(result, error)) return false;
    found = PQntuples(result.get()) > 0;
    return true;
  }

  bool previousRun(const std::string& runId, int64_t asOf, std::optional<int64_t>& previous,
                   std::string& error) override {
    Result result = query("SELECT max(as_of) FROM crm_runs WHERE as_of < $1 AND run_id <> $2",
                          {std::to_string(asOf), runId});
    if (!ok(result, error)) return false;
    previous.reset();
    if (!PQgetisnull(result.get(), 0, 0)) previous = std::stoll(PQgetvalue(result.get(), 0, 0));
    return true;
  }

  bool contacts(int64_t from, const std::string& excludeRun, std::vector<Contact>& out,
                std::string& error) override {
    Result result = query(
        "SELECT customer, campaign, channel, campaign_group, send_at, transactional, events, "
        "run_id FROM crm_contacts WHERE (send_at >= $1 OR events <> '') AND run_id <> $2 "
        "ORDER BY send_at, customer, campaign",
        {std::to_string(from), excludeRun});
    if (!ok(result, error)) return false;
    readContacts(result, out);
    return true;
  }

 private:
  void readContacts(const Result& result, std::vector<Contact>& out) {
    for (int row = 0; row < PQntuples(result.get()); ++row) {
      auto text = [&](int column) { return std::string(PQgetvalue(result.get(), row, column)); };
      Contact contact;
      contact.customer = text(0);
      contact.campaign = text(1);
      contact.channel = text(2);
      contact.group = text(3);
      contact.at = std::stoll(text(4));
      contact.transactional = text(5) == "t";
      contact.events = splitLines(text(6));
      contact.runId = text(7);
      out.push_back(std::move(contact));
    }
  }

 public:

  bool runContacts(const std::string& runId, std::vector<Contact>& out,
                   std::string& error) override {
    Result result = query(
        "SELECT customer, campaign, channel, campaign_group, send_at, transactional, events, "
        "run_id FROM crm_contacts WHERE run_id = $1",
        {runId});
    if (!ok(result, error)) return false;
    readContacts(result, out);
    return true;
  }

  bool conversionRates(const std::string& excludeRun, std::map<std::string, double>& rates,
                       std::string& error) override {
    Result result = query(
        "SELECT c.campaign, count(*), (SELECT count(*) FROM crm_responses r "
        "WHERE r.campaign = c.campaign AND r.kind = 'conversion') "
        "FROM crm_contacts c WHERE c.run_id <> $1 AND EXISTS "
        "(SELECT 1 FROM crm_responses r WHERE r.campaign = c.campaign) GROUP BY c.campaign",
        {excludeRun});
    if (!ok(result, error)) return false;
    for (int row = 0; row < PQntuples(result.get()); ++row) {
      double sent = std::stod(PQgetvalue(result.get(), row, 1));
      double converted = std::stod(PQgetvalue(result.get(), row, 2));
      if (sent > 0) rates[PQgetvalue(result.get(), row, 0)] = converted / sent;
    }
    return true;
  }

  bool append(const RunRecord& run, const std::vector<Contact>& sends,
              std::string& error) override {
    Result result = query("INSERT INTO crm_runs (run_id, as_of, script_hash, sends) "
                          "VALUES ($1, $2, $3, $4)",
                          {run.runId, std::to_string(run.asOf), run.scriptHash,
                           std::to_string(sends.size())});
    if (!ok(result, error)) return false;
    for (const Contact& send : sends) {
      std::string events;
      for (const auto& event : send.events) events += (events.empty() ? "" : "\n") + event;
      result = query("INSERT INTO crm_contacts (run_id, customer, campaign, channel, "
                     "campaign_group, send_at, transactional, events) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                     {run.runId, send.customer, send.campaign, send.channel, send.group,
                      std::to_string(send.at), send.transactional ? "true" : "false", events});
      if (!ok(result, error)) return false;
    }
    return true;
  }

  bool commit(std::string& error) override {
    if (!ok(run("COMMIT"), error)) return false;
    open_ = false;
    return true;
  }

  void rollback() override {
    if (!open_) return;
    run("ROLLBACK");
    open_ = false;
  }

 private:
  Result run(const std::string& sql) { return Result(PQexec(connection_, sql.c_str())); }
  Result query(const char* sql, const std::vector<std::string>& parameters) {
    std::vector<const char*> values;
    for (const auto& p : parameters) values.push_back(p.c_str());
    return Result(PQexecParams(connection_, sql, static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  }
  bool ok(const Result& result, std::string& error) {
    ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return true;
    error = "the contact history (PostgreSQL): " + oneLine(PQerrorMessage(connection_));
    return false;
  }

  PGconn* connection_;
  bool open_ = false;
};

}  // namespace

std::unique_ptr<History> openPostgres(const std::string& conninfo, std::string& error) {
  // A server that accepts connections but never replies would keep the run
  // waiting indefinitely without a timeout. The URI comes last, so that its own
  // connect_timeout wins.
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {kConnectTimeoutSeconds, "crm", conninfo.c_str(), nullptr};
  PGconn* connection = PQconnectdbParams(keywords, values, 1);
  if (PQstatus(connection) != CONNECTION_OK) {
    error = "cannot reach the contact history in PostgreSQL: " +
            oneLine(connection != nullptr ? PQerrorMessage(connection) : "out of memory") +
            "; check that the server runs and that the URI names its host (or socket folder) "
            "and port";
    PQfinish(connection);
    return nullptr;
  }
  auto history = std::make_unique<PostgresHistory>(connection);
  if (!history->setUp(error)) return nullptr;
  return history;
}

}  // namespace crm::history
