#include "loader/csv_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace crm::load {
namespace {

// A record copied out of the reader, so it can be compared after the reader
// has moved on.
struct ReadRecord {
  uint64_t line = 0;
  std::vector<std::string> fields;
  std::vector<uint32_t> columns;
  std::string error;
  uint64_t errorLine = 0;
  uint32_t errorColumn = 0;
};

ReadRecord copyRecord(const CsvReader& reader, const CsvRecord& record, const std::string& error) {
  ReadRecord copy{record.line, {}, {}, error, record.errorLine, record.errorColumn};
  copy.fields.assign(record.fields.begin(), record.fields.end());
  for (size_t i = 0; i < record.fields.size(); ++i) copy.columns.push_back(reader.column(record, i));
  return copy;
}

bool operator==(const ReadRecord& a, const ReadRecord& b) {
  return a.line == b.line && a.fields == b.fields && a.columns == b.columns &&
         a.error == b.error && a.errorLine == b.errorLine && a.errorColumn == b.errorColumn;
}

std::vector<ReadRecord> readWhole(std::string_view data, CsvOptions options) {
  CsvReader reader(data, options);
  CsvRecord record;
  std::string error;
  std::vector<ReadRecord> records;
  while (reader.next(record, error)) {
    records.push_back(copyRecord(reader, record, error));
    // Each record consumes at least one byte, so more records than bytes
    // means the reader stopped advancing.
    if (records.size() > data.size() + 1) {
      ADD_FAILURE() << "reader returned more records than the data has bytes";
      break;
    }
  }
  return records;
}

// Reads `data` as the loader reads a file, `blockBytes` at a time. The
// buffer keeps the unread bytes and doubles when a record fills it. The end
// of the file is known only after a read that returns nothing.
std::vector<ReadRecord> readInBlocks(std::string_view data, CsvOptions options,
                                     size_t blockBytes) {
  CsvReader reader(options);
  size_t begin = 0;  // file offset of the buffer's first byte
  size_t size = 0;
  size_t capacity = blockBytes;
  bool atEnd = false;
  auto fill = [&] {
    while (!atEnd && size < capacity) {
      size_t got = std::min(capacity - size, data.size() - begin - size);
      if (got == 0) atEnd = true;
      size += got;
    }
    reader.supply(data.substr(begin, size), atEnd);
  };
  fill();
  CsvRecord record;
  std::string error;
  std::vector<ReadRecord> records;
  while (records.size() <= data.size() + 1) {
    if (reader.next(record, error)) {
      records.push_back(copyRecord(reader, record, error));
      continue;
    }
    if (!reader.needsData()) break;
    size_t consumed = reader.consumed();
    if (consumed == 0 && size == capacity) capacity *= 2;
    begin += consumed;
    size -= consumed;
    fill();
  }
  return records;
}

// Reads `data` whole, and checks that reading it in blocks of any size
// gives the same records.
std::vector<ReadRecord> readAll(std::string_view data, CsvOptions options = {}) {
  auto records = readWhole(data, options);
  for (size_t block = 1; block <= data.size() + 1; ++block) {
    if (!(readInBlocks(data, options, block) == records)) {
      ADD_FAILURE() << "reading in blocks of " << block << " bytes gives other records";
      break;
    }
  }
  return records;
}

using Fields = std::vector<std::string>;
using Columns = std::vector<uint32_t>;

bool pointsInto(std::string_view view, std::string_view data) {
  return view.data() >= data.data() && view.data() + view.size() <= data.data() + data.size();
}

TEST(CsvReader, SplitsOnEachSeparator) {
  for (char separator : {',', ';', '\t', '|'}) {
    std::string data = "a?b?c\nd??e\n";
    std::replace(data.begin(), data.end(), '?', separator);
    const auto records = readAll(data, {.separator = separator});
    ASSERT_EQ(records.size(), 2u) << "separator " << int(separator);
    EXPECT_EQ(records[0].fields, (Fields{"a", "b", "c"})) << "separator " << int(separator);
    EXPECT_EQ(records[0].columns, (Columns{1, 3, 5})) << "separator " << int(separator);
    EXPECT_EQ(records[1].fields, (Fields{"d", "", "e"})) << "separator " << int(separator);
    EXPECT_EQ(records[1].columns, (Columns{1, 3, 4})) << "separator " << int(separator);
  }
}

TEST(CsvReader, OtherSeparatorsAreFieldText) {
  const auto records = readAll("a,b;c\n", {.separator = ';'});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"a,b", "c"}));
}

TEST(CsvReader, QuotedFieldsKeepSeparatorsAndNewlines) {
  const auto records = readAll("\"a,b\",\"c\nd\",\"e\r\nf\",\"\"\nnext\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].error, "");
  EXPECT_EQ(records[0].fields, (Fields{"a,b", "c\nd", "e\r\nf", ""}));
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[1].fields, (Fields{"next"}));
  EXPECT_EQ(records[1].line, 4u);
}

TEST(CsvReader, DoubledQuotesCollapse) {
  // The fields are `"say ""hi"""`, `""""` and `"""a<LF>b"""`.
  const std::string data = R"("say ""hi""","""",""")"
                           "a\nb"
                           R"(""")"
                           "\n";
  const auto records = readAll(data);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].error, "");
  EXPECT_EQ(records[0].fields, (Fields{"say \"hi\"", "\"", "\"a\nb\""}));
  EXPECT_EQ(records[0].columns, (Columns{1, 14, 19}));
}

TEST(CsvReader, UnquotedAndPlainQuotedFieldsAreNotCopied) {
  const std::string data = "plain,\"quoted, no escapes\",\"with \"\"escapes\"\"\"\n";
  CsvReader reader(data);
  CsvRecord record;
  std::string error;
  ASSERT_TRUE(reader.next(record, error));
  ASSERT_EQ(record.fields.size(), 3u);
  EXPECT_TRUE(pointsInto(record.fields[0], data));
  EXPECT_TRUE(pointsInto(record.fields[1], data));
  EXPECT_FALSE(pointsInto(record.fields[2], data));
  EXPECT_EQ(record.fields[2], "with \"escapes\"");
}

TEST(CsvReader, ManyEscapedFieldsStayValid) {
  // A hundred escaped fields, so the reader adds storage while one record is
  // read. The views taken before that must still show their own text.
  std::string data;
  Fields expected;
  for (int i = 0; i < 100; ++i) {
    data += (i == 0 ? "" : ",");
    data += "\"" + std::to_string(i) + "\"\"long enough to leave the small string buffer\"";
    expected.push_back(std::to_string(i) + "\"long enough to leave the small string buffer");
  }
  data += "\n";
  const auto records = readAll(data);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, expected);
}

TEST(CsvReader, CrlfAndLfLineEndings) {
  const auto records = readAll("a,b\r\nc,d\ne,\r\n\"f\"\r\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].fields, (Fields{"a", "b"}));
  EXPECT_EQ(records[1].fields, (Fields{"c", "d"}));
  EXPECT_EQ(records[2].fields, (Fields{"e", ""}));
  EXPECT_EQ(records[3].fields, (Fields{"f"}));
  EXPECT_EQ(records[3].line, 4u);
}

TEST(CsvReader, LoneCarriageReturnIsFieldText) {
  const auto records = readAll("\"a\rb\",c\rd\ne\r\r\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"a\rb", "c\rd"}));
  EXPECT_EQ(records[1].fields, (Fields{"e\r"}));
  EXPECT_EQ(records[1].line, 2u);
}

TEST(CsvReader, SkipsByteOrderMark) {
  const auto records = readAll("\xEF\xBB\xBFid,name\n1,x\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"id", "name"}));
  EXPECT_EQ(records[0].columns, (Columns{1, 4}));
  EXPECT_EQ(records[0].line, 1u);
}

TEST(CsvReader, ByteOrderMarkOnlyAtStart) {
  const std::string bom = "\xEF\xBB\xBF";
  const auto records = readAll("a\n" + bom + "b\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields, (Fields{bom + "b"}));
}

TEST(CsvReader, MissingFinalNewline) {
  const auto records = readAll("a,b\nc,\"d\"");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields, (Fields{"c", "d"}));
  EXPECT_EQ(records[1].error, "");

  const auto unquoted = readAll("a,b\nc,d");
  ASSERT_EQ(unquoted.size(), 2u);
  EXPECT_EQ(unquoted[1].fields, (Fields{"c", "d"}));
}

TEST(CsvReader, TrailingSeparatorAddsEmptyField) {
  const auto records = readAll("a,\nb,");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"a", ""}));
  EXPECT_EQ(records[1].fields, (Fields{"b", ""}));
  EXPECT_EQ(records[1].columns, (Columns{1, 3}));
}

TEST(CsvReader, EmptyInputHasNoRecords) {
  for (std::string_view data : {"", "\xEF\xBB\xBF", "\n", "\r\n\n", "\xEF\xBB\xBF\r\n"}) {
    EXPECT_TRUE(readAll(data).empty()) << "data of " << data.size() << " bytes";
  }
}

TEST(CsvReader, TrailingEmptyLinesAreNotRecords) {
  const auto records = readAll("a\n\n\r\n\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"a"}));

  const auto unterminated = readAll("a\r\n\r\n");
  ASSERT_EQ(unterminated.size(), 1u);
}

TEST(CsvReader, EmptyLineInMiddleIsRecord) {
  const auto records = readAll("a\n\n\r\nb\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[1].fields, (Fields{""}));
  EXPECT_EQ(records[1].columns, (Columns{1}));
  EXPECT_EQ(records[1].error, "");
  EXPECT_EQ(records[2].line, 3u);
  EXPECT_EQ(records[2].fields, (Fields{""}));
  EXPECT_EQ(records[3].line, 4u);
  EXPECT_EQ(records[3].fields, (Fields{"b"}));
}

TEST(CsvReader, WhitespaceLineIsNotBlank) {
  const auto records = readAll("a\n \n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields, (Fields{" "}));
}

TEST(CsvReader, UnclosedQuoteOnLastLineIsError) {
  const auto records = readAll("a,b\nc,\"de");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[1].error, "quoted field is not closed before the end of the file");
  EXPECT_EQ(records[1].errorLine, 2u);
  EXPECT_EQ(records[1].errorColumn, 3u);
  EXPECT_TRUE(records[1].fields.empty());
  EXPECT_TRUE(records[1].columns.empty());
}

TEST(CsvReader, UnclosedQuoteResumesAfterItsLine) {
  const auto records = readAll("\"x\ny\",\"open\nc,d\ne\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[0].error, "quoted field is not closed before the end of the file");
  EXPECT_EQ(records[0].errorLine, 2u);
  EXPECT_EQ(records[0].errorColumn, 4u);
  EXPECT_EQ(records[1].line, 3u);
  EXPECT_EQ(records[1].fields, (Fields{"c", "d"}));
  EXPECT_EQ(records[2].line, 4u);
  EXPECT_EQ(records[2].fields, (Fields{"e"}));
}

TEST(CsvReader, TextAfterClosingQuoteIsError) {
  const auto records = readAll("x,\"a\"b,c\n\"d\" \nok\n\"e\"\r");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].error, "unexpected text after the closing quote");
  EXPECT_EQ(records[0].errorLine, 1u);
  EXPECT_EQ(records[0].errorColumn, 6u);
  EXPECT_TRUE(records[0].fields.empty());
  EXPECT_EQ(records[1].error, "unexpected text after the closing quote");
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[1].errorColumn, 4u);
  EXPECT_EQ(records[2].error, "");
  EXPECT_EQ(records[2].fields, (Fields{"ok"}));
  EXPECT_EQ(records[2].line, 3u);
  EXPECT_EQ(records[3].error, "unexpected text after the closing quote");
  EXPECT_EQ(records[3].line, 4u);
}

TEST(CsvReader, QuoteInsideUnquotedFieldIsError) {
  const auto records = readAll("a,b\"c,d\ne\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].error, "quote inside an unquoted field");
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[0].errorLine, 1u);
  EXPECT_EQ(records[0].errorColumn, 4u);
  EXPECT_EQ(records[1].error, "");
  EXPECT_EQ(records[1].fields, (Fields{"e"}));
  EXPECT_EQ(records[1].line, 2u);
}

TEST(CsvReader, ErrorInMultilineRecordResumesAfterIt) {
  const auto records = readAll("\"x\ny\"z,1\nw\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[0].error, "unexpected text after the closing quote");
  EXPECT_EQ(records[0].errorLine, 2u);
  EXPECT_EQ(records[0].errorColumn, 3u);
  EXPECT_EQ(records[1].line, 3u);
  EXPECT_EQ(records[1].fields, (Fields{"w"}));
}

TEST(CsvReader, ErrorClearedForNextRecord) {
  CsvReader reader("a\"\nb\n");
  CsvRecord record;
  std::string error;
  ASSERT_TRUE(reader.next(record, error));
  EXPECT_FALSE(error.empty());
  ASSERT_TRUE(reader.next(record, error));
  EXPECT_EQ(error, "");
  EXPECT_EQ(record.errorLine, 0u);
  EXPECT_EQ(record.errorColumn, 0u);
  EXPECT_FALSE(reader.next(record, error));
}

TEST(CsvReader, KeepsSpacesAroundFields) {
  const auto records = readAll(" a , b ,\" c \",\t\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{" a ", " b ", " c ", "\t"}));
  EXPECT_EQ(records[0].columns, (Columns{1, 5, 9, 15}));
}

TEST(CsvReader, LinesCountPhysicalLines) {
  const auto records = readAll("\"a\nb\",c\r\nd\n\"e\r\n\r\nf\"\ng\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[0].fields, (Fields{"a\nb", "c"}));
  // "c" starts on line 2, after `b",`.
  EXPECT_EQ(records[0].columns, (Columns{1, 4}));
  EXPECT_EQ(records[1].line, 3u);
  EXPECT_EQ(records[2].line, 4u);
  EXPECT_EQ(records[2].fields, (Fields{"e\r\n\r\nf"}));
  EXPECT_EQ(records[3].line, 7u);
}

TEST(CsvReader, ColumnsCountCodePoints) {
  // é is 2 bytes, € is 3 bytes and 😀 is 4 bytes, each one column.
  const auto records = readAll("é,€x,\"ü\",😀z\nééééééééé,a,€€€€€€€€€€,b\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].columns, (Columns{1, 3, 6, 10}));
  EXPECT_EQ(records[0].fields, (Fields{"é", "€x", "ü", "😀z"}));
  // Fields longer than 8 bytes, so that whole words are counted at a time.
  EXPECT_EQ(records[1].columns, (Columns{1, 11, 13, 24}));
}

TEST(CsvReader, DisabledQuotingKeepsQuotes) {
  const auto records = readAll("\"a,b\",\"\"\"\n", {.quote = '\0'});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].error, "");
  EXPECT_EQ(records[0].fields, (Fields{"\"a", "b\"", "\"\"\""}));
}

TEST(CsvReader, CustomQuoteCharacter) {
  const auto records = readAll("'a;b';'it''s';\"x\"\n", {.separator = ';', .quote = '\''});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].error, "");
  EXPECT_EQ(records[0].fields, (Fields{"a;b", "it's", "\"x\""}));
}

TEST(CsvReader, RejectsInvalidOptions) {
  EXPECT_EQ(validateCsvOptions({}), "");
  EXPECT_EQ(validateCsvOptions({.separator = 'x'}),
            "invalid CSV separator 'x': use ',', ';', a tab or '|'");
  EXPECT_EQ(validateCsvOptions({.separator = '\n'}),
            "invalid CSV separator (byte 10): use ',', ';', a tab or '|'");
  EXPECT_NE(validateCsvOptions({.quote = '\n'}), "");
  EXPECT_NE(validateCsvOptions({.separator = '|', .quote = '|'}), "");
  EXPECT_THROW(CsvReader("a", {.separator = ':'}), std::invalid_argument);
}

// Builds one deterministic row of the large-input test. Rows divisible by 7
// have a quoted field with doubled quotes, and the other rows divisible by 11
// a quoted newline, so the row count and the line count differ.
std::string makeRow(int i) {
  std::string row = std::to_string(i) + ",customer_" + std::to_string(i * 7919 % 100003) + ",user" +
                    std::to_string(i) + "@example.com," + std::to_string(i % 97) + "." +
                    std::to_string(i % 100) + ",";
  if (i % 7 == 0) {
    row += "\"note \"\"" + std::to_string(i) + "\"\"\"";
  } else if (i % 11 == 0) {
    row += "\"two\nlines\"";
  } else {
    row += "plain";
  }
  return row + (i % 2 == 0 ? "\r\n" : "\n");
}

TEST(CsvReader, LargeInputRoundTrip) {
  constexpr int kRows = 20000;
  std::string data;
  for (int i = 0; i < kRows; ++i) {
    data += makeRow(i);
  }
  ASSERT_GT(data.size(), 1'000'000u);

  CsvReader reader(data);
  CsvRecord record;
  std::string error;
  int count = 0;
  uint64_t expectedLine = 1;
  while (reader.next(record, error)) {
    ASSERT_EQ(error, "") << "row " << count;
    ASSERT_EQ(record.fields.size(), 5u) << "row " << count;
    ASSERT_EQ(record.line, expectedLine) << "row " << count;
    ASSERT_EQ(record.fields[0], std::to_string(count));
    expectedLine += (count % 7 != 0 && count % 11 == 0) ? 2 : 1;
    if (count == 12345) {
      EXPECT_EQ(record.fields[1], "customer_" + std::to_string(12345 * 7919 % 100003));
      EXPECT_EQ(record.fields[2], "user12345@example.com");
      EXPECT_EQ(record.fields[3], "26.45");
      EXPECT_EQ(record.fields[4], "plain");
    }
    if (count == 14 || count == 19999) {
      EXPECT_EQ(record.fields[4], "note \"" + std::to_string(count) + "\"");
    }
    if (count == 11) {
      EXPECT_EQ(record.fields[4], "two\nlines");
    }
    ++count;
  }
  EXPECT_EQ(count, kRows);
}

}  // namespace
}  // namespace crm::load
