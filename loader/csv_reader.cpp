#include "loader/csv_reader.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace crm::load {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

constexpr const char* kUnclosedQuote = "quoted field is not closed before the end of the file";
constexpr const char* kTextAfterQuote = "unexpected text after the closing quote";
constexpr const char* kQuoteInUnquoted = "quote inside an unquoted field";

// Counts UTF-8 code points as the bytes that are not continuation bytes
// (10xxxxxx), eight bytes at a time.
size_t countCodePoints(const char* text, size_t size) {
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  size_t continuations = 0;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, text + i, 8);
    // Shifting left by one moves bit 6 of each byte to bit 7 of the same
    // byte, so bit 7 of the mask is set exactly for 10xxxxxx bytes.
    continuations += std::popcount(word & ~(word << 1) & kHighBits);
  }
  for (; i < size; ++i) {
    continuations += (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
  }
  return size - continuations;
}

// Returns the start of the run of LF and CRLF terminators at the end of the
// data, scanning back from the end but not before `begin`.
size_t findBlankTail(std::string_view data, size_t begin) {
  size_t end = data.size();
  while (end > begin && data[end - 1] == '\n') {
    --end;
    if (end > begin && data[end - 1] == '\r') {
      --end;
    }
  }
  return end;
}

// Quotes a printable byte and writes any other byte as its code, for messages.
std::string describeByte(char byte) {
  const auto code = static_cast<unsigned char>(byte);
  if (code >= 0x20 && code < 0x7F) {
    return std::string("'") + byte + "'";
  }
  return "(byte " + std::to_string(code) + ")";
}

}  // namespace

std::string validateCsvOptions(const CsvOptions& options) {
  const std::string_view separators = ",;\t|";
  if (separators.find(options.separator) == std::string_view::npos) {
    return "invalid CSV separator " + describeByte(options.separator) +
           ": use ',', ';', a tab or '|'";
  }
  if (options.quote == '\n' || options.quote == '\r' || options.quote == options.separator) {
    return "invalid CSV quote character " + describeByte(options.quote) +
           ": use a character other than the separator, CR and LF, or '\\0' to disable quoting";
  }
  return {};
}

CsvReader::CsvReader(std::string_view data, CsvOptions options) : CsvReader(options) {
  supply(data, true);
}

CsvReader::CsvReader(CsvOptions options) : options_(options) {
  std::string problem = validateCsvOptions(options);
  if (!problem.empty()) {
    throw std::invalid_argument(problem);
  }
  stopsUnquoted_[static_cast<unsigned char>(options.separator)] = true;
  stopsUnquoted_['\n'] = true;
  if (options.quote != '\0') {
    stopsUnquoted_[static_cast<unsigned char>(options.quote)] = true;
  }
}

void CsvReader::supply(std::string_view data, bool final) {
  data_ = data;
  final_ = final;
  pos_ = 0;
  // A byte order mark is skipped at the start of the file only.
  if (!byteOrderMarkChecked_ && (final || data_.size() >= kByteOrderMark.size())) {
    byteOrderMarkChecked_ = true;
    if (data_.starts_with(kByteOrderMark)) {
      pos_ = kByteOrderMark.size();
    }
  }
  firstLineStart_ = pos_;
  startLine(pos_);
  // Before the end of the file, the blank lines at the end of the data may
  // still be followed by a record, so the reader waits for more data there.
  // A CR at the end may be the first byte of a CRLF terminator.
  std::string_view terminated = data_;
  if (!final && terminated.size() > pos_ && terminated.back() == '\r') {
    terminated.remove_suffix(1);
  }
  blankTailStart_ = findBlankTail(terminated, pos_);
}

bool CsvReader::waitForData() {
  if (final_) return false;
  needsData_ = true;
  return true;
}

bool CsvReader::next(CsvRecord& record, std::string& error) {
  error.clear();
  record.fields.clear();
  record.starts.clear();
  record.errorLine = 0;
  record.errorColumn = 0;
  unescapedUsed_ = 0;
  needsData_ = false;
  if (!byteOrderMarkChecked_) {
    // Fewer bytes than a byte order mark: wait for the rest.
    waitForData();
    return false;
  }
  // Every record ends with a line terminator or at the end of the data, so a
  // record that starts inside the blank tail would be one of the empty lines
  // at the end, which are not records.
  if (pos_ >= blankTailStart_) {
    waitForData();
    return false;
  }
  // Records start at the start of a line. A record that goes on past the
  // data is read again from here once more data is supplied.
  const size_t recordStart = pos_;
  const uint64_t recordLine = line_;
  record.line = line_;
  FieldEnd end = readField(record, error);
  while (end == FieldEnd::kSeparator) {
    end = readField(record, error);
  }
  if (needsData_) {
    pos_ = recordStart;
    line_ = recordLine;
    startLine(pos_);
    error.clear();
    record.fields.clear();
    record.starts.clear();
    record.errorLine = 0;
    record.errorColumn = 0;
    return false;
  }
  return true;
}

uint32_t CsvReader::column(const CsvRecord& record, size_t field) const {
  const size_t offset = record.starts[field];
  const char* const base = data_.data();
  size_t lineStart = firstLineStart_;
  if (offset > lineStart) {
    const void* newline = ::memrchr(base + lineStart, '\n', offset - lineStart);
    if (newline != nullptr) {
      lineStart = static_cast<size_t>(static_cast<const char*>(newline) - base) + 1;
    }
  }
  const uint64_t column = 1 + countCodePoints(base + lineStart, offset - lineStart);
  return static_cast<uint32_t>(std::min<uint64_t>(column, UINT32_MAX));
}

CsvReader::FieldEnd CsvReader::readField(CsvRecord& record, std::string& error) {
  if (options_.quote != '\0' && pos_ < data_.size() && data_[pos_] == options_.quote) {
    return readQuotedField(record, error);
  }
  return readUnquotedField(record, error);
}

CsvReader::FieldEnd CsvReader::readUnquotedField(CsvRecord& record, std::string& error) {
  const size_t begin = pos_;
  const size_t size = data_.size();
  size_t stop = findStop(begin);
  record.starts.push_back(begin);

  if (stop == size) {
    if (waitForData()) return FieldEnd::kEndOfData;
    record.fields.push_back(data_.substr(begin));
    pos_ = size;
    return FieldEnd::kEndOfData;
  }
  const char stopChar = data_[stop];
  if (stopChar == options_.separator) {
    record.fields.push_back(data_.substr(begin, stop - begin));
    pos_ = stop + 1;
    return FieldEnd::kSeparator;
  }
  if (stopChar == '\n') {
    // The CR of a CRLF terminator is not field text.
    const size_t fieldEnd = stop > begin && data_[stop - 1] == '\r' ? stop - 1 : stop;
    record.fields.push_back(data_.substr(begin, fieldEnd - begin));
    return endLine(stop);
  }
  fail(stop, kQuoteInUnquoted, record, error);
  return FieldEnd::kError;
}

size_t CsvReader::findStop(size_t from) const {
  // Eight bytes at a time: a byte equal to one of the stop bytes becomes a
  // zero byte after the XOR, and the lowest zero byte is found exactly by
  // the usual (v - 0x01..01) & ~v & 0x80..80 test.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  const uint64_t separator = kOnes * static_cast<unsigned char>(options_.separator);
  const uint64_t newline = kOnes * static_cast<unsigned char>('\n');
  // Without quoting, the quote test repeats the newline test.
  const uint64_t quote =
      options_.quote != '\0' ? kOnes * static_cast<unsigned char>(options_.quote) : newline;
  const char* const base = data_.data();
  const size_t size = data_.size();
  size_t at = from;
  for (; at + 8 <= size; at += 8) {
    uint64_t word;
    std::memcpy(&word, base + at, 8);
    const uint64_t a = word ^ separator;
    const uint64_t b = word ^ newline;
    const uint64_t c = word ^ quote;
    const uint64_t found = ((a - kOnes) & ~a) | ((b - kOnes) & ~b) | ((c - kOnes) & ~c);
    if ((found & kHighBits) != 0) {
      return at + static_cast<size_t>(std::countr_zero(found & kHighBits)) / 8;
    }
  }
  while (at < size && !stopsUnquoted_[static_cast<unsigned char>(base[at])]) {
    ++at;
  }
  return at;
}

CsvReader::FieldEnd CsvReader::readQuotedField(CsvRecord& record, std::string& error) {
  const size_t open = pos_;
  const char quote = options_.quote;
  size_t close = data_.find(quote, open + 1);
  bool hasDoubledQuote = false;
  // A quote followed by another quote is an escaped quote, not the end.
  while (close != std::string_view::npos && close + 1 < data_.size() && data_[close + 1] == quote) {
    hasDoubledQuote = true;
    close = data_.find(quote, close + 2);
  }
  // A quote at the end of the data may be the first of a doubled pair.
  if ((close == std::string_view::npos || close + 1 == data_.size()) && waitForData()) {
    return FieldEnd::kEndOfData;
  }
  if (close == std::string_view::npos) {
    fail(open, kUnclosedQuote, record, error);
    return FieldEnd::kError;
  }

  record.starts.push_back(open);
  const size_t contentBegin = open + 1;
  if (hasDoubledQuote) {
    record.fields.push_back(unescapeQuotedField(contentBegin, close));
  } else {
    record.fields.push_back(data_.substr(contentBegin, close - contentBegin));
  }
  advanceLines(contentBegin, close);
  return finishQuotedField(close, record, error);
}

CsvReader::FieldEnd CsvReader::finishQuotedField(size_t closingQuote, CsvRecord& record,
                                                 std::string& error) {
  const size_t after = closingQuote + 1;
  if (after == data_.size()) {
    if (waitForData()) return FieldEnd::kEndOfData;
    pos_ = after;
    return FieldEnd::kEndOfData;
  }
  const char next = data_[after];
  if (next == options_.separator) {
    pos_ = after + 1;
    return FieldEnd::kSeparator;
  }
  if (next == '\n') {
    return endLine(after);
  }
  if (next == '\r' && after + 1 == data_.size() && waitForData()) {
    return FieldEnd::kEndOfData;
  }
  if (next == '\r' && after + 1 < data_.size() && data_[after + 1] == '\n') {
    return endLine(after + 1);
  }
  fail(after, kTextAfterQuote, record, error);
  return FieldEnd::kError;
}

std::string_view CsvReader::unescapeQuotedField(size_t begin, size_t end) {
  if (unescapedUsed_ == unescaped_.size()) {
    unescaped_.emplace_back();
  }
  std::string& buffer = unescaped_[unescapedUsed_++];
  buffer.clear();
  // Quotes in [begin, end) come only in doubled pairs, because the caller
  // stopped at the first quote that is not doubled.
  const std::string_view content = data_.substr(begin, end - begin);
  size_t from = 0;
  size_t quote = content.find(options_.quote);
  while (quote != std::string_view::npos) {
    buffer.append(content, from, quote + 1 - from);
    from = quote + 2;
    quote = content.find(options_.quote, from);
  }
  buffer.append(content, from);
  return buffer;
}

CsvReader::FieldEnd CsvReader::endLine(size_t newline) {
  pos_ = newline + 1;
  ++line_;
  startLine(pos_);
  return FieldEnd::kLineEnd;
}

uint32_t CsvReader::columnAt(size_t offset) {
  column_ += countCodePoints(data_.data() + columnOffset_, offset - columnOffset_);
  columnOffset_ = offset;
  return static_cast<uint32_t>(std::min<uint64_t>(column_, UINT32_MAX));
}

void CsvReader::startLine(size_t offset) {
  columnOffset_ = offset;
  column_ = 1;
}

void CsvReader::advanceLines(size_t begin, size_t end) {
  const char* const base = data_.data();
  const void* newline = std::memchr(base + begin, '\n', end - begin);
  while (newline != nullptr) {
    const size_t offset = static_cast<const char*>(newline) - base;
    ++line_;
    startLine(offset + 1);
    newline = std::memchr(base + offset + 1, '\n', end - offset - 1);
  }
}

void CsvReader::fail(size_t at, const char* message, CsvRecord& record, std::string& error) {
  record.fields.clear();
  record.starts.clear();
  record.errorLine = line_;
  record.errorColumn = columnAt(at);
  error = message;
  skipToNextLine(at);
}

void CsvReader::skipToNextLine(size_t from) {
  const size_t newline = data_.find('\n', from);
  if (newline == std::string_view::npos) {
    if (waitForData()) return;
    pos_ = data_.size();
    return;
  }
  endLine(newline);
}

}  // namespace crm::load
