// Buffered output files and the field writers of the generator's formats:
// a CSV header, a CSV record (RFC 4180 quoting) and a JSON object. The three
// writers share one interface, so that each entity's fields are listed once
// (see gen_customers.cpp) and every format writes the same columns.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::bench {

// A file written through a large buffer. Errors raise std::runtime_error
// naming the path.
class OutputFile {
 public:
  explicit OutputFile(std::filesystem::path path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::string& buffer() { return buffer_; }
  // Writes the buffer out once it has grown past a few megabytes.
  void flushIfFull() {
    if (buffer_.size() >= kFlushBytes) flush();
  }
  void close();
  const std::filesystem::path& path() const { return path_; }

 private:
  static constexpr size_t kFlushBytes = 4 << 20;
  void flush();

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
};

void appendInteger(std::string& out, int64_t value);
// An amount in cents as a decimal with two fraction digits: 1234 is "12.34".
void appendCents(std::string& out, int64_t cents);
// RFC 3339 in UTC: "2024-03-05T14:07:09Z".
void appendTimestamp(std::string& out, int64_t seconds);
// ISO 8601: "1987-11-30".
void appendDate(std::string& out, int64_t days);

// Writes the field names of a record as a CSV header line.
class CsvHeaderWriter {
 public:
  explicit CsvHeaderWriter(std::string& out) : out_(out) {}
  void beginRecord() { first_ = true; }
  void endRecord() { out_ += '\n'; }
  void text(std::string_view name, std::string_view) { appendName(name); }
  void optionalText(std::string_view name, std::optional<std::string_view>) { appendName(name); }
  void integer(std::string_view name, int64_t) { appendName(name); }
  void cents(std::string_view name, std::optional<int64_t>) { appendName(name); }
  void timestamp(std::string_view name, int64_t) { appendName(name); }
  void date(std::string_view name, std::optional<int64_t>) { appendName(name); }
  void boolean(std::string_view name, bool) { appendName(name); }

 private:
  void appendName(std::string_view name);

  std::string& out_;
  bool first_ = true;
};

// Writes one CSV record; a null is an empty field.
class CsvRecordWriter {
 public:
  explicit CsvRecordWriter(std::string& out) : out_(out) {}
  void beginRecord() { first_ = true; }
  void endRecord() { out_ += '\n'; }
  void text(std::string_view name, std::string_view value);
  void optionalText(std::string_view name, std::optional<std::string_view> value);
  void integer(std::string_view name, int64_t value);
  void cents(std::string_view name, std::optional<int64_t> value);
  void timestamp(std::string_view name, int64_t seconds);
  void date(std::string_view name, std::optional<int64_t> days);
  void boolean(std::string_view name, bool value);

 private:
  void separate();

  std::string& out_;
  bool first_ = true;
};

// Writes JSON objects, which may nest arrays of objects; a null is `null`,
// amounts are JSON numbers and times are strings.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  // One line of JSON Lines is one record.
  void beginRecord() { beginObject(); }
  void endRecord() {
    endObject();
    out_ += '\n';
  }
  void beginObject();
  void endObject();
  void beginArray(std::string_view name);
  void endArray();

  void text(std::string_view name, std::string_view value);
  void optionalText(std::string_view name, std::optional<std::string_view> value);
  void integer(std::string_view name, int64_t value);
  void cents(std::string_view name, std::optional<int64_t> value);
  void timestamp(std::string_view name, int64_t seconds);
  void date(std::string_view name, std::optional<int64_t> days);
  void boolean(std::string_view name, bool value);

 private:
  void appendKey(std::string_view name);
  void separate();

  std::string& out_;
  // Per open object or array: whether nothing has been written in it yet.
  std::vector<bool> empty_;
};

}  // namespace crm::bench
