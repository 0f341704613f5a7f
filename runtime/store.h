// The in-memory columnar customer store that both evaluation engines read.
// One Table per entity, one Column per field (in the entity's declaration
// order), a null bitmap for optional fields, and child lists stored sorted by
// parent with an offset range per parent row, so that a customer's orders are
// one contiguous slice of the order table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/decimal.h"
#include "runtime/value.h"

namespace crm::runtime {

enum class ColumnKind {
  Bool,       // ints: 0 or 1
  Int,        // ints
  Double,     // doubles
  Decimal,    // decimals
  String,     // strings: ids into the column's pool
  Date,       // ints: days since 1970-01-01
  Timestamp,  // ints: microseconds since 1970-01-01T00:00:00Z
  Duration,   // ints: microseconds
  Enum,       // ints: the value's position in its declaration
  Reference,  // ints: row in `target`, or kUnresolved when the key matched no row
  Children,   // offsets into `target`: rows [offsets[r], offsets[r + 1])
  Values,     // offsets into `elements`: a list or set of scalars per row
  Boxed,      // boxed: one whole value per row (records, maps, lists), as test blocks give them
  Unfilled,   // a field no source fills: null when optional, empty otherwise
};

const char* columnKindName(ColumnKind kind);

// Interned strings of one column. Ids are dense and stable; equal strings
// share one id, so low-cardinality columns store each text once. The texts
// live in one contiguous buffer and the lookup is an open-addressing table,
// because a high-cardinality id column interns a million strings per load.
class StringPool {
 public:
  StringPool() = default;
  StringPool(StringPool&& other) noexcept { *this = std::move(other); }
  StringPool& operator=(StringPool&& other) noexcept;
  ~StringPool();

  uint32_t intern(std::string_view text);
  // Starts loading the slot where intern(text) will look, so that a caller
  // can do other work while the cache misses. Only a hint.
  void prefetch(std::string_view text) const;
  // Makes room for `strings` more strings of `textBytes` bytes in all,
  // without growing the lookup table.
  void reserve(size_t strings, size_t textBytes);
  // Bytes of all distinct texts.
  size_t textBytes() const { return data_.size(); }
  // The id of `text` when it was interned; nothing is added.
  std::optional<uint32_t> find(std::string_view text) const;
  // Valid until the next intern().
  std::string_view text(uint32_t id) const {
    return std::string_view(data_).substr(starts_[id], starts_[id + 1] - starts_[id]);
  }
  size_t size() const { return starts_.size() - 1; }
  // Lets the pool stop deduplicating once nearly every string is new, as in
  // an id column: interning then appends without hashing, and find() is no
  // longer available. Only for columns that are never looked up by text.
  void allowAppendOnly() { appendOnlyAllowed_ = true; }
  bool appendOnly() const { return appendOnly_; }
  size_t bytes() const {
    return data_.capacity() + starts_.capacity() * sizeof(uint64_t) +
           hashes_.capacity() * sizeof(uint32_t) + slotCount_ * sizeof(uint32_t);
  }

 private:
  static uint32_t hash(std::string_view text);
  void grow();
  void releaseSlots();

  std::string data_;
  std::vector<uint64_t> starts_{0};  // string i is data_[starts_[i], starts_[i + 1])
  std::vector<uint32_t> hashes_;     // per id, read only when the table grows
  // The open-addressing table: slotCount_ slots, a power of two, each 0
  // when empty. The bits of the hash under the slot mask pick a string's first
  // slot. Its slot contains id + 1 in those bits and the hash's higher bits
  // above them, which rule out most other strings without reading their
  // text or hash. Tables of 2 MiB or more ask the kernel for huge pages,
  // because each lookup reads a random slot and would otherwise miss the
  // TLB as well as the cache.
  uint32_t* slots_ = nullptr;
  size_t slotCount_ = 0;
  uint32_t lastId_ = 0;  // the id interned last, tried first
  bool appendOnlyAllowed_ = false;
  bool appendOnly_ = false;
  uint64_t interned_ = 0;
};

struct Table;

struct Column {
  static constexpr int64_t kUnresolved = -1;

  std::string name;
  ColumnKind kind = ColumnKind::Unfilled;
  bool optional = false;

  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<Decimal> decimals;
  std::vector<uint32_t> strings;
  StringPool pool;
  std::vector<uint64_t> nullBits;  // bit r set: row r is null (optional columns only)

  // Reference: the key text of each unresolved row, by increasing row, for
  // the run-time error that reading through it raises. Resolved keys are
  // not kept.
  std::vector<std::pair<uint32_t, std::string>> unresolvedKeys;

  std::vector<Value> boxed;           // Boxed
  std::vector<uint32_t> offsets;      // Children and Values: rowCount + 1 entries
  Table* target = nullptr;            // Children and Reference
  std::unique_ptr<Column> elements;   // Values

  bool isNull(size_t row) const {
    return optional && (nullBits[row / 64] >> (row % 64) & 1) != 0;
  }
  void setNull(size_t row) { nullBits[row / 64] |= uint64_t{1} << (row % 64); }
  // Memory held by the column's arrays, for the load report.
  size_t bytes() const;
};

struct Table {
  std::string name;  // the entity's name
  size_t rowCount = 0;
  size_t keyColumn = 0;
  std::vector<Column> columns;
  // Finds the row of a key given as text; buildKeyIndex() must have run.
  std::optional<uint32_t> findRow(std::string_view key) const;
  // Same as findRow(key), but tries row `hintRow` first: a caller that
  // looks up keys in the order of the rows passes the row after the last
  // one found, which spares the hash lookup.
  std::optional<uint32_t> findRow(std::string_view key, size_t hintRow) const;
  // Indexes the key column. Returns the rows whose key repeats an earlier
  // row's, as (row, earlier row) pairs; they are not indexed.
  std::vector<std::pair<uint32_t, uint32_t>> buildKeyIndex();
  bool hasKeyIndex() const { return indexed_; }

  const Column* column(std::string_view columnName) const;
  Column* column(std::string_view columnName);
  // The key of a row as text, for messages.
  std::string keyText(size_t row) const;

 private:
  bool indexed_ = false;
  std::vector<uint32_t> rowByStringId_;  // string keys: pool id -> row + 1
  std::unordered_map<int64_t, uint32_t> rowByInt_;
};

class Store {
 public:
  Table& addTable(std::string name);
  Table* table(std::string_view name);
  const Table* table(std::string_view name) const;
  const std::vector<std::unique_ptr<Table>>& tables() const { return tables_; }

  const Table* customers = nullptr;
  const Table* catalog = nullptr;
  const Table* events = nullptr;

  // Data that evaluation derives from the loaded tables once and shares
  // between the threads of a run, such as the catalog hierarchy and the
  // co-purchase counts of the recommendation functions. Returns the entry
  // of `key`, calling `build` under a lock the first time.
  using DerivedBuilder = std::function<std::shared_ptr<const void>()>;
  std::shared_ptr<const void> derived(const std::string& key, const DerivedBuilder& build) const;

 private:
  struct DerivedCache {
    std::recursive_mutex mutex;  // a build may ask for another entry
    std::map<std::string, std::shared_ptr<const void>> entries;
  };

  std::vector<std::unique_ptr<Table>> tables_;
  std::unique_ptr<DerivedCache> derived_ = std::make_unique<DerivedCache>();
};

}  // namespace crm::runtime
