#include "loader/loader.h"

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "loader/internal.h"
#include "runtime/atomic_file.h"

namespace crm::load {
namespace {

using internal::EntityPlan;
using internal::FieldPlan;
using internal::SourcePlan;

FieldPlan planField(const ast::FieldDecl& field) {
  FieldPlan plan;
  plan.field = &field;
  const ast::Type* type = field.type;
  if (type == nullptr || type->isError()) {
    return plan;
  }
  plan.optional = type->isOptional();
  const ast::Type* value = type->unwrapped();
  using runtime::ColumnKind;
  switch (value->kind) {
    case ast::TypeKind::Bool: plan.kind = ColumnKind::Bool; break;
    case ast::TypeKind::Int: plan.kind = ColumnKind::Int; break;
    case ast::TypeKind::Double: plan.kind = ColumnKind::Double; break;
    case ast::TypeKind::Decimal: plan.kind = ColumnKind::Decimal; break;
    case ast::TypeKind::String: plan.kind = ColumnKind::String; break;
    case ast::TypeKind::Date: plan.kind = ColumnKind::Date; break;
    case ast::TypeKind::Timestamp: plan.kind = ColumnKind::Timestamp; break;
    case ast::TypeKind::Duration: plan.kind = ColumnKind::Duration; break;
    case ast::TypeKind::Enum:
      plan.kind = ColumnKind::Enum;
      plan.enumDecl = &ast::as<ast::EnumDecl>(*value->decl);
      break;
    case ast::TypeKind::Entity:
      plan.kind = ColumnKind::Reference;
      plan.target = &ast::as<ast::EntityDecl>(*value->decl);
      break;
    case ast::TypeKind::List:
      if (value->element->is(ast::TypeKind::Entity)) {
        plan.kind = ColumnKind::Children;
        plan.target = &ast::as<ast::EntityDecl>(*value->element->decl);
      }
      // NOTE: lists and sets of scalars, records and maps are not loaded
      // from files yet; they stay empty.
      break;
    default:
      break;
  }
  return plan;
}

const ast::Property* findOption(const ast::SourceDecl& decl, const std::string& name) {
  for (const auto& option : decl.options) {
    if (option.name.text == name) return &option;
  }
  return nullptr;
}

std::optional<std::string> stringOption(const ast::SourceDecl& decl, const std::string& name) {
  const ast::Property* option = findOption(decl, name);
  if (option == nullptr || option->values.size() != 1 ||
      option->values[0]->kind != ast::ExprKind::Literal) {
    return std::nullopt;
  }
  return ast::as<ast::Literal>(*option->values[0]).text;
}

std::string sourcePath(const ast::SourceDecl& decl, const source::SourceManager& sources,
                       const LoadOptions& options) {
  auto overridden = options.sourcePaths.find(decl.name.text);
  if (overridden != options.sourcePaths.end()) {
    return overridden->second;
  }
  const auto& call = ast::as<ast::Call>(*decl.format);
  std::string path = ast::as<ast::Literal>(*call.arguments[0]).text;
  if (call.function.text == "postgres") {
    return path;  // a libpq connection string, not a file
  }
  std::filesystem::path base =
      std::filesystem::path(sources.file(decl.range.file).path()).parent_path();
  return std::filesystem::path(path).is_absolute() ? path : (base / path).string();
}

// Reads a source's options into its plan; returns false with errors added
// to the report when an option cannot be used.
bool planOptions(SourcePlan& plan, LoadReport& report) {
  const ast::SourceDecl& decl = *plan.decl;
  std::string where = "source `" + decl.name.text + "`";
  if (auto separator = stringOption(decl, "separator")) plan.separator = (*separator)[0];
  if (auto quote = stringOption(decl, "quote")) plan.quote = quote->empty() ? '\0' : (*quote)[0];
  if (auto point = stringOption(decl, "decimal_separator")) plan.values.decimalPoint = (*point)[0];
  if (const ast::Property* header = findOption(decl, "header")) {
    const auto& value = *header->values[0];
    plan.header = value.kind != ast::ExprKind::Literal || ast::as<ast::Literal>(value).intValue != 0;
  }
  // Without `null_values`, an empty CSV field is null in an optional field;
  // JSON and SQL have a null of their own, so there "" stays a text.
  if (plan.format == "csv") plan.nullValues = {""};
  if (const ast::Property* nulls = findOption(decl, "null_values")) {
    plan.nullValues.clear();
    if (nulls->values[0]->kind == ast::ExprKind::List) {
      for (const auto& item : ast::as<ast::ListLiteral>(*nulls->values[0]).elements) {
        if (item->kind == ast::ExprKind::Literal) {
          plan.nullValues.push_back(ast::as<ast::Literal>(*item).text);
        }
      }
    }
  }
  bool ok = true;
  std::string error;
  if (auto layout = stringOption(decl, "date_format")) {
    plan.values.dateFormat = TimeFormat::compile(*layout, error);
    if (!plan.values.dateFormat) {
      report.errors.push_back(where + ": " + error);
      ok = false;
    } else if (!plan.values.dateFormat->hasDate() || plan.values.dateFormat->hasTime()) {
      // A date layout without a year would fill in 1970; one with a time
      // would drop it: both are silent coercions.
      report.errors.push_back(where + ": date_format '" + *layout +
                              "' must name the year, month and day and no time of day");
      ok = false;
    }
  }
  if (auto layout = stringOption(decl, "timestamp_format")) {
    plan.values.timestampFormat = TimeFormat::compile(*layout, error);
    if (!plan.values.timestampFormat) {
      report.errors.push_back(where + ": " + error);
      ok = false;
    } else if (!plan.values.timestampFormat->hasDate() ||
               !plan.values.timestampFormat->hasTime()) {
      report.errors.push_back(where + ": timestamp_format '" + *layout +
                              "' must name the year, month, day and time of day");
      ok = false;
    }
  }
  if (auto zone = stringOption(decl, "time_zone")) {
    auto loaded = runtime::TimeZone::load(*zone);
    if (!loaded) {
      report.errors.push_back(where + ": unknown time zone '" + *zone +
                              "'; use an IANA name such as America/New_York");
      ok = false;
    } else {
      plan.values.zone = *loaded;
    }
  }
  return ok;
}

// Writes the rejects atomically, so that a failed load leaves no
// half-written file.
void writeRejects(const std::string& path, const std::vector<Problem>& rejected,
                  LoadReport& report) {
  auto quoteCsv = [](const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  };
  std::string text = "source,location,field,reason,record\n";
  for (const auto& problem : rejected) {
    text += quoteCsv(problem.source) + ',' + quoteCsv(problem.location) + ',' +
            quoteCsv(problem.field) + ',' + quoteCsv(problem.message) + ',' +
            quoteCsv(problem.record) + '\n';
  }
  std::string error = runtime::writeFileAtomically(path, text, "the rejects file");
  if (!error.empty()) report.errors.push_back(error);
}

// The file that the load reads at `path`: a script or a data file, as a
// phrase for messages. Empty when `path` names none of them.
std::string inputAtRejectsPath(const std::string& path, const std::vector<SourcePlan>& plans,
                               const source::SourceManager& sources) {
  auto same = [&](const std::string& input) { return runtime::sameFile(path, input); };
  for (source::FileId id = 0; id < sources.size(); ++id) {
    if (same(sources.file(id).path())) return "the script '" + sources.file(id).path() + "'";
  }
  for (const auto& plan : plans) {
    if (plan.format != "postgres" && same(plan.path)) {
      return "the data file '" + plan.path + "' of source `" + plan.decl->name.text + "`";
    }
  }
  return "";
}

}  // namespace

namespace internal {

std::vector<EntityPlan> planEntities(const std::vector<const ast::Script*>& scripts,
                                     runtime::Store& store) {
  std::vector<EntityPlan> entities;
  for (const ast::Script* script : scripts) {
    for (const auto& decl : script->decls) {
      if (decl->kind != ast::DeclKind::Entity) continue;
      EntityPlan plan;
      plan.entity = &ast::as<ast::EntityDecl>(*decl);
      plan.table = &store.addTable(plan.entity->name.text);
      entities.push_back(std::move(plan));
    }
  }
  auto planOf = [&](const ast::EntityDecl* entity) -> EntityPlan* {
    for (auto& plan : entities) {
      if (plan.entity == entity) return &plan;
    }
    return nullptr;
  };
  for (auto& plan : entities) {
    for (const auto& field : plan.entity->fields) {
      FieldPlan fieldPlan = planField(field);
      runtime::Column column;
      column.name = field.name.text;
      column.kind = fieldPlan.kind;
      column.optional = fieldPlan.optional;
      if (fieldPlan.target != nullptr) {
        fieldPlan.targetPlan = planOf(fieldPlan.target);
        column.target = fieldPlan.targetPlan->table;
      }
      if (field.name.text == plan.entity->key.text) {
        plan.table->keyColumn = plan.table->columns.size();
      }
      plan.table->columns.push_back(std::move(column));
      plan.fields.push_back(fieldPlan);
    }
    switch (plan.entity->role) {
      case ast::EntityRole::Customer: store.customers = plan.table; break;
      case ast::EntityRole::Catalog: store.catalog = plan.table; break;
      case ast::EntityRole::Event: store.events = plan.table; break;
      case ast::EntityRole::None: break;
    }
  }

  // Strings of columns never looked up by text may skip deduplication: all
  // but the keys of entities that others reference or list, and the
  // customers' and the catalog's keys.
  for (auto& plan : entities) {
    bool keyLookedUp = plan.entity->role == ast::EntityRole::Customer ||
                       plan.entity->role == ast::EntityRole::Catalog;
    // A parent of child rows looks its key up for every child.
    for (const auto& field : plan.fields) {
      keyLookedUp = keyLookedUp || field.kind == runtime::ColumnKind::Children;
    }
    for (const auto& other : entities) {
      for (const auto& field : other.fields) {
        keyLookedUp = keyLookedUp || field.target == plan.entity;
      }
    }
    for (size_t i = 0; i < plan.table->columns.size(); ++i) {
      if (i != plan.table->keyColumn || !keyLookedUp) {
        plan.table->columns[i].pool.allowAppendOnly();
      }
    }
  }
  return entities;
}

}  // namespace internal

std::vector<std::string> undeclaredSources(const std::vector<const ast::Script*>& scripts,
                                           const LoadOptions& options) {
  std::vector<std::string> names;
  for (const auto& [name, path] : options.sourcePaths) {
    bool declared = false;
    for (const ast::Script* script : scripts) {
      for (const auto& decl : script->decls) {
        declared = declared || (decl->kind == ast::DeclKind::Source && decl->name.text == name);
      }
    }
    if (!declared) names.push_back(name);
  }
  return names;
}

LoadResult loadProgram(const std::vector<const ast::Script*>& scripts,
                       const source::SourceManager& sources, const LoadOptions& options) {
  LoadResult result;
  result.store = std::make_unique<runtime::Store>();
  LoadReport& report = result.report;
  report.maxBadRecords = options.maxBadRecords;
  for (const auto& name : undeclaredSources(scripts, options)) {
    report.errors.push_back("a path is given for the source `" + name +
                            "`, which the script does not declare");
  }
  if (!report.errors.empty()) return result;

  // Tables first, so that references and child lists can point at them.
  std::vector<EntityPlan> entities = internal::planEntities(scripts, *result.store);

  std::vector<SourcePlan> sourcePlans;
  for (const ast::Script* script : scripts) {
    for (const auto& decl : script->decls) {
      if (decl->kind != ast::DeclKind::Source) continue;
      const auto& sourceDecl = ast::as<ast::SourceDecl>(*decl);
      SourcePlan plan;
      plan.decl = &sourceDecl;
      for (auto& entity : entities) {
        if (entity.entity->name.text == sourceDecl.entity.text) plan.entity = &entity;
      }
      plan.format = ast::as<ast::Call>(*sourceDecl.format).function.text;
      plan.path = sourcePath(sourceDecl, sources, options);
      plan.maxTextBytes = options.maxTextBytes;
      if (!planOptions(plan, report)) continue;
      // Without a `columns` block every field reads the column of its name.
      if (sourceDecl.columns.empty()) {
        for (size_t i = 0; i < plan.entity->fields.size(); ++i) {
          auto kind = plan.entity->fields[i].kind;
          bool scalar = kind != runtime::ColumnKind::Children &&
                        kind != runtime::ColumnKind::Values &&
                        kind != runtime::ColumnKind::Unfilled;
          if (scalar) {
            plan.bindings.push_back({plan.entity->entity->fields[i].name.text, i, 0, true});
          }
        }
      }
      for (const auto& column : sourceDecl.columns) {
        for (size_t i = 0; i < plan.entity->entity->fields.size(); ++i) {
          if (plan.entity->entity->fields[i].name.text == column.field.text) {
            plan.bindings.push_back({column.column.text, i, 0});
          }
        }
      }
      if (const ast::Property* rowNumber = findOption(sourceDecl, "row_number")) {
        const std::string& name = ast::as<ast::Ident>(*rowNumber->values[0]).name;
        for (size_t i = 0; i < plan.entity->entity->fields.size(); ++i) {
          if (plan.entity->entity->fields[i].name.text == name) plan.rowNumberField = i;
        }
        // The numbered field reads no column.
        auto numbered = [&](const internal::Binding& b) {
          return b.implicit && plan.rowNumberField == b.fieldIndex;
        };
        plan.bindings.erase(std::remove_if(plan.bindings.begin(), plan.bindings.end(), numbered),
                            plan.bindings.end());
      }
      if (const ast::Property* parent = findOption(sourceDecl, "parent")) {
        const std::string& name = ast::as<ast::Ident>(*parent->values[0]).name;
        for (size_t i = 0; i < plan.entity->entity->fields.size(); ++i) {
          if (plan.entity->entity->fields[i].name.text != name) continue;
          // The parent key is one field per entity, whatever the source.
          if (plan.entity->parentField && *plan.entity->parentField != i) {
            report.errors.push_back(
                "source `" + sourceDecl.name.text + "` joins `" + plan.entity->entity->name.text +
                "` to its parent by `" + name + "`, but another source of it uses `" +
                plan.entity->entity->fields[*plan.entity->parentField].name.text +
                "`; every source of one entity names the same parent key");
          }
          plan.entity->parentField = i;
        }
      }
      plan.entity->filled = true;
      sourcePlans.push_back(std::move(plan));
    }
  }
  if (!options.rejectsPath.empty()) {
    std::string input = inputAtRejectsPath(options.rejectsPath, sourcePlans, sources);
    if (!input.empty()) {
      report.errors.push_back("--rejects " + options.rejectsPath + " is " + input +
                              ", which the load reads; give --rejects another path");
    }
  }
  if (!report.errors.empty()) {
    return result;
  }

  // With a rejects file every rejected record is kept to be written out.
  internal::Rejections rejected(options.rejectsPath.empty() ? options.problemsKept : SIZE_MAX);
  for (uint32_t i = 0; i < sourcePlans.size(); ++i) {
    SourcePlan& plan = sourcePlans[i];
    if (plan.format == "csv") {
      internal::readCsvSource(plan, i, report, options, rejected);
    } else if (plan.format == "jsonl") {
      internal::readJsonlSource(plan, i, report, options, rejected);
    } else if (plan.format == "sqlite") {
      internal::readSqliteSource(plan, i, report, options, rejected);
    } else if (plan.format == "postgres") {
      internal::readPostgresSource(plan, i, report, options, rejected);
    }
  }
  if (!report.errors.empty()) {
    return result;
  }
  internal::linkTables(entities, sourcePlans, report, rejected, options.maxListRows);
  for (const auto& plan : entities) {
    if (plan.entity->role == ast::EntityRole::Catalog && !plan.entity->levels.empty()) {
      report.hierarchy = describeHierarchy(*result.store, *plan.entity);
    }
  }

  report.rejectedCount = rejected.size();
  for (size_t i = 0; i < rejected.kept().size() && i < options.problemsKept; ++i) {
    report.problems.push_back(rejected.kept()[i]);
  }
  // Written on every successful load, so that a file from an earlier run
  // never passes for this run's.
  if (!options.rejectsPath.empty() && report.ok()) {
    writeRejects(options.rejectsPath, rejected.kept(), report);
  }
  return result;
}

HierarchyStats describeHierarchy(const runtime::Store& store, const ast::EntityDecl& catalog) {
  std::vector<std::string> levels;
  for (const auto& level : catalog.levels) levels.push_back(level.text);
  // The same entry that the recommendation functions read, so that it is
  // built once (stdlib/recommendation_index.cpp).
  auto built = std::static_pointer_cast<const runtime::Hierarchy>(
      store.derived("hierarchy", [&]() -> std::shared_ptr<const void> {
        return std::make_shared<const runtime::Hierarchy>(*store.catalog, levels);
      }));
  HierarchyStats stats;
  stats.conflictsPerLevel.assign(levels.size(), 0);
  for (size_t i = 0; i < levels.size(); ++i) {
    size_t nodes = 0;
    for (uint32_t node = 0; node < built->nodeCount(i); ++node) {
      if (!built->productsOf(i, node).empty()) ++nodes;
    }
    stats.levels.emplace_back(levels[i], nodes);
  }
  for (const auto& conflict : built->conflicts()) {
    ++stats.conflictsPerLevel[conflict.level];
    if (stats.examples.size() < kHierarchyExamples) stats.examples.push_back(conflict);
  }
  return stats;
}

}  // namespace crm::load
