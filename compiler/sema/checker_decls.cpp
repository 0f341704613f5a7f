// Declarations: collecting names, resolving the schema, and the domain rules
// of sources, triggers, recommendations, channels, campaigns, pressure
// policies and tests.
#include <algorithm>
#include <map>

#include "compiler/sema/checker.h"

namespace crm::sema::internal {

using ast::Type;
using ast::TypeKind;

namespace {

std::string quoted(const Type* type) { return "`" + ast::toString(type) + "`"; }

template <typename Items, typename NameOf>
std::vector<std::string> namesOf(const Items& items, NameOf nameOf) {
  std::vector<std::string> names;
  for (const auto& item : items) names.push_back(nameOf(item));
  return names;
}

void suggest(diag::Diagnostic& diagnostic, const std::string& name,
             const std::vector<std::string>& candidates) {
  if (auto suggestion = diag::closestMatch(name, candidates)) {
    diagnostic.withHelp("did you mean `" + *suggestion + "`?");
  }
}

}  // namespace

void Checker::run() {
  collectDeclarations();
  resolveSchema();
  for (ast::Script* script : program_.scripts) {
    for (auto& decl : script->decls) {
      checkDeclaration(*decl);
    }
  }
  lintUnreachableCampaigns();
  program_.used.insert(used_.begin(), used_.end());
}

void Checker::collectDeclarations() {
  broken_.insert(program_.brokenNames.begin(), program_.brokenNames.end());
  std::map<ast::EntityRole, const ast::EntityDecl*> roles;
  for (ast::Script* script : program_.scripts) {
    for (auto& decl : script->decls) {
      if (decl->kind == ast::DeclKind::Campaign) {
        for (const auto& property : ast::as<ast::CampaignDecl>(*decl).properties) {
          if (property.name.text == "group" && property.values.size() == 1 &&
              property.values[0]->kind == ast::ExprKind::Ident) {
            groups_.insert(ast::as<ast::Ident>(*property.values[0]).name);
          }
        }
      }
      if (decl->kind == ast::DeclKind::Import || decl->kind == ast::DeclKind::Test ||
          decl->kind == ast::DeclKind::Pressure) {
        continue;
      }
      auto [it, inserted] = globals_.emplace(decl->name.text, decl.get());
      if (!inserted) {
        program_.duplicates.insert(decl.get());
        diagnostics_.report(diag::Code::E0101, decl->name.range,
                            "`" + decl->name.text + "` is declared twice")
            .note(it->second->name.range, std::string("first declared here as a ") +
                                              ast::spelling(it->second->kind))
            .withHelp("rename one of the declarations");
        continue;
      }
      if (decl->kind != ast::DeclKind::Entity) continue;
      const auto& entity = ast::as<ast::EntityDecl>(*decl);
      if (entity.role == ast::EntityRole::None) continue;
      auto [roleIt, fresh] = roles.emplace(entity.role, &entity);
      if (!fresh) {
        const char* role = entity.role == ast::EntityRole::Customer ? "customer"
                           : entity.role == ast::EntityRole::Catalog ? "catalog"
                                                                     : "event";
        diagnostics_.report(diag::Code::E0111, entity.name.range,
                            std::string("a second ") + role + " entity `" + entity.name.text +
                                "`; a script and its imports have one")
            .note(roleIt->second->name.range, "the first is declared here");
        continue;
      }
      if (entity.role == ast::EntityRole::Customer) customer_ = &entity;
      if (entity.role == ast::EntityRole::Catalog) catalog_ = &entity;
      if (entity.role == ast::EntityRole::Event) event_ = &entity;
    }
  }
}

const Type* Checker::resolveType(const ast::TypeRef& ref) {
  static const std::map<std::string, TypeKind> kScalars = {
      {"bool", TypeKind::Bool},         {"int", TypeKind::Int},
      {"double", TypeKind::Double},     {"decimal", TypeKind::Decimal},
      {"string", TypeKind::String},     {"date", TypeKind::Date},
      {"timestamp", TypeKind::Timestamp}, {"duration", TypeKind::Duration}};
  const std::string& name = ref.name.text;
  const Type* result = nullptr;
  auto expectArguments = [&](size_t count) {
    if (ref.arguments.size() == count) return true;
    diagnostics_.report(diag::Code::E0208, ref.range,
                        "`" + name + "` takes " + std::to_string(count) + " type argument" +
                            (count == 1 ? "" : "s") + ", not " +
                            std::to_string(ref.arguments.size()));
    return false;
  };
  if (auto scalar = kScalars.find(name); scalar != kScalars.end()) {
    if (!expectArguments(0)) return types_.error();
    result = types_.scalar(scalar->second);
  } else if (name == "list" || name == "set") {
    if (!expectArguments(1)) return types_.error();
    const Type* element = resolveType(ref.arguments[0]);
    if (element->isError()) return element;
    result = name == "list" ? types_.list(element) : types_.set(element);
  } else if (name == "map") {
    if (!expectArguments(2)) return types_.error();
    const Type* key = resolveType(ref.arguments[0]);
    const Type* value = resolveType(ref.arguments[1]);
    if (key->isError() || value->isError()) return types_.error();
    if (!key->is(TypeKind::String) && !key->is(TypeKind::Int) && !key->is(TypeKind::Bool) &&
        !key->is(TypeKind::Enum)) {
      diagnostics_.report(diag::Code::E0208, ref.arguments[0].range,
                          "map keys must be string, int, bool or an enum, not " + quoted(key));
      return types_.error();
    }
    result = types_.map(key, value);
  } else {
    auto global = globals_.find(name);
    bool isType = global != globals_.end() && (global->second->kind == ast::DeclKind::Enum ||
                                               global->second->kind == ast::DeclKind::Record ||
                                               global->second->kind == ast::DeclKind::Entity);
    if (!isType) {
      if (broken_.count(name) != 0) return types_.error();
      auto& diagnostic =
          diagnostics_.report(diag::Code::E0103, ref.name.range, "unknown type `" + name + "`");
      std::vector<std::string> candidates = {"bool", "int",  "double", "decimal", "string",
                                             "date", "timestamp", "duration", "list", "set", "map"};
      for (const auto& [globalName, decl] : globals_) {
        if (decl->kind == ast::DeclKind::Enum || decl->kind == ast::DeclKind::Record ||
            decl->kind == ast::DeclKind::Entity) {
          candidates.push_back(globalName);
        }
      }
      suggest(diagnostic, name, candidates);
      return types_.error();
    }
    if (!expectArguments(0)) return types_.error();
    TypeKind kind = global->second->kind == ast::DeclKind::Enum     ? TypeKind::Enum
                    : global->second->kind == ast::DeclKind::Record ? TypeKind::Record
                                                                    : TypeKind::Entity;
    result = types_.named(kind, global->second);
  }
  return ref.optional ? types_.optional(result) : result;
}

void Checker::resolveSchema() {
  for (ast::Script* script : program_.scripts) {
    for (auto& decl : script->decls) {
      if (decl->kind == ast::DeclKind::Enum) {
        auto& enumDecl = ast::as<ast::EnumDecl>(*decl);
        std::map<std::string, const ast::Name*> seen;
        for (const auto& value : enumDecl.values) {
          auto [it, inserted] = seen.emplace(value.text, &value);
          if (!inserted) {
            diagnostics_.report(diag::Code::E0109, value.range,
                                "enum value `" + value.text + "` is listed twice")
                .note(it->second->range, "first listed here");
          }
        }
      }
      if (decl->kind == ast::DeclKind::Record || decl->kind == ast::DeclKind::Entity) {
        auto& record = ast::as<ast::RecordDecl>(*decl);
        std::map<std::string, const ast::Name*> seen;
        for (auto& field : record.fields) {
          field.type = resolveType(field.typeRef);
          auto [it, inserted] = seen.emplace(field.name.text, &field.name);
          if (!inserted) {
            diagnostics_.report(diag::Code::E0109, field.name.range,
                                "field `" + field.name.text + "` is declared twice in `" +
                                    record.name.text + "`")
                .note(it->second->range, "first declared here");
          }
        }
      }
      if (decl->kind == ast::DeclKind::Recommend) {
        auto& recommend = ast::as<ast::RecommendDecl>(*decl);
        for (auto& param : recommend.params) {
          param.type = resolveType(param.typeRef);
        }
        recommend.resultType = resolveType(recommend.resultRef);
      }
    }
  }
  for (ast::Script* script : program_.scripts) {
    for (auto& decl : script->decls) {
      if (decl->kind != ast::DeclKind::Entity) continue;
      auto& entity = ast::as<ast::EntityDecl>(*decl);
      const ast::FieldDecl* key = entity.field(entity.key.text);
      if (key == nullptr) {
        auto& diagnostic = diagnostics_.report(
            diag::Code::E0110, entity.key.range,
            "key `" + entity.key.text + "` is not a field of `" + entity.name.text + "`");
        suggest(diagnostic, entity.key.text,
                namesOf(entity.fields, [](const auto& f) { return f.name.text; }));
      } else if (key->type != nullptr && !key->type->isError() &&
                 !key->type->is(TypeKind::String) && !key->type->is(TypeKind::Int)) {
        diagnostics_.report(diag::Code::E0110, entity.key.range,
                            "key `" + entity.key.text + "` must be a required string or int "
                            "field, not " + quoted(key->type));
      }
      if (!entity.levels.empty() && entity.role != ast::EntityRole::Catalog) {
        diagnostics_.report(diag::Code::E0115, entity.levels.front().range,
                            "`levels` applies only to the catalog entity")
            .withHelp("write `catalog entity " + entity.name.text + " ...`");
      }
      for (const auto& level : entity.levels) {
        const ast::FieldDecl* field = entity.field(level.text);
        if (field == nullptr) {
          auto& diagnostic = diagnostics_.report(
              diag::Code::E0115, level.range,
              "catalog level `" + level.text + "` is not a field of `" + entity.name.text + "`");
          suggest(diagnostic, level.text,
                  namesOf(entity.fields, [](const auto& f) { return f.name.text; }));
        } else if (field->type != nullptr && !field->type->isError() &&
                   !field->type->unwrapped()->is(TypeKind::String)) {
          diagnostics_.report(diag::Code::E0115, level.range,
                              "catalog level `" + level.text + "` must be a string field, not " +
                                  quoted(field->type));
        }
      }
    }
  }
}

// Reports the cycle that closes at `decl`, which is on the dependency stack.
void Checker::reportCycle(const ast::Decl& decl) {
    auto start = std::find(dependencyStack_.begin(), dependencyStack_.end(), &decl);
    // A long cycle is shown by its first members only.
    constexpr ptrdiff_t kShown = 8;
    std::string cycle;
    ptrdiff_t length = dependencyStack_.end() - start;
    for (auto it = start; it != dependencyStack_.end() && it - start < kShown; ++it) {
      cycle += "`" + (*it)->name.text + "` -> ";
    }
    if (length > kShown) cycle += "... (" + std::to_string(length - kShown) + " more) -> ";
    cycle += "`" + decl.name.text + "`";
    auto& diagnostic = diagnostics_.report(diag::Code::E0105, decl.name.range,
                                           "`" + decl.name.text + "` depends on itself: " + cycle);
    for (auto it = start + 1; it != dependencyStack_.end() && it - start < kShown; ++it) {
      diagnostic.note((*it)->name.range, "`" + (*it)->name.text + "` is part of the cycle");
    }
    diagnostic.withHelp("break the cycle: a segment, let or recommendation cannot use its own "
                        "value");
}

// The type of a segment or let, checking its body on first use. A use while
// its own body is being checked is a cycle.
const Type* Checker::valueTypeOf(const ast::Decl& decl) {
  auto state = states_.find(&decl);
  if (state != states_.end() && state->second == State::Done) {
    return valueTypes_.at(&decl);
  }
  if (state != states_.end() && state->second == State::Checking) {
    reportCycle(decl);
    return types_.error();
  }
  states_[&decl] = State::Checking;
  dependencyStack_.push_back(&decl);
  // A body is checked outside any macro or trigger scope of the use site.
  std::vector<Variable> savedVariables;
  savedVariables.swap(variables_);
  std::vector<std::string> savedNarrowed;
  savedNarrowed.swap(narrowed_);
  const ast::RecordDecl* savedElement = implicitElement_;
  implicitElement_ = nullptr;

  const Type* type = types_.error();
  auto& mutableDecl = const_cast<ast::Decl&>(decl);
  if (decl.kind == ast::DeclKind::Segment) {
    auto& segment = ast::as<ast::SegmentDecl>(mutableDecl);
    checkRequiredBool(*segment.condition, "segment `" + segment.name.text + "`");
    type = types_.boolean();
  } else {
    auto& let = ast::as<ast::LetDecl>(mutableDecl);
    // The annotation types the value, so `let t: Tier = gold` and record
    // literals resolve against it.
    const Type* declared = let.typeRef ? resolveType(*let.typeRef) : nullptr;
    type = check(*let.value, declared);
    if (declared != nullptr && !declared->isError()) {
      requireAssignable(*let.value, declared, "let `" + let.name.text + "`");
      type = declared;
    }
  }

  implicitElement_ = savedElement;
  narrowed_.swap(savedNarrowed);
  variables_.swap(savedVariables);
  dependencyStack_.pop_back();
  states_[&decl] = State::Done;
  valueTypes_[&decl] = type;
  return type;
}

void Checker::checkRequiredBool(ast::Expr& expr, const std::string& what) {
  const Type* type = check(expr);
  if (type->isError() || type->is(TypeKind::Bool)) return;
  auto& diagnostic = diagnostics_.report(diag::Code::E0201, expr.range,
                                         what + " must be a bool condition, not " + quoted(type));
  if (type->isOptional() && type->unwrapped()->is(TypeKind::Bool)) {
    diagnostic.withHelp("give a default with `?? false`");
  } else if (type->isCollection()) {
    diagnostic.withHelp("test the collection, such as `.size() > 0` or `.exists(x, ...)`");
  }
}

void Checker::checkDurationWindow(ast::Expr& expr, const std::string& what) {
  const Type* type = check(expr);
  if (type->isError()) return;
  if (!type->is(TypeKind::Duration)) {
    diagnostics_.report(diag::Code::E0303, expr.range,
                        what + " must be a duration such as 7d or 2h, not " + quoted(type));
    return;
  }
  bool negated = expr.kind == ast::ExprKind::Unary &&
                 ast::as<ast::Unary>(expr).operand->kind == ast::ExprKind::Literal;
  if (negated || (expr.kind == ast::ExprKind::Literal &&
                  ast::as<ast::Literal>(expr).intValue <= 0)) {
    diagnostics_.report(diag::Code::E0303, expr.range, what + " must be longer than zero");
  }
}

void Checker::checkDeclaration(ast::Decl& decl) {
  switch (decl.kind) {
    case ast::DeclKind::Segment:
    case ast::DeclKind::Let:
      valueTypeOf(decl);
      break;
    case ast::DeclKind::Source: checkSource(ast::as<ast::SourceDecl>(decl)); break;
    case ast::DeclKind::Trigger: checkTrigger(ast::as<ast::TriggerDecl>(decl)); break;
    case ast::DeclKind::Recommend: ensureRecommendChecked(ast::as<ast::RecommendDecl>(decl)); break;
    case ast::DeclKind::Channel: checkChannel(ast::as<ast::ChannelDecl>(decl)); break;
    case ast::DeclKind::Campaign: checkCampaign(ast::as<ast::CampaignDecl>(decl)); break;
    case ast::DeclKind::Pressure: checkPressure(ast::as<ast::PressureDecl>(decl)); break;
    case ast::DeclKind::Test: checkTest(ast::as<ast::TestDecl>(decl)); break;
    default: break;
  }
}

// --------------------------------------------------------------- properties

namespace {

enum class ValueKind { Bool, Int, Number, String, StringList, Name, Names, Duration, TimeRange,
                       Rate, Any };

struct PropertySpec {
  const char* name;
  ValueKind kind;
  bool required = false;
};

}  // namespace

// Checks the properties of a block against its specification: unknown and
// duplicate names, missing required ones, and the form of each value. Returns
// the properties by name for the block's own rules.
static std::map<std::string, ast::Property*> checkProperties(
    Checker& checker, std::vector<ast::Property>& properties, const std::vector<PropertySpec>& specs,
    const std::string& block, ast::SourceRange blockName) {
  std::map<std::string, ast::Property*> found;
  std::vector<std::string> known;
  for (const auto& spec : specs) known.emplace_back(spec.name);
  for (auto& property : properties) {
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const PropertySpec& s) {
      return property.name.text == s.name;
    });
    if (spec == specs.end()) {
      auto& diagnostic = checker.diagnostics_.report(
          diag::Code::E0113, property.name.range,
          block + " has no property `" + property.name.text + "`");
      if (auto suggestion = diag::closestMatch(property.name.text, known)) {
        diagnostic.withHelp("did you mean `" + *suggestion + "`?");
      } else {
        std::string list;
        for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
        diagnostic.withHelp("the properties are: " + list);
      }
      for (auto& value : property.values) checker.check(*value);
      continue;
    }
    auto [it, inserted] = found.emplace(property.name.text, &property);
    if (!inserted) {
      checker.diagnostics_.report(diag::Code::E0109, property.name.range,
                                  "property `" + property.name.text + "` is given twice")
          .note(it->second->name.range, "first given here");
      continue;
    }
    bool formOk = true;
    switch (spec->kind) {
      case ValueKind::TimeRange: formOk = property.form == ast::PropertyForm::TimeRange; break;
      case ValueKind::Rate: formOk = property.form == ast::PropertyForm::Rate; break;
      case ValueKind::Names: formOk = property.form == ast::PropertyForm::Expressions; break;
      default:
        formOk = property.form == ast::PropertyForm::Expressions && property.values.size() == 1;
        break;
    }
    if (!formOk) {
      const char* shape = spec->kind == ValueKind::TimeRange ? "a time range such as 21:00..08:00"
                          : spec->kind == ValueKind::Rate    ? "a rate such as 200 per day"
                                                             : "one value";
      checker.diagnostics_.report(diag::Code::E0308, property.range,
                                  "property `" + property.name.text + "` takes " + shape);
      continue;
    }
    if (spec->kind == ValueKind::Name || spec->kind == ValueKind::Names) {
      for (auto& value : property.values) {
        if (value->kind != ast::ExprKind::Ident) {
          checker.diagnostics_.report(diag::Code::E0308, value->range,
                                      "property `" + property.name.text + "` takes a name");
        }
      }
      continue;
    }
    if (spec->kind == ValueKind::TimeRange || property.values.empty()) continue;
    ast::Expr& value = *property.values[0];
    const Type* type = checker.check(value);
    if (type->isError()) continue;
    std::string what = "property `" + property.name.text + "`";
    switch (spec->kind) {
      case ValueKind::Bool:
        if (!type->is(TypeKind::Bool)) {
          checker.diagnostics_.report(diag::Code::E0201, value.range,
                                      what + " must be bool, not " + quoted(type))
              .withHelp(type->isOptional() ? "give a default with `?? false`" : "");
        }
        break;
      case ValueKind::Int:
      case ValueKind::Rate:
        if (!type->is(TypeKind::Int)) {
          checker.diagnostics_.report(diag::Code::E0201, value.range,
                                      what + " must be an int, not " + quoted(type));
        }
        break;
      case ValueKind::Number:
        if (!type->isNumeric()) {
          checker.diagnostics_.report(diag::Code::E0201, value.range,
                                      what + " must be a number, not " + quoted(type));
        }
        break;
      case ValueKind::String:
        if (!type->is(TypeKind::String)) {
          checker.diagnostics_.report(diag::Code::E0201, value.range,
                                      what + " must be a string, not " + quoted(type));
        }
        break;
      case ValueKind::StringList:
        if (!(type->is(TypeKind::List) &&
              (type->element->is(TypeKind::String) || type->element->is(TypeKind::Null)))) {
          checker.diagnostics_.report(diag::Code::E0201, value.range,
                                      what + " must be a list of strings, not " + quoted(type));
        }
        break;
      case ValueKind::Duration:
        checker.checkDurationWindow(value, what);
        break;
      default:
        break;
    }
  }
  for (const auto& spec : specs) {
    if (spec.required && found.count(spec.name) == 0) {
      checker.diagnostics_.report(diag::Code::E0114, blockName,
                                  block + " lacks the required property `" +
                                      std::string(spec.name) + "`");
    }
  }
  return found;
}

// ------------------------------------------------------------------ sources

void Checker::checkSource(ast::SourceDecl& decl) {
  auto global = globals_.find(decl.entity.text);
  const ast::EntityDecl* entity = nullptr;
  if (global != globals_.end() && global->second->kind == ast::DeclKind::Entity) {
    entity = &ast::as<ast::EntityDecl>(*global->second);
  } else if (broken_.count(decl.entity.text) == 0) {
    auto& diagnostic = diagnostics_.report(
        diag::Code::E0103, decl.entity.range,
        "source `" + decl.name.text + "` fills `" + decl.entity.text + "`, which is not an entity");
    std::vector<std::string> entities;
    for (const auto& [name, d] : globals_) {
      if (d->kind == ast::DeclKind::Entity) entities.push_back(name);
    }
    suggest(diagnostic, decl.entity.text, entities);
  }

  // The format: csv(path), jsonl(path), sqlite(path, query), postgres(conninfo, query).
  static const std::map<std::string, size_t> kFormats = {
      {"csv", 1}, {"jsonl", 1}, {"sqlite", 2}, {"postgres", 2}};
  bool formatOk = decl.format->kind == ast::ExprKind::Call &&
                  ast::as<ast::Call>(*decl.format).target == nullptr;
  std::string format;
  if (formatOk) {
    auto& call = ast::as<ast::Call>(*decl.format);
    format = call.function.text;
    auto known = kFormats.find(format);
    formatOk = known != kFormats.end() && call.arguments.size() == known->second;
    for (auto& argument : call.arguments) {
      bool isString = argument->kind == ast::ExprKind::Literal &&
                      ast::as<ast::Literal>(*argument).literalKind == ast::LiteralKind::String;
      argument->type = types_.string();
      formatOk = formatOk && isString;
    }
  }
  if (!formatOk) {
    std::string found = format.empty() ? "this expression" : "`" + format + "(...)`";
    diagnostics_.report(diag::Code::E0306, decl.format->range,
                        "source `" + decl.name.text + "` reads " + found +
                            ", which is not a known format")
        .withHelp("a source reads csv(\"path\"), jsonl(\"path\"), sqlite(\"path\", \"query\") "
                  "or postgres(\"conninfo\", \"query\"), with string literals");
  }

  static const std::vector<PropertySpec> kOptions = {
      {"header", ValueKind::Bool},          {"separator", ValueKind::String},
      {"quote", ValueKind::String},         {"decimal_separator", ValueKind::String},
      {"date_format", ValueKind::String},   {"timestamp_format", ValueKind::String},
      {"time_zone", ValueKind::String},     {"null_values", ValueKind::StringList},
      {"parent", ValueKind::Name},          {"table", ValueKind::String},
      {"row_number", ValueKind::Name},
  };
  auto options = checkProperties(*this, decl.options, kOptions, "a source",
                                 decl.name.range);
  if (auto separator = options.find("separator"); separator != options.end()) {
    auto& value = *separator->second->values[0];
    if (value.kind == ast::ExprKind::Literal) {
      const std::string& text = ast::as<ast::Literal>(value).text;
      if (text != "," && text != ";" && text != "\t" && text != "|") {
        diagnostics_.report(diag::Code::E0306, value.range,
                            "separator must be \",\", \";\", \"|\" or \"\\t\"");
      }
    }
  }
  if (auto point = options.find("decimal_separator"); point != options.end()) {
    auto& value = *point->second->values[0];
    if (value.kind == ast::ExprKind::Literal) {
      const std::string& text = ast::as<ast::Literal>(value).text;
      if (text != "." && text != ",") {
        diagnostics_.report(diag::Code::E0306, value.range,
                            "decimal_separator must be \".\" or \",\"");
      }
    }
  }
  if (entity == nullptr) return;
  if (auto parent = options.find("parent"); parent != options.end()) {
    auto& value = *parent->second->values[0];
    if (value.kind == ast::ExprKind::Ident &&
        entity->field(ast::as<ast::Ident>(value).name) == nullptr) {
      diagnostics_.report(diag::Code::E0304, value.range,
                          "parent key `" + ast::as<ast::Ident>(value).name +
                              "` is not a field of `" + entity->name.text + "`");
    }
  }

  // `row_number: FIELD` fills a key for files without one: the record's
  // position among the data records, from 1.
  if (auto rowNumber = options.find("row_number"); rowNumber != options.end()) {
    auto& value = *rowNumber->second->values[0];
    if (value.kind == ast::ExprKind::Ident) {
      const std::string& name = ast::as<ast::Ident>(value).name;
      const ast::FieldDecl* field = entity->field(name);
      if (field == nullptr) {
        diagnostics_.report(diag::Code::E0304, value.range,
                            "row_number field `" + name + "` is not a field of `" +
                                entity->name.text + "`");
      } else if (field->type != nullptr && !field->type->isError() &&
                 !field->type->unwrapped()->is(TypeKind::Int) &&
                 !field->type->unwrapped()->is(TypeKind::String)) {
        diagnostics_.report(diag::Code::E0305, value.range,
                            "row_number fills an int or string field, not " +
                                quoted(field->type));
      }
    }
  }

  std::map<std::string, const ast::ColumnBinding*> bound;
  for (auto& column : decl.columns) {
    const ast::FieldDecl* field = entity->field(column.field.text);
    if (field == nullptr) {
      auto& diagnostic = diagnostics_.report(
          diag::Code::E0304, column.field.range,
          "`" + entity->name.text + "` has no field `" + column.field.text + "` to fill");
      diagnostic.note(entity->name.range, "`" + entity->name.text + "` is declared here");
      suggest(diagnostic, column.field.text,
              namesOf(entity->fields, [](const auto& f) { return f.name.text; }));
      continue;
    }
    auto [it, inserted] = bound.emplace(column.field.text, &column);
    if (!inserted) {
      diagnostics_.report(diag::Code::E0109, column.field.range,
                          "field `" + column.field.text + "` is bound twice")
          .note(it->second->field.range, "first bound here");
      continue;
    }
    const Type* fieldType = field->type;
    if (fieldType == nullptr || fieldType->isError()) continue;
    const Type* want = fieldType->unwrapped();
    if (want->isCollection() || want->is(TypeKind::Record)) {
      diagnostics_.report(diag::Code::E0305, column.range,
                          "field `" + column.field.text + "` is " + quoted(fieldType) +
                              "; lists and records are filled by their own source")
          .withHelp("declare a source for the child entity with `parent: ...`");
      continue;
    }
    if (!column.typeRef) continue;
    const Type* columnType = resolveType(*column.typeRef);
    if (columnType->isError()) continue;
    // A column fills a field of its own type; an optional column fills only
    // an optional field, and an entity reference is read as its key.
    bool compatible = columnType == fieldType || columnType == want ||
                      (fieldType->isOptional() && columnType->unwrapped() == want);
    if (want->is(TypeKind::Entity)) {
      const auto& target = ast::as<ast::EntityDecl>(*want->decl);
      const ast::FieldDecl* key = target.field(target.key.text);
      compatible = compatible || (key != nullptr && key->type == columnType->unwrapped());
    }
    if (!compatible) {
      diagnostics_.report(diag::Code::E0305, column.typeRef->range,
                          "column `" + column.column.text + "` is read as " + quoted(columnType) +
                              " but field `" + column.field.text + "` is " + quoted(fieldType))
          .note(field->name.range, "the field is declared here");
    }
  }
}

// ------------------------------------------------------------------ triggers

// The element type of a trigger's stream: `event` is the event entity; any
// other name is a list field of the customer entity.
const Type* Checker::streamElement(const ast::Name& stream) {
  if (stream.text == "event") {
    if (event_ == nullptr) {
      diagnostics_.report(diag::Code::E0108, stream.range,
                          "`event` is used but no event entity is declared")
          .withHelp("declare one with `event entity NAME key FIELD { ... }`");
      return types_.error();
    }
    return types_.named(TypeKind::Entity, event_);
  }
  if (customer_ == nullptr) {
    diagnostics_.report(diag::Code::E0108, stream.range,
                        "a trigger on `" + stream.text + "` needs a customer entity")
        .withHelp("declare one with `customer entity NAME key FIELD { ... }`");
    return types_.error();
  }
  const ast::FieldDecl* field = customer_->field(stream.text);
  std::vector<std::string> streams = {"event"};
  for (const auto& f : customer_->fields) {
    if (f.type != nullptr && f.type->is(TypeKind::List)) streams.push_back(f.name.text);
  }
  if (field == nullptr || field->type == nullptr || !field->type->is(TypeKind::List) ||
      !(field->type->element->is(TypeKind::Entity) || field->type->element->is(TypeKind::Record))) {
    auto& diagnostic = diagnostics_.report(
        diag::Code::E0307, stream.range,
        "a trigger fires on `event` or on a list field of `" + customer_->name.text + "`; `" +
            stream.text + "` is neither");
    suggest(diagnostic, stream.text, streams);
    return types_.error();
  }
  return field->type->element;
}

void Checker::checkTrigger(ast::TriggerDecl& decl) {
  const Type* element = streamElement(decl.stream);
  decl.elementType = element;
  auto withElement = [&](ast::Expr* condition, const Type* type, const std::string& what) {
    // Without a known element the condition's bare field names cannot resolve.
    if (condition == nullptr || type->isError()) return;
    implicitElement_ = static_cast<const ast::RecordDecl*>(type->decl);
    checkRequiredBool(*condition, what);
    implicitElement_ = nullptr;
  };
  withElement(decl.onCondition.get(), element,
              "the condition of trigger `" + decl.name.text + "`");
  pushVariable(decl.binder, element);
  if (decl.when) checkRequiredBool(*decl.when, "the `when` condition");
  if (decl.after) checkDurationWindow(*decl.after, "the delay after `after`");
  if (decl.unlessStream) {
    const Type* unlessElement = streamElement(*decl.unlessStream);
    withElement(decl.unlessCondition.get(), unlessElement, "the `unless` condition");
    checkDurationWindow(*decl.unlessWindow, "the `unless ... within` window");
  }
  popVariable();
}

// ------------------------------------------------------------- recommend

// Checks a recommendation's body once, on its first call or declaration, in
// a scope of its own; a call back into a recommendation being checked (also
// through segments and lets) is a cycle.
void Checker::ensureRecommendChecked(ast::RecommendDecl& decl) {
  auto state = states_.find(&decl);
  if (state != states_.end() && state->second == State::Done) return;
  if (state != states_.end() && state->second == State::Checking) {
    reportCycle(decl);
    return;
  }
  states_[&decl] = State::Checking;
  dependencyStack_.push_back(&decl);
  std::vector<Variable> savedVariables;
  savedVariables.swap(variables_);
  std::vector<std::string> savedNarrowed;
  savedNarrowed.swap(narrowed_);
  const ast::RecordDecl* savedElement = implicitElement_;
  implicitElement_ = nullptr;
  checkRecommend(decl);
  implicitElement_ = savedElement;
  narrowed_.swap(savedNarrowed);
  variables_.swap(savedVariables);
  dependencyStack_.pop_back();
  states_[&decl] = State::Done;
}

void Checker::checkRecommend(ast::RecommendDecl& decl) {
  const Type* result = decl.resultType;
  if (result != nullptr && !result->isError()) {
    bool isOffer = result->is(TypeKind::List) && result->element->is(TypeKind::Entity) &&
                   catalog_ != nullptr && result->element->decl == catalog_;
    if (catalog_ == nullptr) {
      diagnostics_.report(diag::Code::E0108, decl.resultRef.range,
                          "a recommendation returns catalog items, but no catalog entity is "
                          "declared")
          .withHelp("declare one with `catalog entity NAME key FIELD { ... }`");
    } else if (!isOffer) {
      diagnostics_.report(diag::Code::E0301, decl.resultRef.range,
                          "recommendation `" + decl.name.text + "` must return `list<" +
                              catalog_->name.text + ">`, not " + quoted(result));
    }
  }
  std::map<std::string, const ast::Name*> seenParams;
  for (auto& param : decl.params) {
    auto [previous, fresh] = seenParams.emplace(param.name.text, &param.name);
    if (!fresh) {
      diagnostics_.report(diag::Code::E0109, param.name.range,
                          "parameter `" + param.name.text + "` is declared twice")
          .note(previous->second->range, "first declared here");
    }
    if (param.defaultValue) {
      check(*param.defaultValue, param.type);
      if (param.type != nullptr) {
        requireAssignable(*param.defaultValue, param.type,
                          "the default of `" + param.name.text + "`");
      }
    }
    pushVariable(param.name, param.type != nullptr ? param.type : types_.error());
  }
  check(*decl.body, result);
  if (result != nullptr && !result->isError()) {
    requireAssignable(*decl.body, result, "the body of `" + decl.name.text + "`");
  }
  for (size_t i = 0; i < decl.params.size(); ++i) popVariable();
}

// ------------------------------------------------------------------ channels

void Checker::checkChannel(ast::ChannelDecl& decl) {
  static const std::vector<PropertySpec> kSpecs = {
      {"reachable", ValueKind::Bool, true}, {"quiet", ValueKind::TimeRange},
      {"send_window", ValueKind::TimeRange}, {"capacity", ValueKind::Rate},
      {"cost", ValueKind::Number},           {"time_zone", ValueKind::String},
  };
  auto found = checkProperties(*this, decl.properties, kSpecs, "channel `" + decl.name.text + "`",
                               decl.name.range);
  if (auto capacity = found.find("capacity"); capacity != found.end()) {
    const ast::Expr& count = *capacity->second->values[0];
    bool negative = count.kind == ast::ExprKind::Unary ||
                    (count.kind == ast::ExprKind::Literal &&
                     ast::as<ast::Literal>(count).intValue < 0);
    if (negative) {
      diagnostics_.report(diag::Code::E0308, count.range, "a capacity cannot be negative");
    }
    const ast::Name& unit = capacity->second->unit;
    if (unit.text != "day" && unit.text != "hour" && unit.text != "week") {
      diagnostics_.report(diag::Code::E0308, unit.range,
                          "capacity is counted per day, hour or week, not per `" + unit.text + "`");
    }
  }
}

// ----------------------------------------------------------------- campaigns

void Checker::checkCampaign(ast::CampaignDecl& decl) {
  static const std::vector<PropertySpec> kSpecs = {
      {"audience", ValueKind::Bool, true}, {"channels", ValueKind::Names, true},
      {"offer", ValueKind::Any},           {"priority", ValueKind::Int},
      {"group", ValueKind::Name},          {"transactional", ValueKind::Bool},
      {"trigger", ValueKind::Name},        {"expected_value", ValueKind::Number},
      {"on_empty_offer", ValueKind::Name}, {"description", ValueKind::String},
  };
  auto found = checkProperties(*this, decl.properties, kSpecs,
                               "campaign `" + decl.name.text + "`", decl.name.range);
  if (auto channels = found.find("channels"); channels != found.end()) {
    std::vector<std::string> declared;
    for (const auto& [name, d] : globals_) {
      if (d->kind == ast::DeclKind::Channel) declared.push_back(name);
    }
    std::sort(declared.begin(), declared.end());
    for (auto& value : channels->second->values) {
      if (value->kind != ast::ExprKind::Ident) continue;
      auto& ident = ast::as<ast::Ident>(*value);
      auto global = globals_.find(ident.name);
      if (global != globals_.end() && global->second->kind == ast::DeclKind::Channel) {
        ident.decl = global->second;
        continue;
      }
      if (broken_.count(ident.name) != 0) continue;
      auto& diagnostic = diagnostics_.report(diag::Code::E0302, ident.range,
                                             "unknown channel `" + ident.name + "`");
      if (auto suggestion = diag::closestMatch(ident.name, declared)) {
        diagnostic.withHelp("did you mean `" + *suggestion + "`?");
      } else if (!declared.empty()) {
        std::string list;
        for (const auto& name : declared) list += (list.empty() ? "`" : ", `") + name + "`";
        diagnostic.withHelp("the declared channels are " + list + "; a new one needs a "
                            "`channel " + ident.name + " { reachable: ... }` declaration");
      } else {
        diagnostic.withHelp("declare it with `channel " + ident.name + " { reachable: ... }`");
      }
    }
  }
  if (auto offer = found.find("offer"); offer != found.end() && offer->second->values.size() == 1) {
    ast::Expr& value = *offer->second->values[0];
    const Type* type = value.type;
    bool isOffer = type != nullptr && type->is(TypeKind::List) &&
                   type->element->is(TypeKind::Entity) && catalog_ != nullptr &&
                   type->element->decl == catalog_;
    if (type != nullptr && !type->isError() && !isOffer) {
      diagnostics_.report(diag::Code::E0301, value.range,
                          "an offer must be a list of catalog items (`list<" +
                              (catalog_ != nullptr ? catalog_->name.text : std::string("Product")) +
                              ">`), not " + quoted(type));
    }
  }
  if (auto trigger = found.find("trigger"); trigger != found.end()) {
    auto& value = *trigger->second->values[0];
    if (value.kind == ast::ExprKind::Ident) {
      const std::string& name = ast::as<ast::Ident>(value).name;
      auto global = globals_.find(name);
      if ((global == globals_.end() || global->second->kind != ast::DeclKind::Trigger) &&
          broken_.count(name) == 0) {
        diagnostics_.report(diag::Code::E0309, value.range, "unknown trigger `" + name + "`");
      }
    }
  }
  if (auto transactional = found.find("transactional"); transactional != found.end()) {
    auto& value = *transactional->second->values[0];
    bool literal = value.kind == ast::ExprKind::Literal &&
                   ast::as<ast::Literal>(value).literalKind == ast::LiteralKind::Bool;
    if (!literal && value.type != nullptr && !value.type->isError()) {
      diagnostics_.report(diag::Code::E0308, value.range,
                          "`transactional` is a property of the campaign, not of a customer: "
                          "write `true` or `false`");
    }
  }
  if (auto empty = found.find("on_empty_offer"); empty != found.end()) {
    auto& value = *empty->second->values[0];
    if (value.kind == ast::ExprKind::Ident) {
      const std::string& name = ast::as<ast::Ident>(value).name;
      if (name != "skip" && name != "send") {
        diagnostics_.report(diag::Code::E0308, value.range,
                            "on_empty_offer is `skip` or `send`, not `" + name + "`");
      }
    }
  }
}

// ------------------------------------------------------------------ pressure

void Checker::checkPressure(ast::PressureDecl& decl) {
  const ast::PressureRule* rankRule = nullptr;
  for (auto& rule : decl.rules) {
    if (rule.kind == ast::PressureRuleKind::Rank) {
      if (rankRule != nullptr) {
        diagnostics_.report(diag::Code::E0109, rule.range,
                            "a pressure policy ranks campaigns once; this is a second `rank by`")
            .note(rankRule->range, "the first `rank by` is here")
            .withHelp("list every key in one rule: `rank by priority desc, expected_value desc`");
      }
      rankRule = &rule;
    }
    if (rule.kind == ast::PressureRuleKind::Cap) {
      const Type* limit = check(*rule.limit);
      if (!limit->isError() && !limit->is(TypeKind::Int)) {
        diagnostics_.report(diag::Code::E0201, rule.limit->range,
                            "a pressure limit must be an int, not " + quoted(limit));
      } else if (rule.limit->kind == ast::ExprKind::Literal &&
                 ast::as<ast::Literal>(*rule.limit).intValue < 0) {
        diagnostics_.report(diag::Code::E0308, rule.limit->range,
                            "a pressure limit cannot be negative");
      }
      if (rule.calendarUnit) {
        const std::string& unit = rule.calendarUnit->text;
        if (unit != "day" && unit != "week" && unit != "month") {
          diagnostics_.report(diag::Code::E0303, rule.calendarUnit->range,
                              "a calendar window is a day, week or month, not `" + unit + "`");
        }
      } else if (rule.window) {
        checkDurationWindow(*rule.window, "a pressure window");
      }
      for (const auto& scope : rule.scopes) {
        if (scope.group) {
          if (groups_.count(scope.name.text) == 0) {
            auto& diagnostic = diagnostics_.report(
                diag::Code::E0309, scope.name.range,
                "no campaign is in group `" + scope.name.text + "`");
            suggest(diagnostic, scope.name.text,
                    std::vector<std::string>(groups_.begin(), groups_.end()));
          }
          continue;
        }
        auto global = globals_.find(scope.name.text);
        if (global == globals_.end() || global->second->kind != ast::DeclKind::Channel) {
          std::vector<std::string> channels;
          for (const auto& [name, d] : globals_) {
            if (d->kind == ast::DeclKind::Channel) channels.push_back(name);
          }
          auto& diagnostic = diagnostics_.report(diag::Code::E0302, scope.name.range,
                                                 "unknown channel `" + scope.name.text + "`");
          suggest(diagnostic, scope.name.text, channels);
        }
      }
    } else if (rule.kind == ast::PressureRuleKind::Rank) {
      static const std::vector<std::string> kKeys = {"priority", "expected_value", "cost"};
      for (const auto& key : rule.rankKeys) {
        if (std::find(kKeys.begin(), kKeys.end(), key.name.text) == kKeys.end()) {
          auto& diagnostic = diagnostics_.report(
              diag::Code::E0308, key.name.range,
              "campaigns rank by priority, expected_value or cost, not `" + key.name.text + "`");
          suggest(diagnostic, key.name.text, kKeys);
        }
      }
    } else {
      for (const auto& name : rule.exempt) {
        auto global = globals_.find(name.text);
        bool known = name.text == "transactional" || groups_.count(name.text) != 0 ||
                     (global != globals_.end() && global->second->kind == ast::DeclKind::Campaign);
        if (!known) {
          diagnostics_.report(diag::Code::E0309, name.range,
                              "`" + name.text + "` is not `transactional`, a campaign or a group");
        }
      }
    }
  }
}

// --------------------------------------------------------------------- tests

void Checker::checkTest(ast::TestDecl& decl) {
  auto lookup = [&](const ast::Name& name, ast::DeclKind kind, const char* what) {
    auto global = globals_.find(name.text);
    if (global != globals_.end() && global->second->kind == kind) {
      noteUse(global->second);
      return;
    }
    if (broken_.count(name.text) != 0) return;
    std::vector<std::string> candidates;
    for (const auto& [globalName, d] : globals_) {
      if (d->kind == kind) candidates.push_back(globalName);
    }
    auto& diagnostic = diagnostics_.report(
        kind == ast::DeclKind::Channel ? diag::Code::E0302 : diag::Code::E0309, name.range,
        std::string("unknown ") + what + " `" + name.text + "`");
    suggest(diagnostic, name.text, candidates);
  };
  std::set<std::string> properties;
  bool hasNow = false;
  for (const auto& item : decl.items) {
    hasNow = hasNow || (item.kind == ast::TestItemKind::Property && item.property.name.text == "now");
  }
  if (!hasNow) {
    diagnostics_.report(diag::Code::E0114, decl.name.range,
                        "test " + std::string("\"") + decl.name.text + "\" lacks `now`")
        .withHelp("fix the instant the test runs at, such as `now: 2026-12-01T09:00:00Z`, so "
                  "that it gives the same result every day");
  }
  for (auto& item : decl.items) {
    switch (item.kind) {
      case ast::TestItemKind::Property: {
        auto& property = item.property;
        const std::string& name = property.name.text;
        // `now`, plus inline rows of the tables a customer does not own.
        const ast::EntityDecl* rows = name == "catalog" ? catalog_ : name == "events" ? event_ : nullptr;
        if (name != "now" && name != "catalog" && name != "events") {
          auto& diagnostic = diagnostics_.report(diag::Code::E0113, property.name.range,
                                                 "a test has no property `" + name + "`");
          if (auto suggestion = diag::closestMatch(name, {"now", "catalog", "events"})) {
            diagnostic.withHelp("did you mean `" + *suggestion + "`?");
          } else {
            diagnostic.withHelp("a test sets `now`, `catalog` and `events`; customer data goes "
                                "in a `customer { ... }` block");
          }
          break;
        }
        if (!properties.insert(name).second) {
          diagnostics_.report(diag::Code::E0109, property.name.range,
                              "`" + name + "` is given twice");
          break;
        }
        if (property.form != ast::PropertyForm::Expressions || property.values.size() != 1) {
          diagnostics_.report(diag::Code::E0308, property.range, "`" + name + "` takes one value");
          break;
        }
        ast::Expr& value = *property.values[0];
        if (name != "now") {
          if (rows == nullptr) {
            diagnostics_.report(diag::Code::E0108, property.name.range,
                                "test rows `" + name + "` need a declared " +
                                    (name == "catalog" ? "catalog" : "event") + " entity");
            check(value);
            break;
          }
          const Type* want = types_.list(types_.named(TypeKind::Entity, rows));
          check(value, want);
          requireAssignable(value, want, "`" + name + "`");
          break;
        }
        const Type* type = check(value);
        if (!type->isError() && !type->is(TypeKind::Timestamp)) {
          diagnostics_.report(diag::Code::E0201, value.range,
                              "`now` must be a timestamp such as 2026-12-01T09:00:00Z, not " +
                                  quoted(type));
        } else if (!type->isError() && value.kind != ast::ExprKind::Literal) {
          diagnostics_.report(diag::Code::E0308, value.range,
                              "`now` of a test is a timestamp literal, so that the test gives "
                              "the same result every day");
        }
        break;
      }
      case ast::TestItemKind::Fixture: {
        const ast::EntityDecl* entity = nullptr;
        const std::string& name = item.target.text;
        if (name == "customer") entity = customer_;
        else if (name == "product") entity = catalog_;
        else if (name == "event") entity = event_;
        auto global = globals_.find(name);
        if (entity == nullptr && global != globals_.end() &&
            global->second->kind == ast::DeclKind::Entity) {
          entity = &ast::as<ast::EntityDecl>(*global->second);
        }
        if (entity == nullptr) {
          diagnostics_.report(diag::Code::E0108, item.target.range,
                              "test data `" + name + "` names no declared entity")
              .withHelp("use customer, product, event or an entity's name");
          for (auto& field : item.fields) check(*field.value);
          break;
        }
        std::set<std::string> seen;
        for (auto& field : item.fields) {
          const ast::FieldDecl* declared = entity->field(field.name.text);
          if (declared == nullptr) {
            auto& diagnostic = diagnostics_.report(
                diag::Code::E0104, field.name.range,
                "`" + entity->name.text + "` has no field `" + field.name.text + "`");
            suggest(diagnostic, field.name.text,
                    namesOf(entity->fields, [](const auto& f) { return f.name.text; }));
            check(*field.value);
            continue;
          }
          if (!seen.insert(field.name.text).second) {
            diagnostics_.report(diag::Code::E0109, field.name.range,
                                "field `" + field.name.text + "` is given twice");
          }
          if (declared->type != nullptr && !declared->type->isError()) {
            check(*field.value, declared->type);
            requireAssignable(*field.value, declared->type, "field `" + field.name.text + "`");
          }
        }
        break;
      }
      case ast::TestItemKind::ExpectSend:
      case ast::TestItemKind::ExpectNoSend:
        lookup(item.target, ast::DeclKind::Campaign, "campaign");
        if (item.channel) lookup(*item.channel, ast::DeclKind::Channel, "channel");
        break;
      case ast::TestItemKind::ExpectSegment:
        lookup(item.target, ast::DeclKind::Segment, "segment");
        break;
      case ast::TestItemKind::ExpectOffer: {
        lookup(item.target, ast::DeclKind::Campaign, "campaign");
        const Type* key = nullptr;
        if (catalog_ != nullptr) {
          if (const ast::FieldDecl* field = catalog_->field(catalog_->key.text)) key = field->type;
        }
        const Type* type = check(*item.expr, key);
        if (key != nullptr && !type->isError() && type != key &&
            !(type->is(TypeKind::Entity) && type->decl == catalog_)) {
          diagnostics_.report(diag::Code::E0201, item.expr->range,
                              "an offer holds catalog items: give a product key (" +
                                  quoted(key) + "), not " + quoted(type));
        }
        break;
      }
      case ast::TestItemKind::ExpectExpr:
        checkRequiredBool(*item.expr, "an expectation");
        break;
      case ast::TestItemKind::ExpectError:
        break;
    }
  }
}

}  // namespace crm::sema::internal
