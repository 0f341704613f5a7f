// An RFC 4180 CSV record reader over a file that is already in memory.
//
// Dialect, beyond RFC 4180:
// - The separator may be ',', ';', '\t' or '|', and quoting may be disabled.
// - Records end at LF or CRLF. A lone CR is field text and does not start a
//   new line, both inside and outside quotes.
// - A UTF-8 byte order mark at the start of the data is skipped.
// - The last record may lack its line terminator.
// - Empty lines after the last record are not records. An empty line before
//   another record is returned as a record with one empty field, so that the
//   caller can reject it with a field-count message instead of skipping it.
// - Spaces around fields are field text and are kept exactly.
// - Lines are physical lines counted by LF, so a record whose quoted field
//   spans two lines moves the next record's line number on by two.
// - Columns count UTF-8 code points from the start of the physical line.
//   NOTE: invalid UTF-8 is not rejected here. Each byte outside 0x80..0xBF
//   counts as one column.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace crm::load {

struct CsvOptions {
  char separator = ',';  // ',', ';', '\t' or '|'
  char quote = '"';      // '\0' disables quoting, so '"' is plain field text
};

// Returns an error message for options the reader cannot use, or an empty
// string when the options are valid.
std::string validateCsvOptions(const CsvOptions& options);

struct CsvRecord {
  uint64_t line = 0;  // 1-based physical line where the record starts
  // Field values with the enclosing quotes removed and doubled quotes
  // collapsed. Each view points into the input data, except a quoted field
  // that contained a doubled quote, which points into storage owned by the
  // reader and stays valid until the next call to CsvReader::next().
  std::vector<std::string_view> fields;
  // 1-based column of the first character of each field, in code points on
  // the physical line where the field starts. A quoted field starts at its
  // opening quote. Columns past UINT32_MAX are stored as UINT32_MAX.
  std::vector<uint32_t> columns;
  // Position of the problem in a malformed record, 0 for a valid one.
  uint64_t errorLine = 0;
  uint32_t errorColumn = 0;
};

class CsvReader {
 public:
  // `data` is the whole file and must outlive the reader. Throws
  // std::invalid_argument when validateCsvOptions() rejects `options`.
  CsvReader(std::string_view data, CsvOptions options = {});

  // Reads the next record into `record` and returns true, or returns false at
  // the end of the data. For a malformed record, sets `error` to a message,
  // leaves `fields` and `columns` empty and still returns true. Reading then
  // resumes at the line after the problem, so that one bad record never
  // hides the records after it. An unclosed quote is reported at its opening
  // quote, and reading resumes at the line after that quote. `error` is
  // cleared for a valid record.
  bool next(CsvRecord& record, std::string& error);

 private:
  enum class FieldEnd { kSeparator, kLineEnd, kEndOfData, kError };

  FieldEnd readField(CsvRecord& record, std::string& error);
  FieldEnd readUnquotedField(CsvRecord& record, std::string& error);
  FieldEnd readQuotedField(CsvRecord& record, std::string& error);
  FieldEnd finishQuotedField(size_t closingQuote, CsvRecord& record, std::string& error);
  std::string_view unescapeQuotedField(size_t begin, size_t end);
  FieldEnd endLine(size_t newline);

  uint32_t columnAt(size_t offset);
  void startLine(size_t offset);
  void advanceLines(size_t begin, size_t end);
  void fail(size_t at, const char* message, CsvRecord& record, std::string& error);
  void skipToNextLine(size_t from);

  std::string_view data_;
  CsvOptions options_;
  // Bytes that end an unquoted field: the separator, LF and the quote.
  std::array<bool, 256> stopsUnquoted_{};
  // Offset where the trailing run of empty lines begins, so a record never
  // starts at or after it.
  size_t blankTailStart_ = 0;

  size_t pos_ = 0;
  uint64_t line_ = 1;
  // The column of `columnOffset_` on the current line, cached so that each
  // byte is counted once while fields are read left to right.
  size_t columnOffset_ = 0;
  uint64_t column_ = 1;

  // Buffers for quoted fields with doubled quotes. A deque never moves its
  // elements, so earlier views stay valid while later fields are added.
  std::deque<std::string> unescaped_;
  size_t unescapedUsed_ = 0;
};

}  // namespace crm::load
