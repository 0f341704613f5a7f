#include "bench/record_writers.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace crm::bench {
namespace {

std::runtime_error writeError(const std::filesystem::path& path, int error) {
  return std::runtime_error("cannot write '" + path.string() + "': " + std::strerror(error));
}

void appendTwoDigits(std::string& out, int value) {
  out += static_cast<char>('0' + value / 10);
  out += static_cast<char>('0' + value % 10);
}

void appendCsvText(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

OutputFile::OutputFile(std::filesystem::path path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr) throw writeError(path_, errno);
  buffer_.reserve(kFlushBytes + (1 << 20));
}

OutputFile::~OutputFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void OutputFile::flush() {
  if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    throw writeError(path_, errno);
  }
  buffer_.clear();
}

void OutputFile::close() {
  flush();
  std::FILE* file = file_;
  file_ = nullptr;
  if (std::fclose(file) != 0) throw writeError(path_, errno);
}

void appendInteger(std::string& out, int64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void appendCents(std::string& out, int64_t cents) {
  if (cents < 0) {
    out += '-';
    cents = -cents;
  }
  appendInteger(out, cents / 100);
  out += '.';
  appendTwoDigits(out, static_cast<int>(cents % 100));
}

void appendTimestamp(std::string& out, int64_t seconds) {
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  appendInteger(out, parts.tm_year + 1900);
  out += '-';
  appendTwoDigits(out, parts.tm_mon + 1);
  out += '-';
  appendTwoDigits(out, parts.tm_mday);
  out += 'T';
  appendTwoDigits(out, parts.tm_hour);
  out += ':';
  appendTwoDigits(out, parts.tm_min);
  out += ':';
  appendTwoDigits(out, parts.tm_sec);
  out += 'Z';
}

void appendDate(std::string& out, int64_t days) {
  std::time_t time = static_cast<std::time_t>(days * 86400);
  std::tm parts{};
  gmtime_r(&time, &parts);
  appendInteger(out, parts.tm_year + 1900);
  out += '-';
  appendTwoDigits(out, parts.tm_mon + 1);
  out += '-';
  appendTwoDigits(out, parts.tm_mday);
}

void CsvHeaderWriter::appendName(std::string_view name) {
  if (!first_) out_ += ',';
  first_ = false;
  appendCsvText(out_, name);
}

void CsvRecordWriter::separate() {
  if (!first_) out_ += ',';
  first_ = false;
}

void CsvRecordWriter::text(std::string_view, std::string_view value) {
  separate();
  appendCsvText(out_, value);
}

void CsvRecordWriter::optionalText(std::string_view, std::optional<std::string_view> value) {
  separate();
  if (value) appendCsvText(out_, *value);
}

void CsvRecordWriter::integer(std::string_view, int64_t value) {
  separate();
  appendInteger(out_, value);
}

void CsvRecordWriter::cents(std::string_view, std::optional<int64_t> value) {
  separate();
  if (value) appendCents(out_, *value);
}

void CsvRecordWriter::timestamp(std::string_view, int64_t seconds) {
  separate();
  appendTimestamp(out_, seconds);
}

void CsvRecordWriter::date(std::string_view, std::optional<int64_t> days) {
  separate();
  if (days) appendDate(out_, *days);
}

void CsvRecordWriter::boolean(std::string_view, bool value) {
  separate();
  out_ += value ? "true" : "false";
}

void JsonWriter::separate() {
  if (!empty_.empty()) {
    if (!empty_.back()) out_ += ',';
    empty_.back() = false;
  }
}

void JsonWriter::appendKey(std::string_view name) {
  separate();
  appendJsonString(out_, name);
  out_ += ':';
}

void JsonWriter::beginObject() {
  separate();
  out_ += '{';
  empty_.push_back(true);
}

void JsonWriter::endObject() {
  out_ += '}';
  empty_.pop_back();
}

void JsonWriter::beginArray(std::string_view name) {
  appendKey(name);
  out_ += '[';
  empty_.push_back(true);
}

void JsonWriter::endArray() {
  out_ += ']';
  empty_.pop_back();
}

void JsonWriter::text(std::string_view name, std::string_view value) {
  appendKey(name);
  appendJsonString(out_, value);
}

void JsonWriter::optionalText(std::string_view name, std::optional<std::string_view> value) {
  appendKey(name);
  if (value) {
    appendJsonString(out_, *value);
  } else {
    out_ += "null";
  }
}

void JsonWriter::integer(std::string_view name, int64_t value) {
  appendKey(name);
  appendInteger(out_, value);
}

void JsonWriter::cents(std::string_view name, std::optional<int64_t> value) {
  appendKey(name);
  if (value) {
    appendCents(out_, *value);
  } else {
    out_ += "null";
  }
}

void JsonWriter::timestamp(std::string_view name, int64_t seconds) {
  appendKey(name);
  out_ += '"';
  appendTimestamp(out_, seconds);
  out_ += '"';
}

void JsonWriter::date(std::string_view name, std::optional<int64_t> days) {
  appendKey(name);
  if (days) {
    out_ += '"';
    appendDate(out_, *days);
    out_ += '"';
  } else {
    out_ += "null";
  }
}

void JsonWriter::boolean(std::string_view name, bool value) {
  appendKey(name);
  out_ += value ? "true" : "false";
}

}  // namespace crm::bench
