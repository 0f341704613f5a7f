// Reading one PostgreSQL source: the source's query runs through libpq in
// single-row mode, so that rows stream in one at a time instead of the
// whole result being held in memory, and each row is converted like a CSV
// record.
//
// Values are taken in PostgreSQL's text format so that they parse exactly as
// in CSV: integers and numeric keep every digit, and float4 and float8 give
// the shortest text that reads back as the same value. The session is set
// up so that this text does not depend on the server's settings; see
// kSessionSetup. Three types are adapted on the way:
// - boolean: PostgreSQL writes t and f, which are read as true and false;
// - timestamptz: "2017-01-28 14:06:53.5+00" is read as the RFC 3339 instant
//   "2017-01-28T14:06:53.5+00:00", whatever the source's timestamp_format;
// - date: read as YYYY-MM-DD, whatever the source's date_format.
// The source's timestamp_format and time_zone thus apply to timestamp
// (without time zone) and text columns, such as "%Y-%m-%d %H:%M:%S" for
// PostgreSQL's timestamp text. decimal_separator applies to text columns
// only. SQL NULL is null in an optional field and a missing value in a
// required one.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

#include "compiler/diag/diagnostic.h"
#include "loader/internal.h"
#include "loader/sql_binding.h"

namespace crm::load::internal {
namespace {

using runtime::ColumnKind;

struct FinishConnection {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Connection = std::unique_ptr<PGconn, FinishConnection>;
using Result = std::unique_ptr<PGresult, ClearResult>;

// OIDs of built-in types in PostgreSQL's pg_type catalog; they do not
// change between server versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kDateOid = 1082;
constexpr Oid kTimestamptzOid = 1184;
constexpr Oid kNumericOid = 1700;

// Fixes the text form of values: ISO dates, timestamptz in UTC ("+00"),
// floats in their shortest exact form on servers before 12 as well, and
// UTF-8 text. The session is read-only so that a query cannot change data.
constexpr const char* kSessionSetup =
    "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET extra_float_digits = 3; "
    "SET client_encoding = 'UTF8'; SET default_transaction_read_only = on";

// Seconds a connection attempt may take, unless the connection string sets
// connect_timeout, so that an unreachable server fails the load instead of
// stalling it.
constexpr const char* kConnectTimeoutSeconds = "10";

// A libpq message on one line: its lines trimmed and joined with "; ".
std::string oneLine(std::string_view message) {
  std::string text;
  size_t start = 0;
  while (start < message.size()) {
    size_t end = std::min(message.find('\n', start), message.size());
    std::string_view line = message.substr(start, end - start);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    if (!line.empty())
      text += (text.empty() ? "" : "; ") + std::string(line);
    start = end + 1;
  }
  return text;
}

std::string quoteConninfoValue(const std::string& value) {
  if (!value.empty() && value.find_first_of(" '\\") == std::string::npos)
    return value;
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\')
      quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// Checks a connection string and sets `redacted` to the form messages and
// the report use: as written, or rebuilt without its passwords when it has any.
bool describeConnection(const std::string& conninfo, std::string& redacted, std::string& error) {
  char* message = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &message);
  if (options == nullptr) {
    error = message != nullptr ? oneLine(message) : "out of memory";
    PQfreemem(message);
    return false;
  }
  bool secret = false;
  std::string rebuilt;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr)
      continue;
    std::string keyword = option->keyword;
    if (keyword == "password" || keyword == "sslpassword") {
      secret = true;
      continue;
    }
    rebuilt += (rebuilt.empty() ? "" : " ") + keyword + "=" + quoteConninfoValue(option->val);
  }
  PQconninfoFree(options);
  redacted = secret ? rebuilt : conninfo;
  return true;
}

// The primary message of a failed result, without the SQL position lines.
std::string resultError(const PGresult* result) {
  if (const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY))
    return primary;
  return oneLine(PQresultErrorMessage(result));
}

// PostgreSQL's text of a timestamptz, "2017-01-28 14:06:53.5+00", as RFC
// 3339, "2017-01-28T14:06:53.5+00:00". Text of another shape, such as
// "infinity" or a BC date, is returned unchanged and fails to parse.
std::string rfc3339FromTimestamptz(std::string_view text) {
  std::string rfc(text);
  if (rfc.size() <= 19 || rfc[10] != ' ')
    return rfc;
  rfc[10] = 'T';
  size_t sign = rfc.find_last_of("+-");
  if (sign != std::string::npos && sign > 18 && rfc.size() - sign == 3)
    rfc += ":00";
  return rfc;
}

// Whether the session setup fixes the type's text form, so that the source's
// date_format, timestamp_format and decimal_separator do not apply to it.
bool hasFixedTextForm(Oid type) {
  return type == kNumericOid || type == kFloat4Oid || type == kFloat8Oid || type == kDateOid ||
         type == kTimestamptzOid;
}


// Runs one source's query and appends the rows it returns to the entity.
class PostgresReader {
 public:
  PostgresReader(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                 Rejections& rejected)
      : source_(source),
        fixedFormSource_(source),
        sourceIndex_(sourceIndex),
        report_(report),
        rejected_(rejected),
        query_(queryOf(source)),
        where_("source `" + source.decl->name.text + "`") {
    fixedFormSource_.values.decimalPoint = '.';
    fixedFormSource_.values.dateFormat.reset();
    fixedFormSource_.values.timestampFormat.reset();    source_.rowLabel = query_.label;
  }

  void run() {
    auto started = std::chrono::steady_clock::now();
    if (!connect() || !setUpSession() || !sendQuery() || !readResults())
      return;
    stats_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    report_.sources.push_back(stats_);
  }

 private:
  bool fail(const std::string& message) {
    report_.errors.push_back(where_ + ": " + message);
    return false;
  }

  bool connect() {
    std::string error;
    std::string conninfo = source_.path;
    if (!describeConnection(conninfo, server_, error)) {
      return fail("invalid PostgreSQL connection string: " + error);
    }
    // Later messages, such as linking's duplicate keys, name rows by the
    // source's path; from here on it no longer contains the password.
    source_.path = server_;
    // The connection string comes last, so that its own settings win.
    const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
    const char* values[] = {kConnectTimeoutSeconds, "crm", conninfo.c_str(), nullptr};
    connection_.reset(PQconnectdbParams(keywords, values, 1));
    if (connection_ == nullptr)
      return fail("cannot connect to PostgreSQL: out of memory");
    if (PQstatus(connection_.get()) != CONNECTION_OK) {
      return fail("cannot connect to PostgreSQL with '" + server_ +
                  "': " + oneLine(PQerrorMessage(connection_.get())));
    }
    return true;
  }

  bool setUpSession() {
    Result result(PQexec(connection_.get(), kSessionSetup));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return fail("cannot set up the session on PostgreSQL '" + server_ +
                  "': " + resultError(result.get()));
    }
    return true;
  }

  std::string queryFailure() const {
    return "cannot run '" + query_.text + "' on PostgreSQL '" + server_ + "': ";
  }

  // Sends the query in the extended protocol, which rejects a text with
  // more than one statement.
  bool sendQuery() {
    if (PQsendQueryParams(connection_.get(), query_.text.c_str(), 0, nullptr, nullptr, nullptr,
                          nullptr, 0) != 1) {
      return fail(queryFailure() + oneLine(PQerrorMessage(connection_.get())));
    }
    if (PQsetSingleRowMode(connection_.get()) != 1) {
      return fail(queryFailure() + "libpq cannot switch to single-row mode");
    }
    return true;
  }

  // Reads every result of the query; stops at the first failure and leaves
  // the rest to PQfinish.
  bool readResults() {
    stats_.name = source_.decl->name.text;
    stats_.path = server_;
    stats_.entity = source_.entity->entity->name.text;
    row_.assign(source_.entity->fields.size(), Cell{});
    bound_.assign(source_.entity->fields.size(), false);
    for (const auto& binding : source_.bindings)
      bound_[binding.fieldIndex] = true;
    for (Result result(PQgetResult(connection_.get())); result != nullptr;
         result.reset(PQgetResult(connection_.get()))) {
      if (!handleResult(result.get()))
        return false;
    }
    return true;
  }

  // One row in single-row mode, or the end of the rows, which also
  // describes the columns when the query returns no row.
  bool handleResult(const PGresult* result) {
    switch (PQresultStatus(result)) {
      case PGRES_SINGLE_TUPLE:
        if (!columnsBound_ && !bindColumns(result))
          return false;
        readRow(result);
        return true;
      case PGRES_TUPLES_OK:
        return columnsBound_ || bindColumns(result);
      case PGRES_COMMAND_OK:
        return fail(queryFailure() + "it returns no rows; give a SELECT");
      default:
        return fail(queryFailure() + resultError(result));
    }
  }

  bool bindColumns(const PGresult* result) {
    std::vector<std::string> names;
    types_.clear();
    for (int i = 0; i < PQnfields(result); ++i) {
      names.emplace_back(PQfname(result, i));
      types_.push_back(PQftype(result, i));
    }
    adaptedTexts_.resize(names.size());
    bool filled = checkRequiredFields(source_, where_, report_);
    columnsBound_ = bindResultColumns(source_, names, query_, where_, report_) && filled;
    return columnsBound_;
  }

  void readRow(const PGresult* result) {
    ++stats_.records;
    std::string field;
    std::string error;
    if (!convertRow(result, field, error)) {
      rejected_.push_back({stats_.name, rowLocation(source_, stats_.records),
                           field, error, rowText(result)});
      ++stats_.rejected;
      return;
    }
    fillRowNumber(source_, row_, bound_, stats_.records);
    appendRow(*source_.entity, row_, bound_);
    source_.entity->origins.emplace_back(sourceIndex_, static_cast<uint32_t>(stats_.records));
    ++stats_.loaded;
  }

  // Converts the bound values of a row into `row_`; on a bad value returns
  // false with the field's name and the reason.
  bool convertRow(const PGresult* result, std::string& fieldName, std::string& error) {
    for (const auto& binding : source_.bindings) {
      const FieldPlan& field = source_.entity->fields[binding.fieldIndex];
      if (!convertValue(result, static_cast<int>(binding.position), field, row_[binding.fieldIndex],
                        error)) {
        fieldName = field.field->name.text;
        return false;
      }
    }
    return true;
  }

  bool convertValue(const PGresult* result, int column, const FieldPlan& field, Cell& cell,
                    std::string& error) {
    if (PQgetisnull(result, 0, column)) {
      cell.clear();
      cell.null = true;
      if (!field.optional)
        error = missingValueMessage(field);
      return field.optional;
    }
    std::string_view text(PQgetvalue(result, 0, column),
                          static_cast<size_t>(PQgetlength(result, 0, column)));
    stats_.bytes += text.size();
    Oid type = types_[static_cast<size_t>(column)];
    if (type == kBoolOid && text == "t") {
      text = "true";
    } else if (type == kBoolOid && text == "f") {
      text = "false";
    } else if (type == kTimestamptzOid) {
      // Kept per column until the next row, because a Cell may point at it.
      std::string& adapted = adaptedTexts_[static_cast<size_t>(column)];
      adapted = rfc3339FromTimestamptz(text);
      text = adapted;
    }
    // An empty text is a text: SQL has NULL for a missing value.
    const SourcePlan& options = hasFixedTextForm(type) ? fixedFormSource_ : source_;
    return parseTextField(options, field, text, cell, error);
  }

  // Every value of a row joined with the separator, NULL as nothing, for
  // the rejects file.
  std::string rowText(const PGresult* result) const {
    std::string text;
    for (int i = 0; i < PQnfields(result); ++i) {
      if (i > 0)
        text += source_.separator;
      text.append(PQgetvalue(result, 0, i), static_cast<size_t>(PQgetlength(result, 0, i)));
    }
    return text;
  }

  SourcePlan& source_;
  SourcePlan fixedFormSource_;  // the options for types whose text form the session fixes
  uint32_t sourceIndex_;
  LoadReport& report_;
  Rejections& rejected_;
  SqlQuery query_;
  std::string where_;
  std::string server_;  // the connection string without passwords
  Connection connection_;
  bool columnsBound_ = false;
  std::vector<Oid> types_;                 // by result column
  std::vector<std::string> adaptedTexts_;  // timestamptz values rewritten as RFC 3339, by column
  SourceStats stats_;
  std::vector<Cell> row_;
  std::vector<bool> bound_;
};

}  // namespace

void readPostgresSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                        const LoadOptions& options, Rejections& rejected) {
  (void)options;
  PostgresReader(source, sourceIndex, report, rejected).run();
}

}  // namespace crm::load::internal
