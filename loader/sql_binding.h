// Binding rules shared by the SQL sources (SQLite and PostgreSQL): which
// query a source runs, and how result columns bind to fields.
#pragma once

#include <string>
#include <vector>

#include "loader/internal.h"

namespace crm::load::internal {

// The SQL a source runs, and the name its rows are reported under.
struct SqlQuery {
  std::string text;
  std::string label;  // the table name, or the query itself
};

// The second argument of `sqlite(path, query)` or `postgres(conninfo,
// query)`. A bare table name reads the whole table, with the name quoted so
// that its case is kept.
SqlQuery queryOf(const SourcePlan& source);

// The message for SQL NULL in a required field.
std::string missingValueMessage(const FieldPlan& field);

// Binds each `columns { ... }` entry to the result column of that name,
// compared case-sensitively; reports a missing or repeated column.
bool bindResultColumns(SourcePlan& source, const std::vector<std::string>& names,
                       const SqlQuery& query, const std::string& where, LoadReport& report);

}  // namespace crm::load::internal
