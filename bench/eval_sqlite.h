// The SQLite baseline of the evaluation benchmark's reference query: the
// orders of a crm_gen data set in an in-memory SQLite database, filled
// through the C API, and the query as SQL.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

struct sqlite3;

namespace crm::bench {

class SqliteOrders {
 public:
  SqliteOrders();
  ~SqliteOrders();
  SqliteOrders(const SqliteOrders&) = delete;
  SqliteOrders& operator=(const SqliteOrders&) = delete;

  // Reads `orders.csv` into the table `orders`, converting `ordered_at` to
  // seconds since 1970 and `total` to whole cents, as crm converts them to
  // numbers when it loads. Returns the rows read. Errors raise
  // std::runtime_error.
  size_t load(const std::filesystem::path& ordersCsv);
  // Creates an index on (ordered_at, customer_id, total_cents), which contains
  // every column that the query reads.
  void createIndex();

  // The customers with at least `minOrders` orders whose `ordered_at` lies
  // in [from, to] (seconds) and whose total over those orders exceeds
  // `minCents`. `indexed` false makes SQLite scan the table.
  size_t countFrequentBuyers(int64_t from, int64_t to, int64_t minOrders, int64_t minCents,
                             bool indexed);

  // The memory allocated by SQLite, in bytes (sqlite3_memory_used).
  static size_t memoryBytes();

 private:
  void execute(const std::string& sql);

  sqlite3* db_ = nullptr;
};

}  // namespace crm::bench
