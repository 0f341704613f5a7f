// Type checking of calls: `has`, macros with a variable, recommendations and
// the built-in functions of stdlib/signatures.h.
#include <map>
#include <set>

#include "compiler/sema/checker.h"
#include "compiler/sema/helpers.h"
#include "compiler/lower/activity.h"
#include "stdlib/signatures.h"

namespace crm::sema::internal {

using ast::Type;
using ast::TypeKind;

namespace {

// A parsed signature pattern such as `list<T>` or `T?`.
struct Pattern {
  std::string name;
  std::vector<Pattern> arguments;
  bool optional = false;
};

Pattern parsePattern(std::string_view text, size_t& pos) {
  Pattern pattern;
  while (pos < text.size() && text[pos] == ' ') ++pos;
  while (pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[pos])) ||
                               text[pos] == '_')) {
    pattern.name += text[pos++];
  }
  if (pos < text.size() && text[pos] == '<') {
    ++pos;
    do {
      pattern.arguments.push_back(parsePattern(text, pos));
      while (pos < text.size() && text[pos] == ' ') ++pos;
    } while (pos < text.size() && text[pos++] == ',');
  }
  if (pos < text.size() && text[pos] == '?') {
    pattern.optional = true;
    ++pos;
  }
  return pattern;
}

const Pattern& patternFor(std::string_view text) {
  static std::map<std::string_view, Pattern> cache;
  auto found = cache.find(text);
  if (found == cache.end()) {
    size_t pos = 0;
    found = cache.emplace(text, parsePattern(text, pos)).first;
  }
  return found->second;
}

using Bindings = std::map<std::string, const Type*>;

// `P` stands for the catalog entity, which the checker binds before matching.
bool isTypeVariable(const std::string& name) {
  return name == "T" || name == "K" || name == "V" || name == "P";
}

bool mentionsCatalog(const stdlib::Signature& signature) {
  auto mentions = [](std::string_view pattern) {
    return pattern == "P" || pattern.find("<P>") != std::string_view::npos;
  };
  if (mentions(signature.receiver) || mentions(signature.result)) return true;
  for (std::string_view parameter : signature.parameters) {
    if (mentions(parameter)) return true;
  }
  return false;
}

// The position among the call's arguments of a level name, or -1.
int levelArgument(std::string_view id) {
  if (id == "favourite" || id == "favourite_weights_int" || id == "favourite_weights_double") {
    return 0;
  }
  if (id == "popular_within" || id == "popular_within_optional" || id == "list_diverse") return 1;
  return -1;
}

const Type* scalarNamed(const std::string& name, ast::TypeContext& types) {
  static const std::map<std::string, TypeKind> kScalars = {
      {"bool", TypeKind::Bool},         {"int", TypeKind::Int},
      {"double", TypeKind::Double},     {"decimal", TypeKind::Decimal},
      {"string", TypeKind::String},     {"date", TypeKind::Date},
      {"timestamp", TypeKind::Timestamp}, {"duration", TypeKind::Duration}};
  auto found = kScalars.find(name);
  return found == kScalars.end() ? nullptr : types.scalar(found->second);
}

// Binds the type variables of `pattern` that are still free to dyn.
void bindToDyn(const Pattern& pattern, Bindings& bindings, ast::TypeContext& types) {
  if (isTypeVariable(pattern.name)) {
    bindings.emplace(pattern.name, types.dyn());
  }
  for (const auto& argument : pattern.arguments) {
    bindToDyn(argument, bindings, types);
  }
}

// Whether `type` fits `pattern`, binding its type variables. A dyn value
// fits any pattern, and a variable bound to dyn takes any type.
bool matches(const Pattern& pattern, const Type* type, Bindings& bindings,
             ast::TypeContext& types) {
  if (type->isDyn()) {
    bindToDyn(pattern, bindings, types);
    return true;
  }
  if (pattern.optional) {
    if (!type->isOptional()) return false;
    type = type->unwrapped();
  }
  if (isTypeVariable(pattern.name)) {
    auto [it, inserted] = bindings.emplace(pattern.name, type);
    return inserted || it->second == type || it->second->isDyn();
  }
  if (const Type* scalar = scalarNamed(pattern.name, types)) {
    return scalar == type;
  }
  if (pattern.name == "list" || pattern.name == "set") {
    TypeKind kind = pattern.name == "list" ? TypeKind::List : TypeKind::Set;
    return type->is(kind) && matches(pattern.arguments[0], type->element, bindings, types);
  }
  if (pattern.name == "map") {
    return type->is(TypeKind::Map) && matches(pattern.arguments[0], type->element, bindings, types) &&
           matches(pattern.arguments[1], type->value, bindings, types);
  }
  return false;
}

const Type* substitute(const Pattern& pattern, const Bindings& bindings, ast::TypeContext& types) {
  const Type* result = nullptr;
  if (isTypeVariable(pattern.name)) {
    result = bindings.at(pattern.name);
  } else if (const Type* scalar = scalarNamed(pattern.name, types)) {
    result = scalar;
  } else if (pattern.name == "list") {
    result = types.list(substitute(pattern.arguments[0], bindings, types));
  } else if (pattern.name == "set") {
    result = types.set(substitute(pattern.arguments[0], bindings, types));
  } else {
    result = types.map(substitute(pattern.arguments[0], bindings, types),
                       substitute(pattern.arguments[1], bindings, types));
  }
  return pattern.optional ? types.optional(result) : result;
}

std::string describeSignature(const stdlib::Signature& signature) {
  std::string text;
  if (!signature.receiver.empty()) {
    text += std::string(signature.receiver) + ".";
  }
  text += std::string(signature.name) + "(";
  for (size_t i = 0; i < signature.parameters.size(); ++i) {
    text += (i > 0 ? ", " : "") + std::string(signature.parameters[i]);
  }
  return text + ") -> " + std::string(signature.result);
}

struct MacroShape {
  size_t arguments;     // including the variable
  size_t variableIndex; // position of the variable among the arguments
};

// Macros by name and argument count: `count()` without a variable is an
// ordinary method, `count(x, p)` a macro.
std::optional<MacroShape> macroShape(const std::string& name, size_t arguments) {
  static const std::map<std::string, std::vector<MacroShape>> kShapes = {
      {"all", {{2, 0}}},     {"exists", {{2, 0}}}, {"exists_one", {{2, 0}}},
      {"filter", {{2, 0}}},  {"map", {{2, 0}, {3, 0}}}, {"count", {{2, 0}}},
      {"sum", {{2, 0}}},     {"avg", {{2, 0}}},    {"min", {{2, 0}}},
      {"max", {{2, 0}}},     {"latest", {{2, 0}}}, {"earliest", {{2, 0}}},
      {"top", {{3, 1}}},
  };
  auto found = kShapes.find(name);
  if (found == kShapes.end()) return std::nullopt;
  for (const auto& shape : found->second) {
    if (shape.arguments == arguments) return shape;
  }
  return std::nullopt;
}

}  // namespace

bool Checker::isMacroCall(const ast::Call& call) const {
  auto shape = macroShape(call.function.text, call.arguments.size());
  return call.target != nullptr && shape &&
         call.arguments[shape->variableIndex]->kind == ast::ExprKind::Ident;
}

const Type* Checker::checkCall(ast::Call& call, const Type* expected) {
  if (call.target == nullptr && call.function.text == "has") {
    return checkHas(call);
  }
  if (call.target == nullptr) {
    auto global = globals_.find(call.function.text);
    if (global != globals_.end() && global->second->kind == ast::DeclKind::Recommend) {
      noteUse(global->second);
      return checkRecommendCall(call, ast::as<ast::RecommendDecl>(*global->second));
    }
    return checkBuiltin(call, nullptr);
  }

  const Type* receiver = check(*call.target);
  if (receiver->isError()) {
    for (auto& argument : call.arguments) {
      if (!isMacroCall(call)) check(*argument);
    }
    return receiver;
  }
  bool optionalResult = false;
  if (receiver->isOptional()) {
    auto path = pathOf(*call.target);
    if (call.optionalChain) {
      optionalResult = true;
    } else if (!(path && isNarrowed(*path))) {
      requireValue(*call.target, receiver, ("as the receiver of `" + call.function.text + "`").c_str());
      return types_.error();
    }
    receiver = receiver->unwrapped();
  }
  const Type* result = isMacroCall(call) ? checkMacro(call, receiver) : checkBuiltin(call, receiver);
  (void)expected;
  return optionalResult && !result->isError() ? types_.optional(result) : result;
}

const Type* Checker::checkHas(ast::Call& call) {
  if (call.arguments.size() != 1 || call.arguments[0]->kind != ast::ExprKind::Select) {
    diagnostics_.report(diag::Code::E0207, call.range,
                        "`has` takes one field selection, such as `has(customer.email)`");
    for (auto& argument : call.arguments) check(*argument);
    return types_.error();
  }
  auto& select = ast::as<ast::Select>(*call.arguments[0]);
  const Type* field = checkSelect(select, true);
  select.type = field;
  // As in CEL, has() also accepts a required field; it is then always true.
  return types_.boolean();
}

const Type* Checker::checkMacro(ast::Call& call, const Type* receiver) {
  const std::string& name = call.function.text;
  auto shape = *macroShape(name, call.arguments.size());
  if (!receiver->is(TypeKind::List) && !receiver->is(TypeKind::Set) &&
      !receiver->is(TypeKind::Map) && !receiver->isDyn()) {
    diagnostics_.report(diag::Code::E0207, call.function.range,
                        "`" + name + "` works on lists, sets and maps, not " + quoted(receiver));
    return types_.error();
  }
  const Type* element = receiver->isDyn() ? receiver : receiver->element;
  auto& variableExpr = ast::as<ast::Ident>(*call.arguments[shape.variableIndex]);
  variableExpr.binding = ast::Binding::Variable;
  variableExpr.type = element;

  const Type* countType = nullptr;
  if (name == "top") {
    countType = check(*call.arguments[0]);
    if (!countType->isError() && !countType->is(TypeKind::Int)) {
      diagnostics_.report(diag::Code::E0201, call.arguments[0]->range,
                          "the count of `top` must be an int, not " + quoted(countType));
    }
  }

  pushVariable({variableExpr.name, variableExpr.range}, element);
  std::vector<const Type*> bodies;
  for (size_t i = shape.variableIndex + 1; i < call.arguments.size(); ++i) {
    bodies.push_back(check(*call.arguments[i]));
  }
  popVariable();
  for (const Type* body : bodies) {
    if (body->isError()) return types_.error();
  }

  auto requireBool = [&](size_t index) {
    const Type* type = call.arguments[index]->type;
    if (!type->is(TypeKind::Bool) && !type->isDyn()) {
      diagnostics_.report(diag::Code::E0201, call.arguments[index]->range,
                          "the condition of `" + name + "` must be bool, not " + quoted(type))
          .withHelp(type->isOptional() ? "give a default with `?? false`" : "");
      return false;
    }
    return true;
  };
  auto requireOrderedKey = [&](size_t index, const char* role) -> const Type* {
    const Type* type = call.arguments[index]->type;
    if (!requireValue(*call.arguments[index], type, role)) return nullptr;
    if (!isOrdered(type)) {
      diagnostics_.report(diag::Code::E0201, call.arguments[index]->range,
                          "the key of `" + name + "` must be a number, string, date, timestamp "
                          "or duration, not " + quoted(type));
      return nullptr;
    }
    return type;
  };

  if (name == "all" || name == "exists" || name == "exists_one") {
    return requireBool(1) ? types_.boolean() : types_.error();
  }
  if (name == "filter") {
    return requireBool(1) ? types_.list(element) : types_.error();
  }
  if (name == "count") {
    return requireBool(1) ? types_.integer() : types_.error();
  }
  if (name == "map") {
    if (call.arguments.size() == 3 && !requireBool(1)) return types_.error();
    return types_.list(call.arguments.back()->type);
  }
  if (name == "sum" || name == "avg") {
    const Type* value = call.arguments[1]->type;
    if (!requireValue(*call.arguments[1], value, ("in `" + name + "`").c_str())) {
      return types_.error();
    }
    bool summable = value->isNumeric() || value->isDyn() ||
                    (name == "sum" && value->is(TypeKind::Duration));
    if (!summable) {
      diagnostics_.report(diag::Code::E0201, call.arguments[1]->range,
                          "`" + name + "` adds numbers, not " + quoted(value));
      return types_.error();
    }
    if (name == "sum") return value;
    return types_.optional(value->is(TypeKind::Int) ? types_.floating() : value);
  }
  if (name == "min" || name == "max") {
    const Type* key = requireOrderedKey(1, ("in `" + name + "`").c_str());
    return key != nullptr ? types_.optional(key) : types_.error();
  }
  if (name == "latest" || name == "earliest") {
    const Type* key = requireOrderedKey(1, ("as the key of `" + name + "`").c_str());
    return key != nullptr ? types_.optional(element) : types_.error();
  }
  // top(k, x, key)
  const Type* key = requireOrderedKey(2, "as the key of `top`");
  return key != nullptr ? types_.list(element) : types_.error();
}

const Type* Checker::checkRecommendCall(ast::Call& call, const ast::RecommendDecl& decl) {
  call.callee = &decl;
  ensureRecommendChecked(const_cast<ast::RecommendDecl&>(decl));
  size_t required = 0;
  for (const auto& param : decl.params) {
    if (param.defaultValue == nullptr) ++required;
  }
  if (call.arguments.size() < required || call.arguments.size() > decl.params.size()) {
    diagnostics_.report(diag::Code::E0204, call.range,
                        "`" + decl.name.text + "` takes " +
                            (required == decl.params.size()
                                 ? std::to_string(required)
                                 : std::to_string(required) + " to " +
                                       std::to_string(decl.params.size())) +
                            " arguments, not " + std::to_string(call.arguments.size()))
        .note(decl.name.range, "declared here");
  }
  for (size_t i = 0; i < call.arguments.size(); ++i) {
    const Type* want = i < decl.params.size() ? decl.params[i].type : nullptr;
    check(*call.arguments[i], want);
    if (want != nullptr && !want->isError()) {
      requireAssignable(*call.arguments[i], want,
                        "argument `" + decl.params[i].name.text + "` of `" + decl.name.text + "`");
    }
  }
  return decl.resultType != nullptr ? decl.resultType : types_.error();
}

const Type* Checker::checkBuiltin(ast::Call& call, const Type* receiver) {
  const std::string& name = call.function.text;
  std::vector<const stdlib::Signature*> candidates;
  for (const auto& signature : stdlib::signatures()) {
    if (signature.name == name && signature.receiver.empty() == (receiver == nullptr)) {
      candidates.push_back(&signature);
    }
  }
  if (candidates.empty() && (macroShape(name, 2) || macroShape(name, 3))) {
    diagnostics_.report(diag::Code::E0207, call.function.range,
                        "`" + name + "` needs a variable, as in `list." + name + "(x, ...)`");
    return types_.error();
  }
  std::vector<const Type*> arguments;
  bool argumentError = false;
  for (auto& argument : call.arguments) {
    const Type* type = check(*argument);
    argumentError = argumentError || type->isError();
    arguments.push_back(type);
  }
  if (candidates.empty()) {
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const auto& signature : stdlib::signatures()) {
      if (signature.receiver.empty() == (receiver == nullptr) &&
          seen.insert(std::string(signature.name)).second) {
        names.emplace_back(signature.name);
      }
    }
    for (const auto& macro : stdlib::macros()) {
      if (seen.insert(std::string(macro.name)).second) names.emplace_back(macro.name);
    }
    if (receiver == nullptr) {
      for (const auto& [globalName, decl] : globals_) {
        if (decl->kind == ast::DeclKind::Recommend) names.push_back(globalName);
      }
    }
    std::string message = receiver == nullptr
                              ? "unknown function `" + name + "`"
                              : "no method `" + name + "` on " + quoted(receiver);
    auto& diagnostic = diagnostics_.report(diag::Code::E0107, call.function.range, message);
    if (auto suggestion = diag::closestMatch(name, names)) {
      diagnostic.withHelp("did you mean `" + *suggestion + "`?");
    }
    return types_.error();
  }
  if (argumentError) {
    return types_.error();
  }
  // Without a dyn operand the first matching overload is chosen. A dyn
  // operand may fit several, and the call then keeps their common result
  // type, or dyn, while the overload is chosen at run time.
  bool dynamic = receiver != nullptr && receiver->isDyn();
  for (const Type* argument : arguments) dynamic = dynamic || argument->isDyn();
  const stdlib::Signature* chosen = nullptr;
  const Type* result = nullptr;
  for (const stdlib::Signature* signature : candidates) {
    if (signature->parameters.size() != arguments.size()) continue;
    Bindings bindings;
    if (mentionsCatalog(*signature)) {
      if (catalog_ == nullptr) {
        diagnostics_
            .report(diag::Code::E0108, call.function.range,
                    "`" + name + "` works on the catalog, but no catalog entity is declared")
            .withHelp(hasSchema()
                          ? "declare one with `catalog entity NAME key FIELD levels(A > B) { ... }`"
                          : "check the expression in a script's scope, as `crm eval --script "
                            "FILE` does");
        return types_.error();
      }
      bindings.emplace("P", types_.named(TypeKind::Entity, catalog_));
    }
    if (receiver != nullptr && !matches(patternFor(signature->receiver), receiver, bindings, types_)) {
      continue;
    }
    bool ok = true;
    for (size_t i = 0; i < arguments.size() && ok; ++i) {
      ok = matches(patternFor(signature->parameters[i]), arguments[i], bindings, types_);
    }
    if (!ok) continue;
    if ((signature->id == "list_min" || signature->id == "list_max") &&
        !isOrdered(bindings.at("T"))) {
      continue;
    }
    const Type* type = substitute(patternFor(signature->result), bindings, types_);
    if (!dynamic) {
      call.signature = signature;
      return checkRecommendationCall(call, *signature) ? type : types_.error();
    }
    if (result == nullptr) {
      chosen = signature;
      result = type;
    } else {
      chosen = nullptr;
      if (result != type) result = types_.dyn();
    }
  }
  if (result != nullptr) {
    call.signature = chosen;
    return result;
  }
  // An optional argument that would match once unwrapped gets the optional hint.
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i]->isOptional()) {
      requireValue(*call.arguments[i], arguments[i], ("as an argument of `" + name + "`").c_str());
      return types_.error();
    }
  }
  std::string actual = receiver != nullptr ? ast::toString(receiver) + "." : "";
  actual += name + "(";
  for (size_t i = 0; i < arguments.size(); ++i) {
    actual += (i > 0 ? ", " : "") + ast::toString(arguments[i]);
  }
  actual += ")";
  auto& diagnostic = diagnostics_.report(diag::Code::E0204, call.range,
                                         "`" + name + "` has no form that takes `" + actual + "`");
  std::string forms;
  for (size_t i = 0; i < candidates.size() && i < 6; ++i) {
    forms += (i > 0 ? "; " : "") + describeSignature(*candidates[i]);
  }
  if (candidates.size() > 6) {
    forms += "; and " + std::to_string(candidates.size() - 6) + " more in docs/language.md";
  }
  diagnostic.withHelp("the forms are: " + forms);
  return types_.error();
}

// The level argument of a recommendation function must be a string literal
// naming a catalog level, and viewed() and carted() need the event list.
bool Checker::checkRecommendationCall(ast::Call& call, const stdlib::Signature& signature) {
  const std::string& name = call.function.text;
  int level = levelArgument(signature.id);
  if (level >= 0 && catalog_ != nullptr) {
    const ast::Expr& argument = *call.arguments[static_cast<size_t>(level)];
    std::string levels;
    for (const auto& known : catalog_->levels) {
      levels += (levels.empty() ? "`" : ", `") + known.text + "`";
    }
    std::string help =
        levels.empty()
            ? "declare the levels on the catalog entity, as in `levels(department > category)`"
            : "the levels of `" + catalog_->name.text + "` are " + levels;
    const ast::Literal* literal = argument.kind == ast::ExprKind::Literal
                                      ? &ast::as<ast::Literal>(argument)
                                      : nullptr;
    if (literal == nullptr || literal->literalKind != ast::LiteralKind::String) {
      diagnostics_
          .report(diag::Code::E0115, argument.range,
                  "the level of `" + name + "` must be a string literal naming a catalog level")
          .withHelp(help);
      return false;
    }
    bool known = false;
    for (const auto& candidate : catalog_->levels) known = known || candidate.text == literal->text;
    if (!known) {
      diagnostics_.report(diag::Code::E0115, argument.range,
                          "'" + literal->text + "' is not a level of the catalog `" +
                              catalog_->name.text + "`")
          .withHelp(help);
      return false;
    }
  }
  if (signature.id == "viewed" || signature.id == "carted") {
    auto activity = lower::findActivityFields(customer_, catalog_);
    if (!activity.events || (signature.id == "carted" && activity.events->typeField < 0)) {
      diagnostics_.report(diag::Code::E0108, call.function.range,
                          "`" + name + "` reads the customer's events, but the customer has "
                          "no list of an event entity with " +
                              std::string(signature.id == "carted"
                                              ? "a catalog reference, an `at` timestamp and a "
                                                "`type` field"
                                              : "a catalog reference and an `at` timestamp"))
          .withHelp("declare `event entity E key ... { product: " +
                    (catalog_ != nullptr ? catalog_->name.text : std::string("Product")) +
                    ", at: timestamp, type: string }` and a field `events: list<E>` in the "
                    "customer");
      return false;
    }
  }
  return true;
}

}  // namespace crm::sema::internal
