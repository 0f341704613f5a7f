// Shared between the loader's files; not part of its interface.
#pragma once

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "compiler/ast/ast.h"
#include "loader/loader.h"
#include "loader/value_parser.h"
#include "runtime/store.h"

namespace crm::load::internal {

struct EntityPlan;

// Rejected records: every one when a rejects file is written, otherwise
// only the first few, so that a file of bad records cannot fill memory.
class Rejections {
 public:
  explicit Rejections(size_t keep) : keep_(keep) {}
  void push_back(Problem problem) {
    ++count_;
    if (problems_.size() < keep_) problems_.push_back(std::move(problem));
  }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const std::vector<Problem>& kept() const { return problems_; }

 private:
  size_t keep_;
  size_t count_ = 0;
  std::vector<Problem> problems_;
};

// A field of an entity as the loader fills it.
struct FieldPlan {
  const ast::FieldDecl* field = nullptr;
  runtime::ColumnKind kind = runtime::ColumnKind::Unfilled;
  bool optional = false;
  const ast::EnumDecl* enumDecl = nullptr;
  const ast::EntityDecl* target = nullptr;  // Reference and Children
  EntityPlan* targetPlan = nullptr;         // the plan of `target`
};

struct EntityPlan {
  const ast::EntityDecl* entity = nullptr;
  runtime::Table* table = nullptr;
  std::vector<FieldPlan> fields;  // in declaration order, as the table's columns
  // The source and line of each row, for messages about duplicate keys.
  std::vector<std::pair<uint32_t, uint32_t>> origins;  // (source index, line)
  bool filled = false;        // some source fills it
  std::optional<size_t> parentField;  // `parent:` of its source
  size_t implicitRows = 0;
  // Keys of records that were rejected, so that child rows naming them are
  // rejected too rather than re-creating an empty customer.
  std::unordered_set<std::string> rejectedKeys;
  // The parent row of each row that was read nested inside its parent's
  // record (a JSON array of objects), by row. Rows that the `parent:` key
  // joins instead have UINT32_MAX, or lie past the end.
  std::vector<uint32_t> nestedParentRows;
};

// One bound column of a source: the file's column and the field it fills.
struct Binding {
  std::string column;
  size_t fieldIndex = 0;
  size_t position = 0;  // index of the column in the file's records
  // Made because the source has no `columns` block: the field reads the
  // column of its own name, and an optional field may lack one.
  bool implicit = false;
};

struct SourcePlan {
  const ast::SourceDecl* decl = nullptr;
  EntityPlan* entity = nullptr;
  std::string path;
  std::string format;
  char separator = ',';
  char quote = '"';
  bool header = true;
  std::vector<std::string> nullValues;
  ValueOptions values;
  std::vector<Binding> bindings;
  std::optional<size_t> rowNumberField;  // `row_number:`: filled with the record's position
  size_t maxTextBytes = kMaxTextBytes;  // LoadOptions::maxTextBytes
  // The prefix of a row's location in messages: empty for files, which use
  // `path:line`, and the table name or query for SQL sources (`orders row 3`).
  std::string rowLabel;
};

// Appends one typed value per field to a table; a record is parsed into a
// Row first and appended only when every field is valid.
struct Cell {
  bool null = false;
  int64_t integer = 0;
  double real = 0;
  runtime::Decimal decimal;
  std::string text;
  // Points at the source's own bytes when they need no change, which spares
  // a copy per field; otherwise unset, and `text` contains the value.
  std::string_view view;

  std::string_view textValue() const { return view.data() != nullptr ? view : text; }
  // Resets every member, keeping the text's buffer. Cheaper than assigning
  // Cell{}, which builds a whole cell and moves its string.
  void clear() {
    null = false;
    integer = 0;
    real = 0;
    decimal = {};
    text.clear();
    view = {};
  }
};

// Adds one empty table per entity of `scripts` to `store` and plans its
// columns: kinds, null bitmaps, reference and child-list targets, the key.
std::vector<EntityPlan> planEntities(const std::vector<const ast::Script*>& scripts,
                                     runtime::Store& store);

void appendRow(EntityPlan& plan, const std::vector<Cell>& row, const std::vector<bool>& bound);

// Whether `text` is one of the source's null markers ("" when it names none).
bool isNullMarker(const SourcePlan& source, std::string_view text);

// Converts the text of one field to the field's type, following the
// source's options; returns false with `error` set. Every format that
// carries values as text (CSV, and numbers kept exact in JSON and SQL)
// goes through here, so that all formats accept and reject the same text.
bool parseTextField(const SourcePlan& source, const FieldPlan& field, std::string_view text,
                    Cell& cell, std::string& error);

// Reports every required field of the entity that the source leaves
// unbound; returns false when there is one.
bool checkRequiredFields(const SourcePlan& source, const std::string& where, LoadReport& report);

// Drops the implicit bindings of optional fields whose column is not among
// `names`, so that a source without `columns` reads the columns it has.
// Drops the implicit bindings of optional fields whose column is absent.
// Reports, and returns false, when an absent field's name is close to a
// column no field reads: a misspelt header. `container` names the header
// or the query result in the message.
bool dropAbsentImplicitBindings(SourcePlan& source, const std::vector<std::string>& names,
                                const std::string& where, const std::string& container,
                                LoadReport& report);

// Fills the `row_number:` field, if the source names one, with `number`.
void fillRowNumber(const SourcePlan& source, std::vector<Cell>& row, std::vector<bool>& bound,
                   uint64_t number);

// Reserves room for `rows` more rows in every column of the entity's table,
// so that a large source does not grow its columns by doubling (which costs
// copies, page faults and up to twice the memory).
void reserveRows(EntityPlan& plan, size_t rows);

// Records read from a file before its columns reserve room for the rest.
inline constexpr size_t kReserveSample = 4096;

// Reserves room for the rows a file of `fileBytes` still holds, estimated
// from the `sampleBytes` its first kReserveSample records took.
void reserveForFile(EntityPlan& plan, size_t fileBytes, size_t sampleBytes);

// Where row `line` of a source is, for messages.
std::string rowLocation(const SourcePlan& source, uint64_t line);

// Each reads one source into its entity's table, adding fatal problems to
// `report.errors` and rejected records to `rejected`.
void readCsvSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                   const LoadOptions& options, Rejections& rejected);
void readJsonlSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                     const LoadOptions& options, Rejections& rejected);
void readSqliteSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                      const LoadOptions& options, Rejections& rejected);
void readPostgresSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                        const LoadOptions& options, Rejections& rejected);

// Joins children to parents, resolves references and fills the statistics.
// A child list of more than `maxListRows` rows is an error in `report`.
void linkTables(std::vector<EntityPlan>& entities, const std::vector<SourcePlan>& sources,
                LoadReport& report, Rejections& rejected, size_t maxListRows);

}  // namespace crm::load::internal
