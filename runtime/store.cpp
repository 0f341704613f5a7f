#include "runtime/store.h"

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
    case ColumnKind::Unfilled: return "unfilled";
  }
  return "unknown";
}

uint32_t StringPool::intern(std::string_view text) {
  auto found = ids_.find(text);
  if (found != ids_.end()) {
    return found->second;
  }
  auto id = static_cast<uint32_t>(strings_.size());
  // A deque never moves its elements, so the view used as the map key stays
  // valid as the pool grows.
  const std::string& stored = strings_.emplace_back(text);
  bytes_ += stored.size();
  ids_.emplace(stored, id);
  return id;
}

size_t Column::bytes() const {
  size_t total = ints.capacity() * sizeof(int64_t) + doubles.capacity() * sizeof(double) +
                 decimals.capacity() * sizeof(Decimal) + strings.capacity() * sizeof(uint32_t) +
                 nullBits.capacity() * sizeof(uint64_t) + offsets.capacity() * sizeof(uint32_t) +
                 pool.bytes();
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

}  // namespace crm::runtime
