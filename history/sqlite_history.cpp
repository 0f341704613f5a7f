// The contact history in an SQLite file. The first committing run puts the
// file in write-ahead-log mode, so that later runs that only read (without
// --commit) never wait for one that commits. A committing run takes the write lock with BEGIN IMMEDIATE
// before it reads, and holds it until it appends; a second committing run
// waits for it up to the lock timeout. A crash before COMMIT leaves the file
// as it was: SQLite rolls the transaction back when the file is next opened.
#include <sqlite3.h>

#include <filesystem>
#include <optional>

#include "history/history.h"

namespace crm::history {
namespace {

// The layout of the history. Times are microseconds since the epoch, UTC;
// trigger events are one id per line.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS crm_runs (
  run_id TEXT PRIMARY KEY,
  as_of INTEGER NOT NULL,
  script_hash TEXT NOT NULL,
  sends INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS crm_contacts (
  run_id TEXT NOT NULL REFERENCES crm_runs(run_id),
  customer TEXT NOT NULL,
  campaign TEXT NOT NULL,
  channel TEXT NOT NULL,
  campaign_group TEXT NOT NULL DEFAULT '',
  send_at INTEGER NOT NULL,
  transactional INTEGER NOT NULL DEFAULT 0,
  events TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS crm_contacts_send_at ON crm_contacts(send_at);
CREATE TABLE IF NOT EXISTS crm_responses (
  customer TEXT NOT NULL,
  campaign TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('open', 'click', 'conversion')),
  at INTEGER NOT NULL
);
PRAGMA user_version = 1;
)sql";

constexpr int kSchemaVersion = 1;

std::string joinLines(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : "\n") + item;
  return text;
}

std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    size_t end = text.find('\n');
    items.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return items;
}

struct Statement {
  sqlite3_stmt* handle = nullptr;
  ~Statement() { sqlite3_finalize(handle); }
};

class SqliteHistory : public History {
 public:
  SqliteHistory(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteHistory() override {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }

  bool setUp(bool create, std::string& error) {
    // Write-ahead logging lets runs that only read go on while one commits.
    // Switching to it writes to the file, so only a committing run does.
    if (create && !exec("PRAGMA journal_mode = WAL", error)) return false;
    int version = 0;
    {
      Statement statement;
      if (!prepare("PRAGMA user_version", statement, error)) return false;
      if (sqlite3_step(statement.handle) == SQLITE_ROW) {
        version = sqlite3_column_int(statement.handle, 0);
      }
    }
    if (version > kSchemaVersion) {
      error = "the contact history " + path_ + " was written by a newer crm (layout " +
              std::to_string(version) + "); use that version";
      return false;
    }
    if (version == kSchemaVersion) return true;
    if (!create) {
      error = "the contact history " + path_ +
              " has no crm tables yet; a run with --commit creates them";
      return false;
    }
    return exec(kSchema, error);
  }

  bool begin(bool write, int lockTimeoutMs, std::string& error) override {
    sqlite3_busy_timeout(db_, lockTimeoutMs);
    if (!exec(write ? "BEGIN IMMEDIATE" : "BEGIN", error)) {
      if ((sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY) {
        error = "the contact history " + path_ + " is locked by another run (waited " +
                std::to_string(lockTimeoutMs / 1000.0).substr(0, 4) +
                " s); try again when it finishes, or raise --lock-timeout";
      }
      return false;
    }
    open_ = true;
    return true;
  }

  bool hasRun(const std::string& runId, bool& found, std::string& error) override {
    Statement statement;
    if (!prepare("SELECT 1 FROM crm_runs WHERE run_id = ?", statement, error)) return false;
    sqlite3_bind_text(statement.handle, 1, runId.data(), static_cast<int>(runId.size()),
                      SQLITE_TRANSIENT);
    int status = sqlite3_step(statement.handle);
    if (status != SQLITE_ROW && status != SQLITE_DONE) return fail(error);
    found = status == SQLITE_ROW;
    return true;
  }

  bool previousRun(const std::string& runId, int64_t asOf, std::optional<int64_t>& previous,
                   std::string& error) override {
    Statement statement;
    if (!prepare("SELECT max(as_of) FROM crm_runs WHERE as_of < ? AND run_id <> ?", statement,
                 error)) {
      return false;
    }
    sqlite3_bind_int64(statement.handle, 1, asOf);
    sqlite3_bind_text(statement.handle, 2, runId.data(), static_cast<int>(runId.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(statement.handle) != SQLITE_ROW) return fail(error);
    previous.reset();
    if (sqlite3_column_type(statement.handle, 0) != SQLITE_NULL) {
      previous = sqlite3_column_int64(statement.handle, 0);
    }
    return true;
  }

  bool contacts(int64_t from, const std::string& excludeRun, std::vector<Contact>& out,
                std::string& error) override {
    return select("WHERE (send_at >= ? OR events <> '') AND run_id <> ?", excludeRun, from, out,
                  error);
  }

  bool runContacts(const std::string& runId, std::vector<Contact>& out,
                   std::string& error) override {
    return select("WHERE run_id = ?", runId, std::nullopt, out, error);
  }

  // NOTE: conversions are counted per response, not per converted
  // customer, so a rate can exceed 1.
  bool conversionRates(const std::string& excludeRun, std::map<std::string, double>& rates,
                       std::string& error) override {
    Statement statement;
    if (!prepare("SELECT c.campaign, count(*), "
                 "(SELECT count(*) FROM crm_responses r WHERE r.campaign = c.campaign "
                 "AND r.kind = 'conversion') "
                 "FROM crm_contacts c WHERE c.run_id <> ? AND EXISTS "
                 "(SELECT 1 FROM crm_responses r WHERE r.campaign = c.campaign) "
                 "GROUP BY c.campaign",
                 statement, error)) {
      return false;
    }
    sqlite3_bind_text(statement.handle, 1, excludeRun.data(), static_cast<int>(excludeRun.size()),
                      SQLITE_TRANSIENT);
    int status;
    while ((status = sqlite3_step(statement.handle)) == SQLITE_ROW) {
      const unsigned char* campaign = sqlite3_column_text(statement.handle, 0);
      double sent = static_cast<double>(sqlite3_column_int64(statement.handle, 1));
      double converted = static_cast<double>(sqlite3_column_int64(statement.handle, 2));
      if (campaign != nullptr && sent > 0) {
        rates[reinterpret_cast<const char*>(campaign)] = converted / sent;
      }
    }
    if (status != SQLITE_DONE) return fail(error);
    return true;
  }

  bool append(const RunRecord& run, const std::vector<Contact>& sends,
              std::string& error) override {
    {
      Statement statement;
      if (!prepare("INSERT INTO crm_runs (run_id, as_of, script_hash, sends) VALUES (?, ?, ?, ?)",
                   statement, error)) {
        return false;
      }
      sqlite3_bind_text(statement.handle, 1, run.runId.data(), static_cast<int>(run.runId.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_int64(statement.handle, 2, run.asOf);
      sqlite3_bind_text(statement.handle, 3, run.scriptHash.data(),
                        static_cast<int>(run.scriptHash.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(statement.handle, 4, static_cast<int64_t>(sends.size()));
      if (sqlite3_step(statement.handle) != SQLITE_DONE) return fail(error);
    }
    Statement statement;
    if (!prepare("INSERT INTO crm_contacts (run_id, customer, campaign, channel, campaign_group, "
                 "send_at, transactional, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 statement, error)) {
      return false;
    }
    for (const Contact& send : sends) {
      sqlite3_reset(statement.handle);
      auto bind = [&](int index, const std::string& text) {
        sqlite3_bind_text(statement.handle, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT);
      };
      bind(1, run.runId);
      bind(2, send.customer);
      bind(3, send.campaign);
      bind(4, send.channel);
      bind(5, send.group);
      sqlite3_bind_int64(statement.handle, 6, send.at);
      sqlite3_bind_int(statement.handle, 7, send.transactional ? 1 : 0);
      bind(8, joinLines(send.events));
      if (sqlite3_step(statement.handle) != SQLITE_DONE) return fail(error);
    }
    return true;
  }

  bool commit(std::string& error) override {
    if (!exec("COMMIT", error)) return false;
    open_ = false;
    return true;
  }

  void rollback() override {
    if (!open_) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    open_ = false;
  }

 private:
  // Reads the messages that `where` selects; its parameters are `from`,
  // when given, then `runId`.
  bool select(const std::string& where, const std::string& runId, std::optional<int64_t> from,
              std::vector<Contact>& out, std::string& error) {
    Statement statement;
    std::string sql =
        "SELECT customer, campaign, channel, campaign_group, send_at, transactional, events, "
        "run_id FROM crm_contacts " + where + " ORDER BY rowid";
    if (!prepare(sql.c_str(), statement, error)) return false;
    int index = 1;
    if (from) sqlite3_bind_int64(statement.handle, index++, *from);
    sqlite3_bind_text(statement.handle, index, runId.data(), static_cast<int>(runId.size()),
                      SQLITE_TRANSIENT);
    auto text = [&](int column) {
      const unsigned char* value = sqlite3_column_text(statement.handle, column);
      return value == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(value));
    };
    int status;
    while ((status = sqlite3_step(statement.handle)) == SQLITE_ROW) {
      Contact contact;
      contact.customer = text(0);
      contact.campaign = text(1);
      contact.channel = text(2);
      contact.group = text(3);
      contact.at = sqlite3_column_int64(statement.handle, 4);
      contact.transactional = sqlite3_column_int(statement.handle, 5) != 0;
      contact.events = splitLines(text(6));
      contact.runId = text(7);
      out.push_back(std::move(contact));
    }
    if (status != SQLITE_DONE) return fail(error);
    return true;
  }

  bool exec(const char* sql, std::string& error) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      error = "the contact history " + path_ + ": " +
              (message != nullptr ? message : sqlite3_errmsg(db_)) + advice();
      sqlite3_free(message);
      return false;
    }
    return true;
  }
  bool prepare(const char* sql, Statement& statement, std::string& error) {
    if (sqlite3_prepare_v2(db_, sql, -1, &statement.handle, nullptr) != SQLITE_OK) return fail(error);
    return true;
  }
  bool fail(std::string& error) {
    error = "the contact history " + path_ + ": " + sqlite3_errmsg(db_) + advice();
    return false;
  }
  // Returns what to do about the last error when the file system caused
  // it, or an empty string.
  std::string advice() const {
    int code = sqlite3_errcode(db_) & 0xff;
    if (code != SQLITE_FULL && code != SQLITE_IOERR) return "";
    return "; check the free space and the file size limit where the history is, then run again";
  }

  sqlite3* db_;
  std::string path_;
  bool open_ = false;
};

}  // namespace

std::unique_ptr<History> openSqlite(const std::string& path, bool create, std::string& error) {
  std::error_code code;
  if (!create && !std::filesystem::exists(path, code)) {
    error = "no contact history at " + path +
            "; a run with --commit creates it, or leave out --history to run without one";
    return nullptr;
  }
  if (std::filesystem::is_directory(path, code)) {
    error = "the contact history " + path + " is a folder; name a file";
    return nullptr;
  }
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder, code)) {
    error = "cannot create the contact history " + path + ": the folder '" + folder.string() +
            "' does not exist; create it first";
    return nullptr;
  }
  sqlite3* db = nullptr;
  // A run that does not commit opens the file read-only and changes
  // nothing in it.
  int flags = (create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
              SQLITE_OPEN_NOMUTEX;
  int status = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (status != SQLITE_OK) {
    error = "cannot open the contact history " + path + ": " +
            (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(status));
    sqlite3_close_v2(db);
    return nullptr;
  }
  sqlite3_extended_result_codes(db, 1);
  auto history = std::make_unique<SqliteHistory>(db, path);
  sqlite3_busy_timeout(db, 10000);
  if (!history->setUp(create, error)) {
    // SQLite reads the header only at the first statement, so a file of
    // another kind is found here, before anything was written to it.
    if ((sqlite3_errcode(db) & 0xff) == SQLITE_NOTADB) {
      error = "the contact history " + path +
              " is not an SQLite database; name a history file, or a new path that a run with "
              "--commit creates";
    }
    return nullptr;
  }
  return history;
}

bool isPostgres(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::unique_ptr<History> History::open(const std::string& location, bool create,
                                       std::string& error) {
  if (isPostgres(location)) return openPostgres(location, error);
  return openSqlite(location, create, error);
}

}  // namespace crm::history
