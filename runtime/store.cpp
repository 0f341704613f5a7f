#include "runtime/store.h"

#include <sys/mman.h>

#include <bit>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

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

StringPool& StringPool::operator=(StringPool&& other) noexcept {
  if (this == &other) return *this;
  releaseSlots();
  data_ = std::move(other.data_);
  starts_ = std::move(other.starts_);
  other.starts_.assign(1, 0);
  hashes_ = std::move(other.hashes_);
  other.hashes_.clear();
  slots_ = std::exchange(other.slots_, nullptr);
  slotCount_ = std::exchange(other.slotCount_, 0);
  lastId_ = std::exchange(other.lastId_, 0);
  appendOnlyAllowed_ = other.appendOnlyAllowed_;
  appendOnly_ = other.appendOnly_;
  interned_ = other.interned_;
  return *this;
}

StringPool::~StringPool() { releaseSlots(); }

void StringPool::releaseSlots() {
  std::free(slots_);
  slots_ = nullptr;
  slotCount_ = 0;
}

uint32_t StringPool::hash(std::string_view text) {
  // Eight bytes at a time, each word multiplied in, then the finalizer of
  // MurmurHash3 (fmix64) so that the low bits, which pick the slot, depend
  // on every byte.
  constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;
  uint64_t h = text.size() * kMultiplier;
  const char* at = text.data();
  size_t left = text.size();
  for (; left >= 8; left -= 8, at += 8) {
    uint64_t word;
    std::memcpy(&word, at, 8);
    h = (h ^ word) * kMultiplier;
    h ^= h >> 32;
  }
  if (left > 0) {
    uint64_t word = 0;
    std::memcpy(&word, at, left);
    h = (h ^ word) * kMultiplier;
  }
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

void StringPool::grow() {
  size_t capacity = slotCount_ == 0 ? 64 : slotCount_ * 2;
  size_t bytes = capacity * sizeof(uint32_t);
  constexpr size_t kHugePage = size_t{2} << 20;
  void* memory = nullptr;
  if (bytes >= kHugePage) {
    memory = std::aligned_alloc(kHugePage, bytes);
    // Only a hint: without transparent huge pages the table still works.
    if (memory != nullptr) ::madvise(memory, bytes, MADV_HUGEPAGE);
  } else {
    memory = std::malloc(bytes);
  }
  if (memory == nullptr) throw std::bad_alloc();
  releaseSlots();
  slots_ = static_cast<uint32_t*>(memory);
  std::memset(slots_, 0, bytes);
  slotCount_ = capacity;
  uint32_t mask = static_cast<uint32_t>(capacity - 1);
  for (uint32_t id = 0; id < hashes_.size(); ++id) {
    uint32_t h = hashes_[id];
    size_t slot = h & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = (h & ~mask) | (id + 1);
  }
}

void StringPool::prefetch(std::string_view text) const {
  if (slotCount_ == 0 || appendOnly_) return;
  if (size() > 0 && this->text(lastId_) == text) return;
  __builtin_prefetch(&slots_[hash(text) & (slotCount_ - 1)]);
}

void StringPool::reserve(size_t strings, size_t textBytes) {
  data_.reserve(data_.size() + textBytes);
  starts_.reserve(starts_.size() + strings);
  if (!appendOnly_) hashes_.reserve(hashes_.size() + strings);
}

std::optional<uint32_t> StringPool::find(std::string_view text) const {
  if (slotCount_ == 0 || appendOnly_) return std::nullopt;
  uint32_t h = hash(text);
  // Ids stay below half the slot count, so id + 1 fits under the mask.
  uint32_t mask = static_cast<uint32_t>(slotCount_ - 1);
  for (size_t slot = h & mask; slots_[slot] != 0; slot = (slot + 1) & mask) {
    uint32_t value = slots_[slot];
    if ((value & ~mask) != (h & ~mask)) continue;
    uint32_t id = (value & mask) - 1;
    if (this->text(id) == text) return id;
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
    releaseSlots();
    hashes_ = {};
    return intern(text);
  }
  // Consecutive rows often repeat a value (the parent key of sorted child
  // rows), which this check returns without probing the table.
  if (size() > 0 && this->text(lastId_) == text) {
    return lastId_;
  }
  // Keep the table at most half full.
  if ((size() + 1) * 2 > slotCount_) grow();
  uint32_t h = hash(text);
  uint32_t mask = static_cast<uint32_t>(slotCount_ - 1);
  size_t slot = h & mask;
  for (; slots_[slot] != 0; slot = (slot + 1) & mask) {
    uint32_t value = slots_[slot];
    if ((value & ~mask) != (h & ~mask)) continue;
    uint32_t id = (value & mask) - 1;
    if (this->text(id) == text) {
      lastId_ = id;
      return id;
    }
  }
  auto id = static_cast<uint32_t>(size());
  data_.append(text);
  starts_.push_back(data_.size());
  hashes_.push_back(h);
  slots_[slot] = (h & ~mask) | (id + 1);
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

std::optional<uint32_t> Table::findRow(std::string_view text, size_t hintRow) const {
  const Column& key = columns.at(keyColumn);
  if (key.kind != ColumnKind::Int && hintRow < rowCount && !key.isNull(hintRow)) {
    uint32_t id = key.strings[hintRow];
    // A duplicate key is indexed at its first row only.
    if (key.pool.text(id) == text && id < rowByStringId_.size() &&
        rowByStringId_[id] == hintRow + 1) {
      return static_cast<uint32_t>(hintRow);
    }
  }
  return findRow(text);
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
