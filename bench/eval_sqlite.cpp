#include "bench/eval_sqlite.h"

#include <sqlite3.h>

#include <array>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "runtime/decimal.h"
#include "runtime/time.h"

namespace crm::bench {
namespace {

// The fields of one CSV line, unquoted (RFC 4180). crm_gen writes no line
// break inside a field, so a line is a record.
void splitCsvLine(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(std::move(field));
}

// An amount with at most two fraction digits, in cents.
int64_t parseCents(const std::string& text) {
  auto value = runtime::parseDecimal(text);
  if (!value || value->scale < 0 || value->scale > 2) {
    throw std::runtime_error("orders.csv: '" + text + "' is not an amount in cents");
  }
  int64_t cents = value->coefficient;
  for (int32_t s = value->scale; s < 2; ++s) cents *= 10;
  return cents;
}

int64_t parseSeconds(const std::string& text) {
  auto micros = runtime::parseTimestamp(text);
  if (!micros) throw std::runtime_error("orders.csv: '" + text + "' is not an RFC 3339 time");
  return *micros / runtime::kMicrosPerSecond;
}

// The orders table: crm_gen's columns with the time and the amount as
// integers.
constexpr std::array<const char*, 7> kColumns = {
    "order_id", "customer_id", "ordered_at", "channel", "status", "total", "coupon_code"};
constexpr const char* kCreateTable =
    "CREATE TABLE orders(order_id TEXT, customer_id TEXT, ordered_at INTEGER, channel TEXT, "
    "status TEXT, total_cents INTEGER, coupon_code TEXT)";

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("SQLite: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() { return statement_; }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

}  // namespace

SqliteOrders::SqliteOrders() {
  if (sqlite3_open(":memory:", &db_) != SQLITE_OK) {
    throw std::runtime_error("SQLite: cannot open an in-memory database");
  }
}

SqliteOrders::~SqliteOrders() { sqlite3_close(db_); }

void SqliteOrders::execute(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    throw std::runtime_error("SQLite: " + text + " in: " + sql);
  }
}

size_t SqliteOrders::load(const std::filesystem::path& ordersCsv) {
  std::ifstream file(ordersCsv, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read '" + ordersCsv.string() + "'");
  std::string line;
  std::vector<std::string> fields;
  if (!std::getline(file, line)) throw std::runtime_error(ordersCsv.string() + " is empty");
  splitCsvLine(line, fields);
  // The position of each table column in the file.
  std::array<size_t, kColumns.size()> position{};
  for (size_t c = 0; c < kColumns.size(); ++c) {
    size_t found = 0;
    while (found < fields.size() && fields[found] != kColumns[c]) ++found;
    if (found == fields.size()) {
      throw std::runtime_error(ordersCsv.string() + " has no column " + kColumns[c]);
    }
    position[c] = found;
  }

  execute(kCreateTable);
  execute("BEGIN");
  Statement insert(db_, "INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  size_t rows = 0;
  while (std::getline(file, line)) {
    splitCsvLine(line, fields);
    if (fields.size() != position.size()) {
      throw std::runtime_error(ordersCsv.string() + ": a record without " +
                               std::to_string(position.size()) + " fields");
    }
    sqlite3_stmt* s = insert.get();
    for (int c : {0, 1, 3, 4}) {
      const std::string& text = fields[position[c]];
      sqlite3_bind_text(s, c + 1, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(s, 3, parseSeconds(fields[position[2]]));
    sqlite3_bind_int64(s, 6, parseCents(fields[position[5]]));
    const std::string& coupon = fields[position[6]];
    if (coupon.empty()) {
      sqlite3_bind_null(s, 7);
    } else {
      sqlite3_bind_text(s, 7, coupon.data(), static_cast<int>(coupon.size()), SQLITE_TRANSIENT);
    }
    if (sqlite3_step(s) != SQLITE_DONE) {
      throw std::runtime_error(std::string("SQLite: ") + sqlite3_errmsg(db_));
    }
    sqlite3_reset(s);
    ++rows;
  }
  execute("COMMIT");
  return rows;
}

void SqliteOrders::createIndex() {
  execute("CREATE INDEX orders_by_time ON orders(ordered_at, customer_id, total_cents)");
  execute("ANALYZE");
}

size_t SqliteOrders::countFrequentBuyers(int64_t from, int64_t to, int64_t minOrders,
                                         int64_t minCents, bool indexed) {
  std::string sql = std::string("SELECT COUNT(*) FROM (SELECT customer_id FROM orders") +
                    (indexed ? "" : " NOT INDEXED") +
                    " WHERE ordered_at BETWEEN ?1 AND ?2 GROUP BY customer_id"
                    " HAVING COUNT(*) >= ?3 AND SUM(total_cents) > ?4)";
  Statement query(db_, sql);
  sqlite3_bind_int64(query.get(), 1, from);
  sqlite3_bind_int64(query.get(), 2, to);
  sqlite3_bind_int64(query.get(), 3, minOrders);
  sqlite3_bind_int64(query.get(), 4, minCents);
  if (sqlite3_step(query.get()) != SQLITE_ROW) {
    throw std::runtime_error(std::string("SQLite: ") + sqlite3_errmsg(db_));
  }
  return static_cast<size_t>(sqlite3_column_int64(query.get(), 0));
}

size_t SqliteOrders::memoryBytes() { return static_cast<size_t>(sqlite3_memory_used()); }

}  // namespace crm::bench
