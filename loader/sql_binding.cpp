#include "loader/sql_binding.h"

#include <algorithm>
#include <cctype>

#include "compiler/diag/diagnostic.h"

namespace crm::load::internal {
namespace {

// Whether `text` is a table name such as `orders` or `main.orders`: ASCII
// identifiers joined by dots.
bool isTableName(std::string_view text) {
  bool partStart = true;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '.' && !partStart) {
      partStart = true;
    } else if (std::isalpha(byte) || c == '_' || (!partStart && std::isdigit(byte))) {
      partStart = false;
    } else {
      return false;
    }
  }
  return !partStart;
}

}  // namespace

SqlQuery queryOf(const SourcePlan& source) {
  const auto& call = ast::as<ast::Call>(*source.decl->format);
  std::string text = ast::as<ast::Literal>(*call.arguments[1]).text;
  if (!isTableName(text))
    return {text, text};
  std::string quoted = "\"";
  for (char c : text)
    quoted += c == '.' ? std::string("\".\"") : std::string(1, c);
  return {"SELECT * FROM " + quoted + "\"", text};
}

std::string missingValueMessage(const FieldPlan& field) {
  return "missing value for the required field; make the field optional (`" +
         field.field->name.text + ": " + ast::toString(field.field->type) + "?`) if it may be NULL";
}

namespace {

// The error for a column that the result lacks, with a suggestion.
std::string missingColumnMessage(const std::string& column, const std::vector<std::string>& names,
                                 const SqlQuery& query, const std::string& where) {
  std::string message =
      where + ": column '" + column + "' is not in the result of '" + query.text + "'";
  if (auto suggestion = diag::closestMatch(column, names)) {
    return message + "; did you mean '" + *suggestion + "'?";
  }
  std::string list;
  for (const auto& name : names)
    list += (list.empty() ? "" : ", ") + name;
  return message + "; the result has: " + list;
}

}  // namespace

bool bindResultColumns(SourcePlan& source, const std::vector<std::string>& names,
                       const SqlQuery& query, const std::string& where, LoadReport& report) {
  bool ok = dropAbsentImplicitBindings(source, names, where,
                                       "the result of '" + query.text + "'", report);
  for (auto& binding : source.bindings) {
    auto count = std::count(names.begin(), names.end(), binding.column);
    if (count == 1) {
      binding.position = static_cast<size_t>(std::find(names.begin(), names.end(), binding.column) -
                                             names.begin());
      continue;
    }
    ok = false;
    report.errors.push_back(count == 0 ? missingColumnMessage(binding.column, names, query, where)
                                       : where + ": column '" + binding.column + "' appears " +
                                             std::to_string(count) + " times in the result of '" +
                                             query.text + "'; give each a name with AS");
  }
  return ok;
}

}  // namespace crm::load::internal
