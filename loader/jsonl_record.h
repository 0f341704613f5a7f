// Reading one JSON Lines record, a JSON object, into typed rows: a row of the
// source's entity and, for each array of objects under a child-list field, a
// row of the child entity per element. Shared by the jsonl_*.cpp files.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "loader/internal.h"

namespace crm::load::internal {

inline constexpr size_t kNoIndex = SIZE_MAX;

// The mapping from the keys of a JSON object to the fields of one entity.
struct JsonLayout {
  struct Key {
    std::string name;                      // the JSON key, unescaped
    std::vector<size_t> fields;            // scalar fields filled from the key's value
    size_t listField = kNoIndex;           // a Children field filled from the key's array
    const JsonLayout* children = nullptr;  // the layout of that array's objects
    bool plain = true;  // the name has no '"' or '\\', so raw keys compare as they are
  };

  EntityPlan* entity = nullptr;
  std::vector<Key> keys;
  std::vector<bool> bound;  // by field: some key fills it
};

// Builds the layout of the source's entity from its `columns` block, then
// the layouts of the entities nested in it, whose objects are read by field
// name. A child-list field that `columns` does not bind reads the key of its
// own name, unless `columns` binds that key to another field. Adds binding
// errors to `report` and returns false if there are any.
// `layouts.front()` is the source's own layout.
bool buildJsonLayouts(const SourcePlan& source, std::deque<JsonLayout>& layouts,
                      LoadReport& report);

// One row of a record, kept until the whole record has been read and is valid.
struct PendingRow {
  const JsonLayout* layout = nullptr;
  // The index of the parent's pending row, or kNoIndex for the record's own.
  size_t parent = kNoIndex;
  std::vector<Cell> cells;  // by field of the layout's entity
};

// The rows of one record: the record's own row first, and each nested row
// after its parent.
struct JsonRecord {
  // Reused from record to record, so only the first `count` are current.
  std::deque<PendingRow> rows;
  size_t count = 0;

  size_t add(const JsonLayout& layout, size_t parent);
};

struct JsonError {
  size_t offset = 0;  // bytes from the start of the line
  std::string field;  // such as `score` or `orders[1].total`, or empty for the whole line
  std::string message;
  bool unterminated = false;  // the line ends inside the object or inside a string
};

class JsonRecordReader {
 public:
  explicit JsonRecordReader(const SourcePlan& source);

  // Reads the object on `line` into `record`. `capacity` counts the bytes
  // readable from `line.data()`, which must exceed the line's length by
  // SIMDJSON_PADDING. Returns false with `error` set when the line is not a
  // valid record, and `record` is then incomplete.
  bool read(std::string_view line, size_t capacity, const JsonLayout& layout, JsonRecord& record,
            JsonError& error);

 private:
  using Value = simdjson::ondemand::value;
  using JsonType = simdjson::ondemand::json_type;

  // A child list and the index of one of its elements, for field paths.
  struct PathStep {
    const std::string* field = nullptr;
    size_t index = 0;
  };

  bool readObject(simdjson::ondemand::object object, const JsonLayout& layout, size_t row,
                  const char* start);
  bool fillMissingKeys(const JsonLayout& layout, size_t row, size_t seenBase, const char* start);
  bool readKeyValue(Value& value, const JsonLayout::Key& key, size_t row);
  bool readString(Value& value, const JsonLayout::Key& key, PendingRow& row, const char* at);
  bool readNumber(Value& value, const JsonLayout::Key& key, PendingRow& row, const char* at);
  bool readBool(Value& value, const JsonLayout::Key& key, PendingRow& row, const char* at);
  bool readNull(Value& value, const JsonLayout::Key& key, PendingRow& row, const char* at);
  bool readList(Value& value, JsonType type, const JsonLayout::Key& key, size_t row,
                const char* at);
  bool skipValue(Value& value);

  bool fail(const char* at, const std::string* field, std::string message);
  bool failJson(simdjson::error_code code, const char* at, const std::string* field);
  bool failLiteral(const char* at, const std::string* field);
  const std::string& fieldName(const PendingRow& row, size_t field) const;

  const SourcePlan& source_;
  // The source's options for JSON numbers: the decimal point is always '.'
  // and no null marker applies.
  SourcePlan numberSource_;
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document document_;
  bool documentStarted_ = false;
  std::string_view line_;
  JsonRecord* record_ = nullptr;
  JsonError* error_ = nullptr;
  std::vector<uint8_t> seen_;   // by key of each object being read, whether the key occurred
  std::vector<PathStep> path_;  // the child lists around the object being read
  std::string message_;
};

}  // namespace crm::load::internal
