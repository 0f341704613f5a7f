// Declarations, blocks and their members.
#include <algorithm>
#include <cstdio>

#include "compiler/format/printer.h"

namespace crm::format::internal {
namespace {

std::string timeOfDay(int minutes) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d", minutes / 60, minutes % 60);
  return buffer;
}

Doc join(std::vector<Doc> parts, const std::string& separator) {
  std::vector<Doc> joined;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) joined.push_back(text(separator));
    joined.push_back(std::move(parts[i]));
  }
  return concat(std::move(joined));
}

const char* roleWord(ast::EntityRole role) {
  switch (role) {
    case ast::EntityRole::Customer: return "customer ";
    case ast::EntityRole::Catalog: return "catalog ";
    case ast::EntityRole::Event: return "event ";
    case ast::EntityRole::None: break;
  }
  return "";
}

// The end of a braced declaration or item is just past its `}`.
uint32_t closingBrace(source::SourceRange range) { return range.end > 0 ? range.end - 1 : 0; }

}  // namespace

Doc Printer::typeRef(const ast::TypeRef& ref) const {
  std::vector<Doc> parts{text(ref.name.text)};
  if (!ref.arguments.empty()) {
    std::vector<Doc> arguments;
    for (const auto& argument : ref.arguments) arguments.push_back(typeRef(argument));
    parts.push_back(text("<"));
    parts.push_back(join(std::move(arguments), ", "));
    parts.push_back(text(">"));
  }
  if (ref.optional) parts.push_back(text("?"));
  return concat(std::move(parts));
}

Doc Printer::declaration(const ast::Decl& decl) {
  switch (decl.kind) {
    case ast::DeclKind::Import:
      return text("import " + slice(ast::as<ast::ImportDecl>(decl).pathRange));
    case ast::DeclKind::Enum:
      return enumDecl(ast::as<ast::EnumDecl>(decl));
    case ast::DeclKind::Record:
    case ast::DeclKind::Entity:
      return recordDecl(ast::as<ast::RecordDecl>(decl));
    case ast::DeclKind::Source:
      return sourceDecl(ast::as<ast::SourceDecl>(decl));
    case ast::DeclKind::Let: {
      const auto& let = ast::as<ast::LetDecl>(decl);
      Doc type = let.typeRef ? concat({text(": "), typeRef(*let.typeRef)}) : text("");
      return concat({text("let " + let.name.text), type, text(" = "),
                     expr(*let.value, Context::Statement)});
    }
    case ast::DeclKind::Segment:
      return concat({text("segment " + decl.name.text + " = "),
                     expr(*ast::as<ast::SegmentDecl>(decl).condition, Context::Statement)});
    case ast::DeclKind::Trigger:
      return triggerDecl(ast::as<ast::TriggerDecl>(decl));
    case ast::DeclKind::Recommend:
      return recommendDecl(ast::as<ast::RecommendDecl>(decl));
    case ast::DeclKind::Channel:
      return concat({text("channel " + decl.name.text + " "),
                     block(propertyItems(ast::as<ast::ChannelDecl>(decl).properties),
                           closingBrace(decl.range))});
    case ast::DeclKind::Campaign:
      return concat({text("campaign " + decl.name.text + " "),
                     block(propertyItems(ast::as<ast::CampaignDecl>(decl).properties),
                           closingBrace(decl.range))});
    case ast::DeclKind::Pressure: {
      const auto& pressure = ast::as<ast::PressureDecl>(decl);
      std::vector<Item> items;
      for (const auto& rule : pressure.rules) {
        items.push_back({rule.range.begin, [this, &rule] { return pressureRule(rule); }});
      }
      std::string head = decl.name.text.empty() ? "pressure " : "pressure " + decl.name.text + " ";
      return concat({text(head), block(items, closingBrace(decl.range))});
    }
    case ast::DeclKind::Test:
      return testDecl(ast::as<ast::TestDecl>(decl));
  }
  return text("");
}

Doc Printer::enumDecl(const ast::EnumDecl& decl) {
  Doc head = text("enum " + decl.name.text + " ");
  uint32_t end = closingBrace(decl.range);
  if (decl.values.empty() && !hasComment(end)) {
    return concat({head, text("{}")});
  }
  std::vector<Doc> values;
  Doc opening = trailingComments(decl.values.empty() ? end : decl.values[0].range.begin, true);
  for (size_t i = 0; i < decl.values.size(); ++i) {
    const ast::Name& value = decl.values[i];
    if (i > 0) {
      values.push_back(trailingComments(value.range.begin, true));
      values.push_back(text(","));
      values.push_back(line());
    }
    values.push_back(leadingComments(value.range.begin));
    values.push_back(text(value.text));
  }
  values.push_back(ifBreak(text(","), text("")));
  values.push_back(commentsBefore(end));
  return concat({head, group(concat({text("{"), opening, indent(concat({line(), concat(values)})),
                                     line(), text("}")}))});
}

Doc Printer::recordDecl(const ast::RecordDecl& decl) {
  std::string head = "record " + decl.name.text + " ";
  if (decl.kind == ast::DeclKind::Entity) {
    const auto& entity = ast::as<ast::EntityDecl>(decl);
    head = std::string(roleWord(entity.role)) + "entity " + decl.name.text + " key " +
           entity.key.text + " ";
    if (!entity.levels.empty()) {
      std::string levels;
      for (const auto& level : entity.levels) {
        levels += (levels.empty() ? "" : " > ") + level.text;
      }
      head += "levels(" + levels + ") ";
    }
  }
  std::vector<Item> items;
  for (const auto& field : decl.fields) {
    items.push_back({field.name.range.begin, [this, &field] {
                       return concat({text(field.name.text + ": "), typeRef(field.typeRef)});
                     }});
  }
  return concat({text(head), block(items, closingBrace(decl.range))});
}

std::vector<Printer::Item> Printer::propertyItems(const std::vector<ast::Property>& properties) {
  std::vector<Item> items;
  for (const auto& p : properties) {
    items.push_back({p.range.begin, [this, &p] { return property(p); }});
  }
  return items;
}

Doc Printer::property(const ast::Property& property) {
  Doc name = text(property.name.text + ": ");
  switch (property.form) {
    case ast::PropertyForm::TimeRange:
      return concat({name, text(timeOfDay(property.startMinute) + ".." +
                                timeOfDay(property.endMinute) + (property.local ? " local" : ""))});
    case ast::PropertyForm::TimeOfDay:
      return concat({name, text(timeOfDay(property.startMinute) + (property.local ? " local" : ""))});
    case ast::PropertyForm::Rate:
      return concat({name, expr(*property.values[0], Context::Statement),
                     text(" per " + property.unit.text)});
    case ast::PropertyForm::Expressions:
      break;
  }
  std::vector<Doc> values;
  for (const auto& value : property.values) {
    values.push_back(expr(*value, Context::Statement));
  }
  return concat({name, join(std::move(values), ", ")});
}

// Options and the `columns` block keep their order; several `columns`
// blocks become one, at the place of the first binding.
Doc Printer::sourceDecl(const ast::SourceDecl& decl) {
  Doc head = concat({text("source " + decl.name.text + ": " + decl.entity.text + " from "),
                     expr(*decl.format, Context::Nested), text(" ")});
  uint32_t end = closingBrace(decl.range);
  // The block starts at its word `columns`, which the tree does not record.
  uint32_t columnsAt = end;
  if (!decl.columns.empty()) {
    columnsAt = decl.columns.front().range.begin;
    size_t word = file_.text().rfind("columns", columnsAt);
    if (word != std::string::npos && word > decl.range.begin) {
      columnsAt = static_cast<uint32_t>(word);
    }
  }
  std::vector<Item> items;
  bool columnsPlaced = decl.columns.empty();
  for (const auto& option : decl.options) {
    if (!columnsPlaced && columnsAt < option.range.begin) {
      items.push_back({columnsAt, [this, &decl, &option] {
                         return columnsBlock(decl, option.range.begin);
                       }});
      columnsPlaced = true;
    }
    items.push_back({option.range.begin, [this, &option] { return property(option); }});
  }
  if (!columnsPlaced) {
    items.push_back({columnsAt, [this, &decl, end] { return columnsBlock(decl, end); }});
  }
  return concat({head, block(items, end)});
}

Doc Printer::columnsBlock(const ast::SourceDecl& decl, uint32_t end) {
  std::vector<Item> items;
  for (const auto& binding : decl.columns) {
    items.push_back({binding.range.begin, [this, &binding] {
                       std::vector<Doc> parts;
                       if (binding.column.range.begin != binding.field.range.begin) {
                         parts.push_back(text(slice(binding.column.range) + " -> "));
                       }
                       parts.push_back(text(binding.field.text));
                       if (binding.typeRef) {
                         parts.push_back(text(": "));
                         parts.push_back(typeRef(*binding.typeRef));
                       }
                       return concat(std::move(parts));
                     }});
  }
  uint32_t blockEnd = decl.columns.empty() ? end : closingBraceAfter(decl.columns.back().range.end);
  return concat({text("columns "), block(items, std::min(blockEnd, end))});
}

Doc Printer::triggerDecl(const ast::TriggerDecl& decl) {
  std::vector<Doc> parts{text("trigger " + decl.name.text + " on " + decl.stream.text + "(")};
  if (decl.onCondition) parts.push_back(expr(*decl.onCondition, Context::Nested));
  parts.push_back(text(") as " + decl.binder.text));
  std::vector<Doc> clauses;
  if (decl.when) {
    clauses.push_back(concat({commentsBefore(decl.when->range.begin), hardline(), text("when "),
                              expr(*decl.when, Context::Statement)}));
  }
  if (decl.after) {
    clauses.push_back(concat({commentsBefore(decl.after->range.begin), hardline(),
                              text("after "), expr(*decl.after, Context::Statement)}));
  }
  if (decl.unlessStream) {
    std::vector<Doc> unless{commentsBefore(decl.unlessStream->range.begin), hardline(),
                            text("unless " + decl.unlessStream->text + "(")};
    if (decl.unlessCondition) unless.push_back(expr(*decl.unlessCondition, Context::Nested));
    unless.push_back(text(") within "));
    unless.push_back(expr(*decl.unlessWindow, Context::Statement));
    clauses.push_back(concat(std::move(unless)));
  }
  parts.push_back(indent(concat(std::move(clauses))));
  return concat(std::move(parts));
}

Doc Printer::recommendDecl(const ast::RecommendDecl& decl) {
  std::vector<Doc> params;
  for (const auto& param : decl.params) {
    std::vector<Doc> parts{commentsBefore(param.name.range.begin),
                           text(param.name.text + ": "), typeRef(param.typeRef)};
    if (param.defaultValue) {
      parts.push_back(text(" = "));
      parts.push_back(expr(*param.defaultValue, Context::Nested));
    }
    params.push_back(concat(std::move(parts)));
  }
  Doc head = concat({text("recommend " + decl.name.text + "("), join(std::move(params), ", "),
                     text("): "), typeRef(decl.resultRef), text(" =")});
  // A comment after `=` stays on its line, before the break.
  Doc trailing = trailingComments(decl.body->range.begin);
  Doc body = expr(*decl.body, Context::Statement);
  return concat({head, trailing, group(indent(concat({line(), body})))});
}

Doc Printer::pressureRule(const ast::PressureRule& rule) {
  switch (rule.kind) {
    case ast::PressureRuleKind::Cap: {
      std::vector<Doc> parts{text("at most "), expr(*rule.limit, Context::Statement),
                             text(" per ")};
      if (rule.calendarUnit) {
        std::string periods =
            rule.calendarCount != 1 ? std::to_string(rule.calendarCount) + " " : "";
        parts.push_back(text(periods + "calendar " + rule.calendarUnit->text));
      } else {
        parts.push_back(expr(*rule.window, Context::Statement));
        if (rule.rolling) parts.push_back(text(" rolling"));
      }
      for (const auto& scope : rule.scopes) {
        parts.push_back(text((scope.group ? " in group " : " on ") + scope.name.text));
      }
      return concat(std::move(parts));
    }
    case ast::PressureRuleKind::Rank: {
      std::string keys;
      for (const auto& key : rule.rankKeys) {
        keys += (keys.empty() ? "" : ", ") + key.name.text + (key.descending ? " desc" : "");
      }
      return text("rank by " + keys);
    }
    case ast::PressureRuleKind::Exempt: {
      std::string names;
      for (const auto& name : rule.exempt) names += (names.empty() ? "" : ", ") + name.text;
      return text("exempt " + names);
    }
  }
  return text("");
}

Doc Printer::testDecl(const ast::TestDecl& decl) {
  std::vector<Item> items;
  for (const auto& item : decl.items) {
    items.push_back({item.range.begin, [this, &item] { return testItem(item); }});
  }
  return concat({text("test " + slice(decl.name.range) + " "),
                 block(items, closingBrace(decl.range))});
}

Doc Printer::testItem(const ast::TestItem& item) {
  std::string via = item.channel ? " via " + item.channel->text : "";
  switch (item.kind) {
    case ast::TestItemKind::Property:
      return property(item.property);
    case ast::TestItemKind::Fixture: {
      std::vector<Item> fields;
      for (const auto& field : item.fields) {
        fields.push_back({field.name.range.begin, [this, &field] {
                            return concat({text(field.name.text + ": "),
                                           expr(*field.value, Context::Statement), text(",")});
                          }});
      }
      return concat({text(item.target.text + " "), block(fields, closingBrace(item.range))});
    }
    case ast::TestItemKind::ExpectSend:
      return text("expect send " + item.target.text + via);
    case ast::TestItemKind::ExpectNoSend:
      return text("expect no send " + item.target.text + via);
    case ast::TestItemKind::ExpectSegment:
      return text("expect segment " + item.target.text);
    case ast::TestItemKind::ExpectOffer:
      return concat({text("expect offer " + item.target.text + " contains "),
                     expr(*item.expr, Context::Statement)});
    case ast::TestItemKind::ExpectError: {
      // The message's spelling is not in the tree: it is the string that
      // ends the item, after the word `error`.
      std::string source = slice(item.range);
      size_t word = source.find("error");
      size_t quote = source.find_first_of("\"'", word);
      if (word == std::string::npos || quote == std::string::npos) return text("expect error");
      if (quote > word + 5 && (source[quote - 1] == 'r' || source[quote - 1] == 'R')) --quote;
      size_t last = source.find_last_of("\"'");
      return text("expect error " + source.substr(quote, last + 1 - quote));
    }
    case ast::TestItemKind::ExpectExpr:
      return concat({text("expect "), expr(*item.expr, Context::Statement)});
  }
  return text("");
}

}  // namespace crm::format::internal
