// An RFC 4180 CSV record reader, over a file that is already in memory or
// over a file given a block at a time (see CsvReader::supply()).
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
  // Offset in the reader's data of the first character of each field; a
  // quoted field starts at its opening quote. CsvReader::column() turns it
  // into a column, which only messages need.
  std::vector<size_t> starts;
  // Position of the problem in a malformed record, 0 for a valid one.
  uint64_t errorLine = 0;
  uint32_t errorColumn = 0;
};

class CsvReader {
 public:
  // `data` is the whole file and must outlive the reader. Throws
  // std::invalid_argument when validateCsvOptions() rejects `options`.
  CsvReader(std::string_view data, CsvOptions options = {});
  // A reader that gets its data from supply(), a block at a time.
  explicit CsvReader(CsvOptions options);

  // Gives the reader the file's bytes from the end of the last record it
  // returned: the first call gives the start of the file, and each later
  // call the data of the one before without its first consumed() bytes,
  // with more bytes after it. `final` is true when the data reaches the
  // end of the file. Views into earlier data are no longer valid.
  void supply(std::string_view data, bool final);
  // Bytes at the start of the data that the records returned so far took.
  size_t consumed() const { return pos_; }
  // Whether the last next() returned false because the record goes on past
  // the data supplied so far, rather than at the end of the file.
  bool needsData() const { return needsData_; }

  // Reads the next record into `record` and returns true, or returns false at
  // the end of the data. For a malformed record, sets `error` to a message,
  // leaves `fields` and `starts` empty and still returns true. Reading then
  // resumes at the line after the problem, so that one bad record never
  // hides the records after it. An unclosed quote is reported at its opening
  // quote, and reading resumes at the line after that quote. `error` is
  // cleared for a valid record. A record is returned only once its last
  // byte and the byte after it have been supplied, so that reading the file
  // in blocks gives the same records as reading it whole.
  bool next(CsvRecord& record, std::string& error);

  // The 1-based column of field `field` of the record that next() returned
  // last, in code points on the physical line where the field starts.
  // Columns past UINT32_MAX are given as UINT32_MAX.
  uint32_t column(const CsvRecord& record, size_t field) const;

 private:
  enum class FieldEnd { kSeparator, kLineEnd, kEndOfData, kError };

  FieldEnd readField(CsvRecord& record, std::string& error);
  FieldEnd readUnquotedField(CsvRecord& record, std::string& error);
  // The offset of the first byte at or after `from` that ends an unquoted
  // field, or the size of the data.
  size_t findStop(size_t from) const;
  FieldEnd readQuotedField(CsvRecord& record, std::string& error);
  FieldEnd finishQuotedField(size_t closingQuote, CsvRecord& record, std::string& error);
  std::string_view unescapeQuotedField(size_t begin, size_t end);
  FieldEnd endLine(size_t newline);

  uint32_t columnAt(size_t offset);
  void startLine(size_t offset);
  void advanceLines(size_t begin, size_t end);
  void fail(size_t at, const char* message, CsvRecord& record, std::string& error);
  void skipToNextLine(size_t from);
  // Notes that the record goes on past the data, when more data will come.
  bool waitForData();

  std::string_view data_;
  CsvOptions options_;
  bool final_ = false;
  bool byteOrderMarkChecked_ = false;
  bool needsData_ = false;
  // Where the first line of the data starts, after a byte order mark.
  size_t firstLineStart_ = 0;
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
