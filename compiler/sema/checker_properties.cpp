// Property blocks and the declarations made of them: channels, campaigns
// and pressure policies.
#include <algorithm>
#include <map>

#include "compiler/sema/helpers.h"
#include "runtime/time_zone.h"

namespace crm::sema::internal {

using ast::Type;
using ast::TypeKind;

std::map<std::string, ast::Property*> checkProperties(
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
      case ValueKind::TimeOfDay: formOk = property.form == ast::PropertyForm::TimeOfDay; break;
      case ValueKind::Rate: formOk = property.form == ast::PropertyForm::Rate; break;
      case ValueKind::Names: formOk = property.form == ast::PropertyForm::Expressions; break;
      default:
        formOk = property.form == ast::PropertyForm::Expressions && property.values.size() == 1;
        break;
    }
    if (!formOk) {
      const char* shape = spec->kind == ValueKind::TimeRange ? "a time range such as 21:00..08:00"
                          : spec->kind == ValueKind::TimeOfDay ? "a time of day such as 14:00"
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
    if (spec->kind == ValueKind::TimeRange || spec->kind == ValueKind::TimeOfDay ||
        property.values.empty()) {
      continue;
    }
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

// ------------------------------------------------------------------ channels

void Checker::checkChannel(ast::ChannelDecl& decl) {
  static const std::vector<PropertySpec> kSpecs = {
      {"reachable", ValueKind::Bool, true}, {"quiet", ValueKind::TimeRange},
      {"send_window", ValueKind::TimeRange}, {"capacity", ValueKind::Rate},
      {"cost", ValueKind::Number},           {"time_zone", ValueKind::String},
      {"send_days", ValueKind::Names},
  };
  auto found = checkProperties(*this, decl.properties, kSpecs, "channel `" + decl.name.text + "`",
                               decl.name.range);
  if (auto days = found.find("send_days"); days != found.end()) {
    static const std::vector<std::string> kDays = {"mon", "tue", "wed", "thu",
                                                   "fri", "sat", "sun"};
    for (const auto& value : days->second->values) {
      if (value->kind != ast::ExprKind::Ident) continue;
      const std::string& day = ast::as<ast::Ident>(*value).name;
      if (std::find(kDays.begin(), kDays.end(), day) == kDays.end()) {
        auto& diagnostic = diagnostics_.report(
            diag::Code::E0308, value->range,
            "`" + day + "` is not a day of the week; write mon, tue, wed, thu, fri, sat or sun");
        suggest(diagnostic, day, kDays);
      }
    }
  }
  if (auto zone = found.find("time_zone"); zone != found.end()) {
    const ast::Expr& value = *zone->second->values[0];
    if (value.kind != ast::ExprKind::Literal ||
        ast::as<ast::Literal>(value).literalKind != ast::LiteralKind::String) {
      diagnostics_.report(diag::Code::E0308, value.range,
                          "a channel's `time_zone` is a string literal such as "
                          "\"America/New_York\"");
    } else if (!runtime::TimeZone::load(ast::as<ast::Literal>(value).text)) {
      diagnostics_.report(diag::Code::E0308, value.range,
                          "unknown time zone \"" + ast::as<ast::Literal>(value).text + "\"")
          .withHelp("use an IANA name such as \"America/New_York\" or \"UTC\"");
    }
  }
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
      {"delay", ValueKind::Duration},      {"send_at", ValueKind::TimeOfDay},
      {"when_quiet", ValueKind::Name},
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
  if (auto quiet = found.find("when_quiet"); quiet != found.end()) {
    auto& value = *quiet->second->values[0];
    if (value.kind == ast::ExprKind::Ident) {
      const std::string& name = ast::as<ast::Ident>(value).name;
      if (name != "defer" && name != "drop") {
        diagnostics_.report(diag::Code::E0308, value.range,
                            "when_quiet is `defer` or `drop`, not `" + name + "`");
      }
    }
  }
  if (auto delay = found.find("delay"); delay != found.end()) {
    const ast::Expr& value = *delay->second->values[0];
    if (value.kind != ast::ExprKind::Literal) {
      diagnostics_.report(diag::Code::E0308, value.range,
                          "a campaign's `delay` is a duration literal such as 15d");
    }
  }
  auto transactional = found.find("transactional");
  bool isTransactional =
      transactional != found.end() && transactional->second->values.size() == 1 &&
      transactional->second->values[0]->kind == ast::ExprKind::Literal &&
      ast::as<ast::Literal>(*transactional->second->values[0]).literalKind ==
          ast::LiteralKind::Bool &&
      ast::as<ast::Literal>(*transactional->second->values[0]).intValue != 0;
  if (isTransactional) {
    // A service message carries no promotion, so it may bypass the
    // marketing pressure rules.
    if (auto offer = found.find("offer"); offer != found.end()) {
      diagnostics_.report(diag::Code::E0308, offer->second->name.range,
                          "a transactional campaign cannot carry an offer")
          .withHelp("make the offer a marketing campaign of its own, or drop "
                    "`transactional: true`");
    }
    if (auto group = found.find("group"); group != found.end() &&
                                          group->second->values.size() == 1 &&
                                          group->second->values[0]->kind ==
                                              ast::ExprKind::Ident) {
      const std::string& name = ast::as<ast::Ident>(*group->second->values[0]).name;
      if (cappedGroups_.count(name) != 0) {
        diagnostics_.report(diag::Code::E0308, group->second->values[0]->range,
                            "a transactional campaign cannot join `" + name +
                                "`, a group that pressure rules cap")
            .withHelp("transactional messages bypass pressure; leave the group out");
      }
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
        std::string unit = rule.calendarUnit->text;
        // `per 4 calendar days` reads in the plural.
        if (rule.calendarCount != 1 && unit.size() > 1 && unit.back() == 's') unit.pop_back();
        if (unit != "day" && unit != "week" && unit != "month") {
          diagnostics_.report(diag::Code::E0303, rule.calendarUnit->range,
                              "a calendar window is a day, week or month, not `" +
                                  rule.calendarUnit->text + "`");
        }
        if (rule.calendarCount < 1 || rule.calendarCount > 1000) {
          diagnostics_.report(diag::Code::E0303, rule.range,
                              "a calendar window counts 1 to 1000 periods, not " +
                                  std::to_string(rule.calendarCount));
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

}  // namespace crm::sema::internal
