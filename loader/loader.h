// Loads the data a script's `source` declarations name into a columnar
// Store: reads each file, converts every field to its schema type, joins
// child rows to their parents, resolves references by key, and reports row
// counts, nulls and every rejected record.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/source/source.h"
#include "runtime/hierarchy.h"
#include "runtime/store.h"
#include "runtime/value.h"

namespace crm::load {

// Limits that keep one hostile record or customer from exhausting memory
// or time. A longer value rejects its record, as a bad value does. A longer
// child list fails the load, because skipping some of its rows would
// change what the rules compute for that customer.
inline constexpr size_t kMaxTextBytes = 1u << 20;  // one field's text
inline constexpr size_t kMaxListRows = 1000000;    // the rows of one child list of one row

struct LoadOptions {
  // Paths that replace a source's own, by source name (`--source name=path`).
  std::map<std::string, std::string> sourcePaths;
  // Bad records tolerated before the load fails; they are then skipped.
  size_t maxBadRecords = 0;
  // The CSV file that receives skipped records; empty for none.
  std::string rejectsPath;
  // How many problems the report keeps in full.
  size_t problemsKept = 20;
  size_t maxTextBytes = kMaxTextBytes;
  size_t maxListRows = kMaxListRows;
  // Bytes that CSV and JSON Lines files are read in at a time. A record
  // longer than a block still loads: the block grows to hold it.
  size_t readBlockBytes = size_t{8} << 20;
};

// One rejected record: where it is, which field, the raw text and why.
struct Problem {
  std::string source;
  std::string location;  // file:line:column
  std::string field;
  std::string message;
  std::string record;  // the record's fields joined with the separator, for the rejects file
};

struct FieldStats {
  std::string name;
  std::string kind;
  size_t nulls = 0;
  size_t unresolved = 0;  // references whose key matched no row
};

struct TableStats {
  std::string entity;
  size_t rows = 0;
  size_t implicitRows = 0;  // parents created from child rows
  size_t bytes = 0;
  std::vector<FieldStats> fields;
};

struct SourceStats {
  std::string name;
  std::string path;
  std::string entity;
  size_t records = 0;
  size_t loaded = 0;
  size_t rejected = 0;
  size_t bytes = 0;
  double seconds = 0;
};

// The catalog hierarchy of `levels(...)`: nodes per level, and the nodes
// whose products name more than one parent, which keep the parent with the
// most products (runtime/hierarchy.h).
struct HierarchyStats {
  std::vector<std::pair<std::string, size_t>> levels;  // name, node count
  std::vector<size_t> conflictsPerLevel;
  std::vector<runtime::HierarchyConflict> examples;  // the first few, by level and name
};

struct LoadReport {
  std::vector<std::string> errors;  // problems that stop the load before any rule runs
  std::vector<Problem> problems;    // the first rejected records, in file order
  size_t rejectedCount = 0;
  size_t maxBadRecords = 0;
  std::vector<SourceStats> sources;
  std::vector<TableStats> tables;
  std::optional<HierarchyStats> hierarchy;  // when the catalog declares levels

  bool ok() const { return errors.empty() && rejectedCount <= maxBadRecords; }
};

struct LoadResult {
  std::unique_ptr<runtime::Store> store;
  LoadReport report;
};

// Loads every source declared in `scripts` (a checked program: the root
// script and its imports). Paths are relative to the file that declares the
// source.
LoadResult loadProgram(const std::vector<const ast::Script*>& scripts,
                       const source::SourceManager& sources, const LoadOptions& options);

// A row given as values rather than read from a source, as a test block
// gives its customer, catalog and other rows.
struct GivenRow {
  const ast::EntityDecl* entity = nullptr;
  // One value per declared field, in declaration order. A null value is a
  // null field; child lists are ignored, because they are made of the rows
  // that name this one as `parent`. A reference is its key, as a string or
  // an int.
  std::vector<runtime::Value> fields;
  // The index in the given rows of the row whose child list contains this
  // one; SIZE_MAX for a row of no list.
  size_t parent = SIZE_MAX;
};

// Builds a store of the entities of `scripts` from given rows, with the
// tables, child lists and reference resolution of loadProgram. Records,
// maps and lists of scalars, which no source fills, are kept whole. A
// reference whose key matches no row stays unresolved, as in a load; a
// duplicate key is an error of the report.
LoadResult buildStore(const std::vector<const ast::Script*>& scripts,
                      const std::vector<GivenRow>& rows);

// The names in options.sourcePaths that no source of `scripts` declares.
std::vector<std::string> undeclaredSources(const std::vector<const ast::Script*>& scripts,
                                           const LoadOptions& options);

// How many nodes with several parents the report lists.
inline constexpr size_t kHierarchyExamples = 5;

// Builds the catalog hierarchy of `catalog`'s levels into the store's
// derived data, and describes it for the report.
HierarchyStats describeHierarchy(const runtime::Store& store, const ast::EntityDecl& catalog);

// The report as text: per-source reading, per-entity rows and nulls, and the
// problems kept.
void printReport(std::ostream& out, const LoadReport& report);

}  // namespace crm::load
