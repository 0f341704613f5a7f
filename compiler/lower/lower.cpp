#include "compiler/lower/lower.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "compiler/lower/activity.h"
#include "runtime/decimal.h"
#include "runtime/time.h"
#include "stdlib/signatures.h"

namespace crm::lower {
namespace {

using ast::Type;
using ast::TypeKind;
using ir::MacroKind;
using ir::Node;
using ir::NodePtr;
using ir::Op;
using runtime::Value;

// Reports a broken invariant of the checked AST. Lowering only receives
// programs that passed the checker.
[[noreturn]] void unexpected(const std::string& what) {
  throw std::logic_error("lowering: unexpected " + what);
}

class Lowering {
 public:
  explicit Lowering(ir::Program& program) : program_(program) {}

  void collect(const std::vector<const ast::Script*>& scripts);
  void lowerDeclarations();

  NodePtr lower(const ast::Expr& expr);
  uint32_t pushVariable(const std::string& name);
  void popVariable() { scope_.pop_back(); }
  void addExternal(const std::string& name, const Type* type);

 private:
  NodePtr make(Op op, const ast::Expr& expr);
  NodePtr constant(Value value, const ast::Expr& expr);
  NodePtr literal(const ast::Literal& literal);
  NodePtr ident(const ast::Ident& ident);
  NodePtr select(const ast::Select& select);
  NodePtr call(const ast::Call& call);
  NodePtr macro(const ast::Call& call, NodePtr receiver);
  NodePtr binary(const ast::Binary& binary);
  NodePtr mapLiteral(const ast::MapLiteral& map);
  NodePtr fieldOf(NodePtr operand, const ast::RecordDecl& record, const std::string& field,
                  const ast::Expr& expr);
  const runtime::EnumInfo* enumInfo(const ast::Decl* decl);
  const runtime::RecordInfo* recordInfo(const ast::RecordDecl& decl);
  Value enumConstant(const ast::Decl* decl, const std::string& value);

  void lowerActivity();
  void lowerTrigger(const ast::TriggerDecl& decl);
  void lowerCampaign(const ast::CampaignDecl& decl);
  void lowerChannel(const ast::ChannelDecl& decl);
  void lowerPressure(const ast::PressureDecl& decl);
  void lowerCustomerTimeZone();

  ir::Program& program_;
  std::vector<const ast::Decl*> values_;  // lets and segments, by index
  std::unordered_map<const ast::Decl*, uint32_t> valueIndex_;
  std::vector<const ast::RecommendDecl*> recommends_;
  std::unordered_map<const ast::Decl*, uint32_t> recommendIndex_;
  std::vector<const ast::ChannelDecl*> channels_;
  std::unordered_map<std::string, uint32_t> channelIndex_;
  std::vector<const ast::TriggerDecl*> triggers_;
  std::unordered_map<std::string, uint32_t> triggerIndex_;
  std::vector<const ast::CampaignDecl*> campaigns_;
  std::vector<const ast::PressureDecl*> pressure_;
  std::vector<const ast::SourceDecl*> sources_;
  std::unordered_map<const ast::Decl*, const runtime::EnumInfo*> enums_;
  std::unordered_map<const ast::Decl*, const runtime::RecordInfo*> records_;
  const ast::EntityDecl* customer_ = nullptr;
  const ast::EntityDecl* catalog_ = nullptr;

  std::vector<std::pair<std::string, uint32_t>> scope_;
  std::unordered_map<std::string, uint32_t> externals_;
  // Inside a trigger's `on(...)`: the element's slot and entity.
  const ast::RecordDecl* implicitRecord_ = nullptr;
  uint32_t implicitSlot_ = 0;
};

void Lowering::collect(const std::vector<const ast::Script*>& scripts) {
  for (const ast::Script* script : scripts) {
    for (const auto& declPtr : script->decls) {
      const ast::Decl& decl = *declPtr;
      switch (decl.kind) {
        case ast::DeclKind::Let:
        case ast::DeclKind::Segment:
          valueIndex_[&decl] = static_cast<uint32_t>(values_.size());
          values_.push_back(&decl);
          break;
        case ast::DeclKind::Recommend:
          recommendIndex_[&decl] = static_cast<uint32_t>(recommends_.size());
          recommends_.push_back(&ast::as<ast::RecommendDecl>(decl));
          break;
        case ast::DeclKind::Channel:
          channelIndex_[decl.name.text] = static_cast<uint32_t>(channels_.size());
          channels_.push_back(&ast::as<ast::ChannelDecl>(decl));
          break;
        case ast::DeclKind::Trigger:
          triggerIndex_[decl.name.text] = static_cast<uint32_t>(triggers_.size());
          triggers_.push_back(&ast::as<ast::TriggerDecl>(decl));
          break;
        case ast::DeclKind::Campaign:
          campaigns_.push_back(&ast::as<ast::CampaignDecl>(decl));
          break;
        case ast::DeclKind::Pressure:
          pressure_.push_back(&ast::as<ast::PressureDecl>(decl));
          break;
        case ast::DeclKind::Source:
          sources_.push_back(&ast::as<ast::SourceDecl>(decl));
          break;
        case ast::DeclKind::Entity: {
          const auto& entity = ast::as<ast::EntityDecl>(decl);
          if (entity.role == ast::EntityRole::Customer) {
            customer_ = &entity;
            program_.customerEntity = entity.name.text;
          } else if (entity.role == ast::EntityRole::Catalog) {
            catalog_ = &entity;
            program_.catalogEntity = entity.name.text;
          }
          break;
        }
        default:
          break;
      }
    }
  }
}

const ast::Property* property(const std::vector<ast::Property>& properties,
                              const std::string& name) {
  for (const auto& p : properties) {
    if (p.name.text == name) return &p;
  }
  return nullptr;
}

const ast::Expr* propertyValue(const std::vector<ast::Property>& properties,
                               const std::string& name) {
  const ast::Property* p = property(properties, name);
  return p != nullptr && !p->values.empty() ? p->values[0].get() : nullptr;
}

std::string propertyName(const std::vector<ast::Property>& properties, const std::string& name) {
  const ast::Expr* value = propertyValue(properties, name);
  if (value == nullptr) return "";
  if (value->kind == ast::ExprKind::Ident) return ast::as<ast::Ident>(*value).name;
  if (value->kind == ast::ExprKind::Literal) {
    const auto& literal = ast::as<ast::Literal>(*value);
    if (literal.literalKind == ast::LiteralKind::Bool) return literal.intValue != 0 ? "true" : "false";
  }
  return "";
}

void Lowering::lowerActivity() {
  runtime::ActivitySchema& schema = program_.activity;
  if (catalog_ != nullptr) {
    for (const auto& level : catalog_->levels) schema.levels.push_back(level.text);
  }
  auto convert = [&](const ActivityFieldList& fields) {
    runtime::ActivityList list;
    list.customerColumn = static_cast<uint32_t>(fields.customerField);
    list.productColumn = static_cast<uint32_t>(fields.productField);
    list.timeColumn = static_cast<uint32_t>(fields.timeField);
    list.typeColumn = fields.typeField;
    list.linesColumn = fields.linesField;
    if (fields.typeEnum != nullptr) list.typeEnum = enumInfo(fields.typeEnum);
    return list;
  };
  ActivityFields fields = findActivityFields(customer_, catalog_);
  for (const auto& purchases : fields.purchases) schema.purchases.push_back(convert(purchases));
  if (fields.events) {
    schema.hasEvents = true;
    schema.events = convert(*fields.events);
    schema.events.events = true;
  }
}

void Lowering::lowerDeclarations() {
  lowerActivity();
  for (const ast::Decl* decl : values_) {
    ir::Declaration lowered;
    lowered.name = decl->name.text;
    lowered.segment = decl->kind == ast::DeclKind::Segment;
    const ast::Expr& value = lowered.segment ? *ast::as<ast::SegmentDecl>(*decl).condition
                                             : *ast::as<ast::LetDecl>(*decl).value;
    lowered.value = lower(value);
    program_.declarations.push_back(std::move(lowered));
  }
  for (const ast::RecommendDecl* decl : recommends_) {
    ir::Recommend lowered;
    lowered.name = decl->name.text;
    size_t pushed = 0;
    for (const auto& param : decl->params) {
      lowered.parameterSlots.push_back(pushVariable(param.name.text));
      ++pushed;
    }
    lowered.body = lower(*decl->body);
    for (size_t i = 0; i < pushed; ++i) popVariable();
    program_.recommends.push_back(std::move(lowered));
  }
  for (const ast::ChannelDecl* decl : channels_) lowerChannel(*decl);
  for (const ast::TriggerDecl* decl : triggers_) lowerTrigger(*decl);
  for (const ast::CampaignDecl* decl : campaigns_) lowerCampaign(*decl);
  for (const ast::PressureDecl* decl : pressure_) lowerPressure(*decl);
  if (program_.rank.empty()) {
    program_.rank = {{ir::RankKey::Priority, true}, {ir::RankKey::ExpectedValue, true}};
  }
  lowerCustomerTimeZone();
}

namespace {

ir::DailyHours dailyHours(const ast::Property* property) {
  ir::DailyHours hours;
  if (property == nullptr || property->form != ast::PropertyForm::TimeRange) return hours;
  hours.present = true;
  hours.startMinute = property->startMinute;
  hours.endMinute = property->endMinute;
  hours.local = property->local;
  return hours;
}

std::string stringLiteral(const ast::Expr* expr) {
  if (expr == nullptr || expr->kind != ast::ExprKind::Literal) return "";
  const auto& literal = ast::as<ast::Literal>(*expr);
  return literal.literalKind == ast::LiteralKind::String ? literal.text : "";
}

}  // namespace

void Lowering::lowerChannel(const ast::ChannelDecl& decl) {
  ir::Channel lowered;
  lowered.name = decl.name.text;
  const auto& properties = decl.properties;
  if (const ast::Expr* reachable = propertyValue(properties, "reachable")) {
    lowered.reachable = lower(*reachable);
  }
  lowered.quiet = dailyHours(property(properties, "quiet"));
  lowered.sendWindow = dailyHours(property(properties, "send_window"));
  if (const ast::Property* days = property(properties, "send_days")) {
    static const char* const kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    lowered.sendDays = 0;
    for (const auto& value : days->values) {
      if (value->kind != ast::ExprKind::Ident) continue;
      for (int d = 0; d < 7; ++d) {
        if (ast::as<ast::Ident>(*value).name == kDays[d]) lowered.sendDays |= uint8_t(1u << d);
      }
    }
  }
  std::string zone = stringLiteral(propertyValue(properties, "time_zone"));
  if (!zone.empty()) lowered.timeZone = zone;
  if (const ast::Property* capacity = property(properties, "capacity")) {
    if (capacity->form == ast::PropertyForm::Rate && !capacity->values.empty() &&
        capacity->values[0]->kind == ast::ExprKind::Literal) {
      lowered.capacity = ast::as<ast::Literal>(*capacity->values[0]).intValue;
      lowered.capacityPeriod = capacity->unit.text == "hour"   ? ir::Period::Hour
                               : capacity->unit.text == "week" ? ir::Period::Week
                                                               : ir::Period::Day;
    }
  }
  if (const ast::Expr* cost = propertyValue(properties, "cost")) {
    if (cost->kind == ast::ExprKind::Literal) {
      const auto& literal = ast::as<ast::Literal>(*cost);
      bool integer = literal.literalKind == ast::LiteralKind::Int;
      lowered.cost = integer ? static_cast<double>(literal.intValue) : literal.doubleValue;
      lowered.costText = integer ? std::to_string(literal.intValue) : literal.text;
    }
  }
  program_.channels.push_back(std::move(lowered));
}

void Lowering::lowerPressure(const ast::PressureDecl& decl) {
  ir::PressureBlock block;
  block.name = decl.name.text;
  uint32_t blockIndex = static_cast<uint32_t>(program_.pressure.size());
  for (const auto& rule : decl.rules) {
    switch (rule.kind) {
      case ast::PressureRuleKind::Cap: {
        ir::Cap cap;
        cap.block = blockIndex;
        cap.limit = lower(*rule.limit);
        // NOTE: lowering has no source text, so a limit that is an expression
        // reads `N` in reasons and traces, and `72h` reads `3d`.
        std::string limitText = rule.limit->kind == ast::ExprKind::Literal
                                    ? std::to_string(ast::as<ast::Literal>(*rule.limit).intValue)
                                    : "N";
        cap.text = "at most " + limitText + " per ";
        if (rule.calendarUnit) {
          cap.calendar = true;
          std::string unit = rule.calendarUnit->text;
          if (unit.rfind("week", 0) == 0) cap.period = ir::Period::Week;
          else if (unit.rfind("month", 0) == 0) cap.period = ir::Period::Month;
          else cap.period = ir::Period::Day;
          cap.periods = rule.calendarCount;
          cap.text += (rule.calendarCount > 1 ? std::to_string(rule.calendarCount) + " " : "") +
                      "calendar " + unit;
        } else if (rule.window != nullptr) {
          cap.window = lower(*rule.window);
          cap.text += rule.window->kind == ast::ExprKind::Literal
                          ? runtime::formatShortDuration(ast::as<ast::Literal>(*rule.window).intValue)
                          : std::string("window");
          if (rule.rolling) cap.text += " rolling";
        }
        for (const auto& scope : rule.scopes) {
          if (scope.group) {
            cap.group = scope.name.text;
            cap.text += " in group " + cap.group;
          } else {
            auto it = channelIndex_.find(scope.name.text);
            if (it != channelIndex_.end()) cap.channel = static_cast<int>(it->second);
            cap.text += " on " + scope.name.text;
          }
        }
        if (!block.name.empty()) cap.text = block.name + ": " + cap.text;
        program_.caps.push_back(std::move(cap));
        break;
      }
      case ast::PressureRuleKind::Rank:
        // The first block that ranks decides.
        if (!program_.rank.empty()) break;
        for (const auto& key : rule.rankKeys) {
          ir::RankKey kind = key.name.text == "expected_value" ? ir::RankKey::ExpectedValue
                             : key.name.text == "cost"         ? ir::RankKey::Cost
                                                               : ir::RankKey::Priority;
          program_.rank.push_back({kind, key.descending});
        }
        break;
      case ast::PressureRuleKind::Exempt:
        for (const auto& name : rule.exempt) {
          if (name.text == "transactional") continue;  // always exempt
          bool campaign = std::any_of(campaigns_.begin(), campaigns_.end(),
                                      [&](const ast::CampaignDecl* c) {
                                        return c->name.text == name.text;
                                      });
          (campaign ? block.exemptCampaigns : block.exemptGroups).push_back(name.text);
        }
        break;
    }
  }
  program_.pressure.push_back(std::move(block));
}

void Lowering::lowerCustomerTimeZone() {
  if (customer_ == nullptr) return;
  for (size_t i = 0; i < customer_->fields.size(); ++i) {
    const auto& field = customer_->fields[i];
    if (field.name.text == "time_zone" && field.type != nullptr &&
        field.type->unwrapped()->is(ast::TypeKind::String)) {
      program_.customerTimeZoneField = static_cast<int>(i);
    }
  }
  for (const ast::SourceDecl* source : sources_) {
    if (source->entity.text != customer_->name.text) continue;
    std::string zone = stringLiteral(propertyValue(source->options, "time_zone"));
    if (!zone.empty()) {
      program_.customerTimeZone = zone;
      break;
    }
  }
}

// The customer column of a stream and the entity or record of its elements.
// `event` is the customer's list of the event entity. Nullopt when the
// customer has no such list.
std::optional<std::pair<uint32_t, const ast::RecordDecl*>> streamOf(
    const ast::EntityDecl* customer, const std::string& stream) {
  if (customer == nullptr) return std::nullopt;
  for (size_t i = 0; i < customer->fields.size(); ++i) {
    const auto& field = customer->fields[i];
    const Type* type = field.type != nullptr ? field.type->unwrapped() : nullptr;
    if (type == nullptr || !type->is(TypeKind::List) || type->element == nullptr ||
        type->element->decl == nullptr) {
      continue;
    }
    const auto& element = ast::as<ast::RecordDecl>(*type->element->decl);
    bool events = stream == "event" && element.kind == ast::DeclKind::Entity &&
                  ast::as<ast::EntityDecl>(element).role == ast::EntityRole::Event;
    if (field.name.text == stream || events) {
      return std::make_pair(static_cast<uint32_t>(i), &element);
    }
  }
  return std::nullopt;
}

void Lowering::lowerTrigger(const ast::TriggerDecl& decl) {
  ir::Trigger lowered;
  lowered.name = decl.name.text;
  auto found = streamOf(customer_, decl.stream.text);
  auto unlessFound = decl.unlessStream ? streamOf(customer_, decl.unlessStream->text)
                                       : std::optional<std::pair<uint32_t, const ast::RecordDecl*>>();
  const ast::Name& missing = !found ? decl.stream : *decl.unlessStream;
  if (!found || (decl.unlessStream && !unlessFound)) {
    // The checker accepts `event` as a stream; reading it needs the
    // customer to hold a list of the event entity.
    lowered.problem = "trigger `" + decl.name.text + "` reads the stream `" + missing.text +
                      "`, but the customer entity has no list of its elements; declare one, "
                      "such as `events: list<Event>`, filled by a source with `parent:`";
    program_.problems.push_back(lowered.problem);
    program_.triggers.push_back(std::move(lowered));
    return;
  }
  auto [stream, element] = *found;
  lowered.stream = stream;
  lowered.slot = pushVariable(decl.binder.text);
  // The element's `at` field, read from the variable in `slot`.
  auto timeOf = [&](uint32_t slot, const ast::RecordDecl& record) -> NodePtr {
    for (size_t i = 0; i < record.fields.size(); ++i) {
      if (record.fields[i].name.text != "at") continue;
      auto variable = std::make_unique<Node>();
      variable->op = Op::Variable;
      variable->slot = slot;
      variable->range = decl.range;
      auto field = std::make_unique<Node>();
      field->op = record.kind == ast::DeclKind::Entity ? Op::Field : Op::RecordField;
      field->index = static_cast<uint32_t>(i);
      field->type = record.fields[i].type;
      field->range = decl.range;
      field->operands.push_back(std::move(variable));
      return field;
    }
    return nullptr;
  };
  if (decl.onCondition != nullptr) {
    implicitRecord_ = element;
    implicitSlot_ = lowered.slot;
    lowered.on = lower(*decl.onCondition);
    implicitRecord_ = nullptr;
  }
  if (decl.when != nullptr) lowered.when = lower(*decl.when);
  lowered.time = timeOf(lowered.slot, *element);
  if (decl.after != nullptr) lowered.after = lower(*decl.after);
  if (decl.unlessStream) {
    auto [unlessStream, unlessElement] = *unlessFound;
    lowered.hasUnless = true;
    lowered.unlessStream = unlessStream;
    lowered.unlessSlot = program_.slotCount++;
    if (decl.unlessCondition != nullptr) {
      implicitRecord_ = unlessElement;
      implicitSlot_ = lowered.unlessSlot;
      lowered.unlessCondition = lower(*decl.unlessCondition);
      implicitRecord_ = nullptr;
    }
    lowered.unlessTime = timeOf(lowered.unlessSlot, *unlessElement);
    if (decl.unlessWindow != nullptr) lowered.unlessWindow = lower(*decl.unlessWindow);
  }
  popVariable();
  program_.triggers.push_back(std::move(lowered));
}

void Lowering::lowerCampaign(const ast::CampaignDecl& decl) {
  ir::Campaign lowered;
  lowered.name = decl.name.text;
  const auto& properties = decl.properties;
  if (const ast::Expr* audience = propertyValue(properties, "audience")) {
    lowered.audience = lower(*audience);
  }
  if (const ast::Expr* offer = propertyValue(properties, "offer")) lowered.offer = lower(*offer);
  lowered.sendOnEmptyOffer = propertyName(properties, "on_empty_offer") == "send";
  if (const ast::Property* channels = property(properties, "channels")) {
    for (const auto& value : channels->values) {
      if (value->kind != ast::ExprKind::Ident) continue;
      auto it = channelIndex_.find(ast::as<ast::Ident>(*value).name);
      if (it != channelIndex_.end()) lowered.channels.push_back(it->second);
    }
  }
  if (const ast::Expr* priority = propertyValue(properties, "priority")) {
    lowered.priority = lower(*priority);
  }
  if (const ast::Expr* expected = propertyValue(properties, "expected_value")) {
    lowered.expectedValue = lower(*expected);
  }
  std::string trigger = propertyName(properties, "trigger");
  if (!trigger.empty()) {
    auto it = triggerIndex_.find(trigger);
    if (it != triggerIndex_.end()) lowered.trigger = static_cast<int>(it->second);
  }
  lowered.group = propertyName(properties, "group");
  lowered.transactional = propertyName(properties, "transactional") == "true";
  if (const ast::Expr* delay = propertyValue(properties, "delay")) {
    if (delay->kind == ast::ExprKind::Literal) lowered.delay = ast::as<ast::Literal>(*delay).intValue;
  }
  if (const ast::Property* sendAt = property(properties, "send_at")) {
    if (sendAt->form == ast::PropertyForm::TimeOfDay) lowered.sendAtMinute = sendAt->startMinute;
  }
  lowered.dropWhenQuiet = propertyName(properties, "when_quiet") == "drop";
  lowered.description = stringLiteral(propertyValue(properties, "description"));
  program_.campaigns.push_back(std::move(lowered));
}

uint32_t Lowering::pushVariable(const std::string& name) {
  uint32_t slot = program_.slotCount++;
  scope_.emplace_back(name, slot);
  return slot;
}

void Lowering::addExternal(const std::string& name, const Type* type) {
  uint32_t slot = program_.slotCount++;
  externals_[name] = slot;
  program_.externals.push_back({name, type, slot});
}

NodePtr Lowering::make(Op op, const ast::Expr& expr) {
  auto node = std::make_unique<Node>();
  node->op = op;
  node->type = expr.type;
  node->range = expr.range;
  return node;
}

NodePtr Lowering::constant(Value value, const ast::Expr& expr) {
  NodePtr node = make(Op::Constant, expr);
  node->constant = std::move(value);
  return node;
}

const runtime::EnumInfo* Lowering::enumInfo(const ast::Decl* decl) {
  auto it = enums_.find(decl);
  if (it != enums_.end()) return it->second;
  auto info = std::make_unique<runtime::EnumInfo>();
  info->name = decl->name.text;
  for (const auto& value : ast::as<ast::EnumDecl>(*decl).values) info->values.push_back(value.text);
  const runtime::EnumInfo* raw = info.get();
  program_.enums.push_back(std::move(info));
  enums_[decl] = raw;
  return raw;
}

const runtime::RecordInfo* Lowering::recordInfo(const ast::RecordDecl& decl) {
  auto it = records_.find(&decl);
  if (it != records_.end()) return it->second;
  auto info = std::make_unique<runtime::RecordInfo>();
  info->name = decl.name.text;
  for (const auto& field : decl.fields) info->fields.push_back(field.name.text);
  const runtime::RecordInfo* raw = info.get();
  program_.records.push_back(std::move(info));
  records_[&decl] = raw;
  return raw;
}

Value Lowering::enumConstant(const ast::Decl* decl, const std::string& value) {
  const runtime::EnumInfo* info = enumInfo(decl);
  for (size_t i = 0; i < info->values.size(); ++i) {
    if (info->values[i] == value) return Value::enumValue(info, static_cast<int64_t>(i));
  }
  unexpected("enum value " + value);
}

NodePtr Lowering::lower(const ast::Expr& expr) {
  switch (expr.kind) {
    case ast::ExprKind::Literal:
      return literal(ast::as<ast::Literal>(expr));
    case ast::ExprKind::Ident:
      return ident(ast::as<ast::Ident>(expr));
    case ast::ExprKind::Select:
      return select(ast::as<ast::Select>(expr));
    case ast::ExprKind::Index: {
      const auto& index = ast::as<ast::Index>(expr);
      NodePtr node = make(Op::Index, expr);
      node->operands.push_back(lower(*index.operand));
      node->operands.push_back(lower(*index.index));
      return node;
    }
    case ast::ExprKind::Call:
      return call(ast::as<ast::Call>(expr));
    case ast::ExprKind::List: {
      NodePtr node = make(Op::MakeList, expr);
      for (const auto& element : ast::as<ast::ListLiteral>(expr).elements) {
        node->operands.push_back(lower(*element));
      }
      return node;
    }
    case ast::ExprKind::Map:
      return mapLiteral(ast::as<ast::MapLiteral>(expr));
    case ast::ExprKind::Unary: {
      const auto& unary = ast::as<ast::Unary>(expr);
      NodePtr node = make(unary.op == ast::UnaryOp::Not ? Op::Not : Op::Negate, expr);
      node->operands.push_back(lower(*unary.operand));
      return node;
    }
    case ast::ExprKind::Binary:
      return binary(ast::as<ast::Binary>(expr));
    case ast::ExprKind::Conditional: {
      const auto& conditional = ast::as<ast::Conditional>(expr);
      NodePtr node = make(Op::Conditional, expr);
      node->operands.push_back(lower(*conditional.condition));
      node->operands.push_back(lower(*conditional.then));
      node->operands.push_back(lower(*conditional.otherwise));
      return node;
    }
  }
  unexpected("expression kind");
}

NodePtr Lowering::literal(const ast::Literal& literal) {
  switch (literal.literalKind) {
    case ast::LiteralKind::Int:
      if (literal.asDecimal) return constant(Value::decimal({literal.intValue, 0}), literal);
      return constant(Value::integer(literal.intValue), literal);
    case ast::LiteralKind::Double:
      if (literal.asDecimal) {
        auto decimal = runtime::parseDecimal(literal.text);
        if (!decimal) unexpected("decimal literal " + literal.text);
        return constant(Value::decimal(*decimal), literal);
      }
      return constant(Value::floating(literal.doubleValue), literal);
    case ast::LiteralKind::String:
      return constant(Value::string(literal.text), literal);
    case ast::LiteralKind::Bool:
      return constant(Value::boolean(literal.intValue != 0), literal);
    case ast::LiteralKind::Null:
      return constant(Value::null(), literal);
    case ast::LiteralKind::Duration:
      return constant(Value::duration(literal.intValue), literal);
    case ast::LiteralKind::Date:
      return constant(Value::date(literal.intValue), literal);
    case ast::LiteralKind::Timestamp:
      return constant(Value::timestamp(literal.intValue), literal);
  }
  unexpected("literal kind");
}

NodePtr Lowering::ident(const ast::Ident& ident) {
  switch (ident.binding) {
    case ast::Binding::Customer:
      return make(Op::Customer, ident);
    case ast::Binding::Catalog:
      return make(Op::Catalog, ident);
    case ast::Binding::Now:
      return make(Op::Now, ident);
    case ast::Binding::Segment:
    case ast::Binding::Let: {
      auto it = valueIndex_.find(ident.decl);
      if (it == valueIndex_.end()) unexpected("declaration " + ident.name);
      NodePtr node = make(Op::Declaration, ident);
      node->index = it->second;
      return node;
    }
    case ast::Binding::Variable: {
      for (auto it = scope_.rbegin(); it != scope_.rend(); ++it) {
        if (it->first == ident.name) {
          NodePtr node = make(Op::Variable, ident);
          node->slot = it->second;
          return node;
        }
      }
      unexpected("variable " + ident.name);
    }
    case ast::Binding::External: {
      auto it = externals_.find(ident.name);
      if (it == externals_.end()) unexpected("external variable " + ident.name);
      NodePtr node = make(Op::External, ident);
      node->slot = it->second;
      return node;
    }
    case ast::Binding::ImplicitField: {
      if (implicitRecord_ == nullptr) unexpected("implicit field " + ident.name);
      NodePtr element = make(Op::Variable, ident);
      element->slot = implicitSlot_;
      return fieldOf(std::move(element), *implicitRecord_, ident.name, ident);
    }
    case ast::Binding::EnumValue: {
      const Type* type = ident.type->unwrapped();
      return constant(enumConstant(type->decl, ident.name), ident);
    }
    default:
      unexpected("identifier binding of " + ident.name);
  }
}

NodePtr Lowering::fieldOf(NodePtr operand, const ast::RecordDecl& record, const std::string& field,
                          const ast::Expr& expr) {
  for (size_t i = 0; i < record.fields.size(); ++i) {
    if (record.fields[i].name.text != field) continue;
    bool entity = record.kind == ast::DeclKind::Entity;
    NodePtr node = make(entity ? Op::Field : Op::RecordField, expr);
    node->index = static_cast<uint32_t>(i);
    const Type* fieldType = record.fields[i].type;
    if (fieldType != nullptr && fieldType->unwrapped()->is(TypeKind::Enum)) {
      node->enumInfo = enumInfo(fieldType->unwrapped()->decl);
    }
    node->operands.push_back(std::move(operand));
    return node;
  }
  unexpected("field " + field + " of " + record.name.text);
}

NodePtr Lowering::select(const ast::Select& select) {
  if (select.enumValue) {
    const auto& enumIdent = ast::as<ast::Ident>(*select.operand);
    return constant(enumConstant(enumIdent.decl, select.field.text), select);
  }
  if (!select.externalName.empty()) {
    auto it = externals_.find(select.externalName);
    if (it == externals_.end()) unexpected("external variable " + select.externalName);
    NodePtr node = make(Op::External, select);
    node->slot = it->second;
    return node;
  }
  NodePtr operand = lower(*select.operand);
  const Type* operandType = select.operand->type->unwrapped();
  NodePtr node;
  if (operandType->is(TypeKind::Entity) || operandType->is(TypeKind::Record)) {
    node = fieldOf(std::move(operand), ast::as<ast::RecordDecl>(*operandType->decl),
                   select.field.text, select);
  } else {
    // A map with string keys, or a dynamic value: `m.k` reads the key "k".
    node = make(Op::MapKey, select);
    node->constant = Value::string(select.field.text);
    node->operands.push_back(std::move(operand));
  }
  node->nullSafe = select.optionalChain;
  return node;
}

MacroKind macroKind(const std::string& name, size_t arguments) {
  static const std::map<std::string, MacroKind> kinds = {
      {"all", MacroKind::All},       {"exists", MacroKind::Exists},
      {"exists_one", MacroKind::ExistsOne}, {"filter", MacroKind::Filter},
      {"count", MacroKind::Count},   {"sum", MacroKind::Sum},
      {"avg", MacroKind::Avg},       {"min", MacroKind::Min},
      {"max", MacroKind::Max},       {"latest", MacroKind::Latest},
      {"earliest", MacroKind::Earliest}, {"top", MacroKind::Top},
  };
  if (name == "map") return arguments == 3 ? MacroKind::FilterMap : MacroKind::Map;
  auto it = kinds.find(name);
  if (it == kinds.end()) unexpected("macro " + name);
  return it->second;
}

bool isMacro(const ast::Call& call) {
  if (call.target == nullptr || call.signature != nullptr || call.callee != nullptr) return false;
  for (const auto& info : stdlib::macros()) {
    if (info.name == call.function.text) return true;
  }
  return false;
}

NodePtr Lowering::call(const ast::Call& call) {
  if (call.target == nullptr && call.function.text == "has" && call.signature == nullptr &&
      call.callee == nullptr) {
    NodePtr node = make(Op::Has, call);
    const auto& select = ast::as<ast::Select>(*call.arguments[0]);
    NodePtr access = lower(select);
    if (access->op == Op::Field || access->op == Op::RecordField || access->op == Op::MapKey) {
      access->nullSafe = true;
      node->operands.push_back(std::move(access));
      return node;
    }
    // A declared variable with a dotted name is always present.
    return constant(Value::boolean(true), call);
  }
  if (call.callee != nullptr) {
    const auto& decl = ast::as<ast::RecommendDecl>(*call.callee);
    NodePtr node = make(Op::Recommend, call);
    node->index = recommendIndex_.at(call.callee);
    for (size_t i = 0; i < decl.params.size(); ++i) {
      if (i < call.arguments.size()) {
        node->operands.push_back(lower(*call.arguments[i]));
      } else {
        node->operands.push_back(lower(*decl.params[i].defaultValue));
      }
    }
    return node;
  }
  NodePtr receiver;
  if (call.target != nullptr) receiver = lower(*call.target);
  if (isMacro(call)) {
    NodePtr node = macro(call, std::move(receiver));
    node->nullSafe = call.optionalChain;
    return node;
  }
  NodePtr node = make(Op::Builtin, call);
  if (call.signature != nullptr) {
    auto builtin = stdlib::builtinById(call.signature->id);
    if (!builtin) unexpected("built-in " + std::string(call.signature->id));
    node->builtin = *builtin;
  } else {
    // A `dyn` argument: the run-time types choose among the overloads.
    size_t arity = call.arguments.size();
    for (const auto& signature : stdlib::signatures()) {
      if (signature.name == call.function.text &&
          signature.receiver.empty() == (call.target == nullptr) &&
          signature.parameters.size() == arity) {
        if (auto builtin = stdlib::builtinById(signature.id)) node->overloads.push_back(*builtin);
      }
    }
    if (node->overloads.empty()) unexpected("call without overloads: " + call.function.text);
    node->builtin = node->overloads.front();
  }
  node->nullSafe = call.optionalChain;
  if (receiver != nullptr) node->operands.push_back(std::move(receiver));
  for (const auto& argument : call.arguments) node->operands.push_back(lower(*argument));
  return node;
}

NodePtr Lowering::macro(const ast::Call& call, NodePtr receiver) {
  NodePtr node = make(Op::Macro, call);
  node->macro = macroKind(call.function.text, call.arguments.size());
  node->operands.push_back(std::move(receiver));
  size_t variableIndex = node->macro == MacroKind::Top ? 1 : 0;
  if (node->macro == MacroKind::Top) node->operands.push_back(lower(*call.arguments[0]));
  const auto& variable = ast::as<ast::Ident>(*call.arguments[variableIndex]);
  node->slot = pushVariable(variable.name);
  for (size_t i = variableIndex + 1; i < call.arguments.size(); ++i) {
    node->operands.push_back(lower(*call.arguments[i]));
  }
  popVariable();
  return node;
}

NodePtr Lowering::binary(const ast::Binary& binary) {
  Op op = Op::Add;
  bool negated = false;
  switch (binary.op) {
    case ast::BinaryOp::Or: op = Op::Or; break;
    case ast::BinaryOp::And: op = Op::And; break;
    case ast::BinaryOp::Coalesce: op = Op::Coalesce; break;
    case ast::BinaryOp::Less: op = Op::Less; break;
    case ast::BinaryOp::LessEqual: op = Op::LessEqual; break;
    case ast::BinaryOp::Greater: op = Op::Greater; break;
    case ast::BinaryOp::GreaterEqual: op = Op::GreaterEqual; break;
    case ast::BinaryOp::Equal: op = Op::Equal; break;
    case ast::BinaryOp::NotEqual: op = Op::NotEqual; break;
    case ast::BinaryOp::In: op = Op::In; break;
    case ast::BinaryOp::NotIn: op = Op::In; negated = true; break;
    case ast::BinaryOp::Within: op = Op::Within; break;
    case ast::BinaryOp::Add: op = Op::Add; break;
    case ast::BinaryOp::Subtract: op = Op::Subtract; break;
    case ast::BinaryOp::Multiply: op = Op::Multiply; break;
    case ast::BinaryOp::Divide: op = Op::Divide; break;
    case ast::BinaryOp::Modulo: op = Op::Modulo; break;
  }
  NodePtr node = make(op, binary);
  node->operands.push_back(lower(*binary.lhs));
  node->operands.push_back(lower(*binary.rhs));
  if (!negated) return node;
  // `x not in c` is exactly `!(x in c)`.
  NodePtr negation = make(Op::Not, binary);
  negation->operands.push_back(std::move(node));
  return negation;
}

NodePtr Lowering::mapLiteral(const ast::MapLiteral& map) {
  const Type* type = map.type != nullptr ? map.type->unwrapped() : nullptr;
  if (type != nullptr && (type->is(TypeKind::Record) || type->is(TypeKind::Entity))) {
    const auto& record = ast::as<ast::RecordDecl>(*type->decl);
    NodePtr node = make(Op::MakeRecord, map);
    node->record = recordInfo(record);
    std::vector<NodePtr> fields(record.fields.size());
    for (const auto& [key, value] : map.entries) {
      std::string name = key->kind == ast::ExprKind::Ident ? ast::as<ast::Ident>(*key).name
                         : key->kind == ast::ExprKind::Literal
                             ? ast::as<ast::Literal>(*key).text
                             : std::string();
      for (size_t i = 0; i < record.fields.size(); ++i) {
        if (record.fields[i].name.text == name) fields[i] = lower(*value);
      }
    }
    for (auto& field : fields) {
      if (field == nullptr) field = constant(Value::null(), map);
      node->operands.push_back(std::move(field));
    }
    return node;
  }
  NodePtr node = make(Op::MakeMap, map);
  for (const auto& [key, value] : map.entries) {
    node->operands.push_back(lower(*key));
    node->operands.push_back(lower(*value));
  }
  return node;
}

}  // namespace

std::unique_ptr<ir::Program> lowerProgram(const std::vector<const ast::Script*>& scripts) {
  auto program = std::make_unique<ir::Program>();
  Lowering lowering(*program);
  lowering.collect(scripts);
  lowering.lowerDeclarations();
  return program;
}

LoweredExpression lowerExpression(
    const std::vector<const ast::Script*>& scripts, const ast::Expr& expression,
    const std::vector<std::pair<std::string, const ast::Type*>>& externals) {
  LoweredExpression result;
  result.program = std::make_unique<ir::Program>();
  Lowering lowering(*result.program);
  lowering.collect(scripts);
  for (const auto& [name, type] : externals) lowering.addExternal(name, type);
  lowering.lowerDeclarations();
  result.expression = lowering.lower(expression);
  return result;
}

LoweredExpressions lowerExpressions(const std::vector<const ast::Script*>& scripts,
                                    const std::vector<const ast::Expr*>& expressions) {
  LoweredExpressions result;
  result.program = std::make_unique<ir::Program>();
  Lowering lowering(*result.program);
  lowering.collect(scripts);
  lowering.lowerDeclarations();
  for (const ast::Expr* expression : expressions) {
    result.expressions.push_back(lowering.lower(*expression));
  }
  return result;
}

}  // namespace crm::lower
