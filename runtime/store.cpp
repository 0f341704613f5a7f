#include "runtime/store.h"

#include <charconv>

#include "runtime/time.h"

namespace crm::runtime {

const char* columnKindName(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::Bool: return "bool";
    case ColumnKind::Int: return "int";
    case ColumnKind::Double: return "double";
    case ColumnKind::Decimal: return "decimal";
    case ColumnKind::String: return "string";
    case ColumnKind::Date: return "date";
    case ColumnKind::Timestamp: return "timestamp";
    case ColumnKind::Duration: return "duration";
    case ColumnKind::Enum: return "enum";
    case ColumnKind::Reference: return "reference";
    case ColumnKind::Children: return "list";
    case ColumnKind::Values: return "values";
    case ColumnKind::Boxed: return "boxed";
    case ColumnKind::Unfilled: return "unfilled";
  }
  return "unknown";
}

uint64_t StringPool::hash(std::string_view text) {
  // FNV-1a: short ids hash fast and spread well enough with a final mix.
  uint64_t h = 1469598103934665603ULL;
  for (char c : text) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  return h ^ (h >> 29);
}

void StringPool::grow() {
  size_t capacity = slots_.empty() ? 64 : slots_.size() * 2;
  slots_.assign(capacity, 0);
  for (uint32_t id = 0; id < hashes_.size(); ++id) {
    size_t slot = hashes_[id] & (capacity - 1);
    while (slots_[slot] != 0) slot = (slot + 1) & (capacity - 1);
    slots_[slot] = id + 1;
  }
}

std::optional<uint32_t> StringPool::find(std::string_view text) const {
  if (slots_.empty() || appendOnly_) return std::nullopt;
  uint64_t h = hash(text);
  size_t mask = slots_.size() - 1;
  for (size_t slot = h & mask; slots_[slot] != 0; slot = (slot + 1) & mask) {
    uint32_t id = slots_[slot] - 1;
    if (hashes_[id] == h && this->text(id) == text) return id;
  }
  return std::nullopt;
}

uint32_t StringPool::intern(std::string_view text) {
  ++interned_;
  if (appendOnly_) {
    data_.append(text);
    starts_.push_back(data_.size());
    return static_cast<uint32_t>(starts_.size() - 2);
  }
  // After 16,384 strings of which 90% were new, deduplication only costs.
  if (appendOnlyAllowed_ && interned_ == 16384 && size() * 10 > interned_ * 9) {
    appendOnly_ = true;
    slots_ = {};
    hashes_ = {};
    return intern(text);
  }
  // Consecutive rows often repeat a value (the parent key of sorted child
  // rows), which this check returns without probing the table.
  if (!hashes_.empty() && this->text(lastId_) == text) {
    return lastId_;
  }
  // Keep the table at most half full.
  if ((hashes_.size() + 1) * 2 > slots_.size()) grow();
  uint64_t h = hash(text);
  size_t mask = slots_.size() - 1;
  size_t slot = h & mask;
  for (; slots_[slot] != 0; slot = (slot + 1) & mask) {
    uint32_t id = slots_[slot] - 1;
    if (hashes_[id] == h && this->text(id) == text) {
      lastId_ = id;
      return id;
    }
  }
  auto id = static_cast<uint32_t>(hashes_.size());
  data_.append(text);
  starts_.push_back(data_.size());
  hashes_.push_back(h);
  slots_[slot] = id + 1;
  lastId_ = id;
  return id;
}

size_t Column::bytes() const {
  size_t total = ints.capacity() * sizeof(int64_t) + doubles.capacity() * sizeof(double) +
                 decimals.capacity() * sizeof(Decimal) + strings.capacity() * sizeof(uint32_t) +
                 nullBits.capacity() * sizeof(uint64_t) + offsets.capacity() * sizeof(uint32_t) +
                 boxed.capacity() * sizeof(Value) + pool.bytes();
  if (elements) {
    total += elements->bytes();
  }
  return total;
}

const Column* Table::column(std::string_view columnName) const {
  for (const auto& c : columns) {
    if (c.name == columnName) return &c;
  }
  return nullptr;
}

Column* Table::column(std::string_view columnName) {
  for (auto& c : columns) {
    if (c.name == columnName) return &c;
  }
  return nullptr;
}

std::string Table::keyText(size_t row) const {
  const Column& key = columns.at(keyColumn);
  switch (key.kind) {
    case ColumnKind::String: return std::string(key.pool.text(key.strings[row]));
    case ColumnKind::Int: return std::to_string(key.ints[row]);
    default: return "#" + std::to_string(row);
  }
}

std::vector<std::pair<uint32_t, uint32_t>> Table::buildKeyIndex() {
  std::vector<std::pair<uint32_t, uint32_t>> duplicates;
  const Column& key = columns.at(keyColumn);
  rowByStringId_.clear();
  rowByInt_.clear();
  if (key.kind == ColumnKind::Int) {
    rowByInt_.reserve(rowCount);
    for (uint32_t row = 0; row < rowCount; ++row) {
      auto [it, inserted] = rowByInt_.emplace(key.ints[row], row);
      if (!inserted) duplicates.emplace_back(row, it->second);
    }
  } else {
    rowByStringId_.assign(key.pool.size(), 0);
    for (uint32_t row = 0; row < rowCount; ++row) {
      uint32_t& slot = rowByStringId_[key.strings[row]];
      if (slot != 0) {
        duplicates.emplace_back(row, slot - 1);
      } else {
        slot = row + 1;
      }
    }
  }
  indexed_ = true;
  return duplicates;
}

std::optional<uint32_t> Table::findRow(std::string_view text) const {
  const Column& key = columns.at(keyColumn);
  if (key.kind == ColumnKind::Int) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    auto found = rowByInt_.find(value);
    if (found == rowByInt_.end()) return std::nullopt;
    return found->second;
  }
  auto id = key.pool.find(text);
  if (!id || *id >= rowByStringId_.size() || rowByStringId_[*id] == 0) return std::nullopt;
  return rowByStringId_[*id] - 1;
}

Table& Store::addTable(std::string name) {
  tables_.push_back(std::make_unique<Table>());
  tables_.back()->name = std::move(name);
  return *tables_.back();
}

Table* Store::table(std::string_view name) {
  for (auto& t : tables_) {
    if (t->name == name) return t.get();
  }
  return nullptr;
}

const Table* Store::table(std::string_view name) const {
  for (const auto& t : tables_) {
    if (t->name == name) return t.get();
  }
  return nullptr;
}

std::shared_ptr<const void> Store::derived(const std::string& key,
                                           const DerivedBuilder& build) const {
  std::lock_guard<std::recursive_mutex> lock(derived_->mutex);
  auto found = derived_->entries.find(key);
  if (found != derived_->entries.end()) return found->second;
  std::shared_ptr<const void> value = build();
  derived_->entries.emplace(key, value);
  return value;
}

}  // namespace crm::runtime
