// Sources, triggers and recommendations.
#include <algorithm>
#include <map>

#include "compiler/sema/helpers.h"
#include "runtime/time_zone.h"

namespace crm::sema::internal {

using ast::Type;
using ast::TypeKind;

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
  if (auto quote = options.find("quote"); quote != options.end()) {
    auto& value = *quote->second->values[0];
    if (value.kind == ast::ExprKind::Literal && ast::as<ast::Literal>(value).text.size() > 1) {
      diagnostics_.report(diag::Code::E0306, value.range,
                          "quote must be one ASCII character, or \"\" for none");
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
  if (auto zone = options.find("time_zone"); zone != options.end()) {
    auto& value = *zone->second->values[0];
    if (value.kind == ast::ExprKind::Literal &&
        !runtime::TimeZone::load(ast::as<ast::Literal>(value).text)) {
      diagnostics_.report(diag::Code::E0306, value.range,
                          "unknown time zone \"" + ast::as<ast::Literal>(value).text + "\"")
          .withHelp("use an IANA name such as \"America/New_York\" or \"UTC\"");
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
      } else if (std::any_of(decl.columns.begin(), decl.columns.end(),
                             [&](const ast::ColumnBinding& c) { return c.field.text == name; })) {
        diagnostics_.report(diag::Code::E0109, value.range,
                            "field `" + name + "` is filled by row_number and also bound to a "
                            "column; keep one of them");
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
    // A column fills a field of its own type. An optional column fills only
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
    // The stream is the customer's list of events, which a field declares.
    bool listed = false;
    for (const auto& f : customer_ != nullptr ? customer_->fields : std::vector<ast::FieldDecl>{}) {
      listed = listed || (f.type != nullptr && f.type->is(TypeKind::List) &&
                          f.type->element != nullptr && f.type->element->decl == event_);
    }
    if (customer_ != nullptr && !listed) {
      diagnostics_.report(diag::Code::E0307, stream.range,
                          "a trigger on `event` reads the customer's list of `" +
                              event_->name.text + "`, and `" + customer_->name.text +
                              "` has none")
          .withHelp("add a field such as `events: list<" + event_->name.text + ">` to `" +
                    customer_->name.text + "`, filled by a source with `parent:`");
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
// a scope of its own. A call back into a recommendation that is being
// checked, also through segments and lets, is a cycle.
void Checker::ensureRecommendChecked(ast::RecommendDecl& decl) {
  auto state = states_.find(&decl);
  if (state != states_.end() && state->second == State::Done) return;
  if (state != states_.end() && state->second == State::Checking) {
    reportCycle(decl);
    return;
  }
  SavedScope saved = enterDeclaration(decl);
  checkRecommend(decl);
  leaveDeclaration(decl, saved);
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

}  // namespace crm::sema::internal
