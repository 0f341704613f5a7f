// Test blocks: their `now`, their data and their expectations.
#include <algorithm>
#include <map>

#include "compiler/sema/helpers.h"

namespace crm::sema::internal {

using ast::Type;
using ast::TypeKind;

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
  bool hasExpectation = false;
  for (const auto& item : decl.items) {
    hasNow = hasNow || (item.kind == ast::TestItemKind::Property && item.property.name.text == "now");
    hasExpectation = hasExpectation || (item.kind != ast::TestItemKind::Property &&
                          item.kind != ast::TestItemKind::Fixture);
  }
  if (!hasExpectation) {
    diagnostics_.report(diag::Code::E0114, decl.name.range,
                        "test \"" + decl.name.text + "\" has no expectation, so it cannot fail")
        .withHelp("state the outcome, such as `expect send CAMPAIGN`, `expect no send CAMPAIGN` "
                  "or `expect SEGMENT`");
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
