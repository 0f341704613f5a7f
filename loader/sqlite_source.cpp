// Reading one SQLite source: the source's query runs on a database file
// opened read-only, and each result row is converted like a CSV record.
//
// Values are taken as text so that they parse exactly as in CSV. An INTEGER
// gives its decimal digits, so integers beyond 2^53 stay exact. TEXT and
// BLOB give their bytes. A REAL gives the shortest text that reads back as
// the same double (std::to_chars): 10.5 gives "10.5", 0.1 gives "0.1", 3.0
// gives "3" and 1e20 gives "1e+20", always with '.' as the decimal point.
// SQL NULL is null in an optional field and a missing value in a required one.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "compiler/diag/diagnostic.h"
#include "loader/internal.h"
#include "loader/sql_binding.h"

namespace crm::load::internal {
namespace {

using runtime::ColumnKind;

struct CloseDatabase {
  void operator()(sqlite3* database) const { sqlite3_close(database); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// How long a query waits for a writer's lock before it fails with
// "database is locked".
constexpr int kBusyTimeoutMilliseconds = 5000;

// Runs one source's query and appends the rows it returns to the entity.
class SqliteReader {
 public:
  SqliteReader(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
               Rejections& rejected)
      : source_(source),
        numberSource_(source),
        sourceIndex_(sourceIndex),
        report_(report),
        rejected_(rejected),
        query_(queryOf(source)),
        where_("source `" + source.decl->name.text + "`") {
    numberSource_.values.decimalPoint = '.';    source_.rowLabel = query_.label;
  }

  void run() {
    auto started = std::chrono::steady_clock::now();
    if (!open() || !prepare() || !bindColumns() || !readRows())
      return;
    stats_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    report_.sources.push_back(stats_);
  }

 private:
  std::string databaseName() const { return "SQLite database '" + source_.path + "'"; }

  bool fail(const std::string& message) {
    report_.errors.push_back(where_ + ": " + message);
    return false;
  }

  bool open() {
    // Only a regular file is opened: SQLite would block on a FIFO.
    std::error_code error;
    if (!std::filesystem::is_regular_file(source_.path, error)) {
      return fail("cannot open SQLite database '" + source_.path + "': " +
                  (std::filesystem::exists(source_.path, error) ? "not a regular file"
                                                                : "no such file"));
    }
    sqlite3* handle = nullptr;
    int status = sqlite3_open_v2(source_.path.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr);
    database_.reset(handle);
    if (status != SQLITE_OK) {
      return fail("cannot open " + databaseName() + ": " +
                  (handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(status)));
    }
    sqlite3_busy_timeout(handle, kBusyTimeoutMilliseconds);
    return true;
  }

  bool prepare() {
    sqlite3_stmt* handle = nullptr;
    const char* tail = nullptr;
    int status = sqlite3_prepare_v2(database_.get(), query_.text.c_str(),
                                    static_cast<int>(query_.text.size()), &handle, &tail);
    statement_.reset(handle);
    std::string prefix = "cannot run '" + query_.text + "' on " + databaseName() + ": ";
    if (status != SQLITE_OK)
      return fail(prefix + sqlite3_errmsg(database_.get()));
    if (handle == nullptr)
      return fail(prefix + "the query is empty");
    if (hasMoreStatements(tail)) {
      return fail(prefix + "it has more than one statement; give a single SELECT");
    }
    if (sqlite3_column_count(handle) == 0)
      return fail(prefix + "it returns no columns");
    return true;
  }

  // Whether the text after the first statement contains anything but blanks,
  // semicolons and comments.
  bool hasMoreStatements(const char* tail) {
    sqlite3_stmt* next = nullptr;
    int status = sqlite3_prepare_v2(database_.get(), tail, -1, &next, nullptr);
    sqlite3_finalize(next);
    return status != SQLITE_OK || next != nullptr;
  }

  bool bindColumns() {
    std::vector<std::string> names;
    for (int i = 0; i < sqlite3_column_count(statement_.get()); ++i) {
      names.emplace_back(sqlite3_column_name(statement_.get(), i));
    }
    realTexts_.resize(names.size());
    bool filled = checkRequiredFields(source_, where_, report_);
    return bindResultColumns(source_, names, query_, where_, report_) && filled;
  }

  bool readRows() {
    stats_.name = source_.decl->name.text;
    stats_.path = source_.path;
    stats_.entity = source_.entity->entity->name.text;
    row_.assign(source_.entity->fields.size(), Cell{});
    bound_.assign(source_.entity->fields.size(), false);
    for (const auto& binding : source_.bindings)
      bound_[binding.fieldIndex] = true;
    int status = SQLITE_ROW;
    while ((status = sqlite3_step(statement_.get())) == SQLITE_ROW) {
      readRow();
    }
    if (status != SQLITE_DONE) {
      return fail("reading the result of '" + query_.text + "' from " + databaseName() +
                  " failed: " + sqlite3_errmsg(database_.get()));
    }
    return true;
  }

  void readRow() {
    ++stats_.records;
    std::string field;
    std::string error;
    if (!convertRow(field, error)) {
      rejected_.push_back({stats_.name, rowLocation(source_, stats_.records),
                           field, error, rowText()});
      ++stats_.rejected;
      return;
    }
    fillRowNumber(source_, row_, bound_, stats_.records);
    appendRow(*source_.entity, row_, bound_);
    source_.entity->origins.emplace_back(sourceIndex_, static_cast<uint32_t>(stats_.records));
    ++stats_.loaded;
  }

  // Converts the bound values of the current row into `row_`; on a bad
  // value returns false with the field's name and the reason.
  bool convertRow(std::string& fieldName, std::string& error) {
    for (const auto& binding : source_.bindings) {
      const FieldPlan& field = source_.entity->fields[binding.fieldIndex];
      Cell& cell = row_[binding.fieldIndex];
      int column = static_cast<int>(binding.position);
      int type = sqlite3_column_type(statement_.get(), column);
      bool ok = true;
      if (type == SQLITE_NULL) {
        cell.clear();
        cell.null = true;
        ok = field.optional;
        if (!ok)
          error = missingValueMessage(field);
      } else {
        std::string_view text = valueText(column);
        stats_.bytes += text.size();
        // An empty TEXT is a text: SQL has NULL for a missing value.
        const SourcePlan& options = type == SQLITE_FLOAT ? numberSource_ : source_;
        ok = parseTextField(options, field, text, cell, error);
      }
      if (!ok) {
        fieldName = field.field->name.text;
        return false;
      }
    }
    return true;
  }

  // The text of a non-null value of the current row; see the file comment.
  // It stays valid until the next row, because a Cell may point at it.
  std::string_view valueText(int column) {
    sqlite3_stmt* statement = statement_.get();
    if (sqlite3_column_type(statement, column) == SQLITE_FLOAT) {
      RealText& buffer = realTexts_[static_cast<size_t>(column)];
      double value = sqlite3_column_double(statement, column);
      // Whole values print as integers, so that 100000.0 fills an int field
      // as 123456.0 does; the shortest form could be "1e+05".
      bool whole = std::abs(value) < 9007199254740992.0 && value == std::trunc(value);
      auto [end, status] =
          whole ? std::to_chars(buffer.data(), buffer.data() + buffer.size(),
                                static_cast<int64_t>(value))
                : std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
      (void)status;  // the buffer fits every double's shortest form
      return {buffer.data(), static_cast<size_t>(end - buffer.data())};
    }
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
    auto size = static_cast<size_t>(sqlite3_column_bytes(statement, column));
    return text == nullptr ? std::string_view() : std::string_view(text, size);
  }

  // Every value of the current row joined with the separator, NULL as
  // nothing, for the rejects file.
  std::string rowText() {
    std::string text;
    for (int i = 0; i < sqlite3_column_count(statement_.get()); ++i) {
      if (i > 0)
        text += source_.separator;
      if (sqlite3_column_type(statement_.get(), i) != SQLITE_NULL)
        text += valueText(i);
    }
    return text;
  }

  SourcePlan& source_;
  SourcePlan numberSource_;  // the source's options with '.' as the point, for REAL values
  uint32_t sourceIndex_;
  LoadReport& report_;
  Rejections& rejected_;
  SqlQuery query_;
  std::string where_;
  Database database_;
  Statement statement_;
  SourceStats stats_;
  std::vector<Cell> row_;
  std::vector<bool> bound_;
  using RealText = std::array<char, 32>;
  std::vector<RealText> realTexts_;  // the text of each REAL value of the row, by column
};

}  // namespace

void readSqliteSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                      const LoadOptions& options, Rejections& rejected) {
  (void)options;
  SqliteReader(source, sourceIndex, report, rejected).run();
}

}  // namespace crm::load::internal
