// Declarations: collecting names, roles and types, resolving the schema, and
// checking segments and lets in dependency order.
#include <algorithm>
#include <map>

#include "compiler/sema/helpers.h"

namespace crm::sema::internal {

using ast::Type;
using ast::TypeKind;

void Checker::run() {
  collectDeclarations();
  resolveSchema();
  for (ast::Script* script : program_.scripts) {
    for (auto& decl : script->decls) {
      checkDeclaration(*decl);
    }
  }
  lintUnreachableCampaigns();
  if (program_.expression != nullptr || !program_.externals.empty()) {
    checkExpressionMode();
  }
  program_.used.insert(used_.begin(), used_.end());
}

void Checker::collectDeclarations() {
  broken_.insert(program_.brokenNames.begin(), program_.brokenNames.end());
  std::map<ast::EntityRole, const ast::EntityDecl*> roles;
  for (ast::Script* script : program_.scripts) {
    // `crm test` and its JUnit file tell a file's tests apart by name.
    std::map<std::string, const ast::Decl*> tests;
    for (auto& decl : script->decls) {
      if (decl->kind == ast::DeclKind::Test) {
        auto [first, fresh] = tests.emplace(decl->name.text, decl.get());
        if (!fresh) {
          diagnostics_.report(diag::Code::E0101, decl->name.range,
                              "test \"" + decl->name.text + "\" is declared twice in this file")
              .note(first->second->name.range, "first declared here")
              .withHelp("rename one of the tests, so that reports tell them apart");
        }
      }
      if (decl->kind == ast::DeclKind::Campaign) {
        for (const auto& property : ast::as<ast::CampaignDecl>(*decl).properties) {
          if (property.name.text == "group" && property.values.size() == 1 &&
              property.values[0]->kind == ast::ExprKind::Ident) {
            groups_.insert(ast::as<ast::Ident>(*property.values[0]).name);
          }
        }
      }
      if (decl->kind == ast::DeclKind::Pressure) {
        for (const auto& rule : ast::as<ast::PressureDecl>(*decl).rules) {
          for (const auto& scope : rule.scopes) {
            if (scope.group) cappedGroups_.insert(scope.name.text);
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
  } else if (celTypeNames_ && (name == "dyn" || name == "null_type")) {
    if (!expectArguments(0)) return types_.error();
    result = name == "dyn" ? types_.dyn() : types_.null();
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
        !key->is(TypeKind::Enum) && !key->isDyn()) {
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
      if (celTypeNames_) {
        candidates.insert(candidates.end(), {"dyn", "null_type"});
      }
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
  SavedScope saved = enterDeclaration(decl);

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

  leaveDeclaration(decl, saved);
  valueTypes_[&decl] = type;
  return type;
}

// Marks `decl` as being checked and sets the use site's scope aside, so
// that its body sees no macro or trigger variable of the use site.
Checker::SavedScope Checker::enterDeclaration(const ast::Decl& decl) {
  states_[&decl] = State::Checking;
  dependencyStack_.push_back(&decl);
  SavedScope saved;
  saved.variables.swap(variables_);
  saved.narrowed.swap(narrowed_);
  saved.implicitElement = implicitElement_;
  implicitElement_ = nullptr;
  saved.cel = cel_;
  cel_ = false;
  return saved;
}

void Checker::leaveDeclaration(const ast::Decl& decl, SavedScope& saved) {
  cel_ = saved.cel;
  implicitElement_ = saved.implicitElement;
  narrowed_.swap(saved.narrowed);
  variables_.swap(saved.variables);
  dependencyStack_.pop_back();
  states_[&decl] = State::Done;
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

}  // namespace crm::sema::internal
