#include "interp/interpreter.h"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>

#include "runtime/field_read.h"
#include "runtime/operators.h"
#include "runtime/time.h"

namespace crm::interp {

using ir::MacroKind;
using ir::Node;
using ir::Op;
using runtime::ErrorKind;
using runtime::ValueKind;

namespace {

enum : uint8_t { kNotComputed = 0, kComputing = 1, kDone = 2 };

Value typeError(const char* what, const Value& value) {
  return Value::error(ErrorKind::NoMatchingOverload,
                      std::string(what) + " does not apply to " + valueKindName(value.kind()));
}

// The keys of a map as a list, for macros, which iterate over keys.
Value iterable(const Value& value) {
  if (!value.is(ValueKind::Map)) return value;
  std::vector<Value> keys;
  for (const auto& entry : value.asMap().entries) keys.push_back(entry.first);
  return Value::list(std::move(keys));
}

Value zeroOf(const ast::Type* type) {
  switch (type != nullptr ? type->unwrapped()->kind : ast::TypeKind::Int) {
    case ast::TypeKind::Double: return Value::floating(0);
    case ast::TypeKind::Decimal: return Value::decimal({0, 0});
    case ast::TypeKind::Duration: return Value::duration(0);
    default: return Value::integer(0);
  }
}

}  // namespace

Interpreter::Interpreter(const ir::Program& program, const runtime::Store* store, int64_t now)
    : program_(program), store_(store), now_(now) {
  if (store_ != nullptr) {
    if (!program.customerEntity.empty()) customers_ = store_->table(program.customerEntity);
    if (!program.catalogEntity.empty()) catalog_ = store_->table(program.catalogEntity);
  }
  frame_.resize(program.slotCount);
  cache_.resize(program.declarations.size());
  state_.assign(program.declarations.size(), kNotComputed);
}

void Interpreter::setCustomer(uint32_t row) {
  customerRow_ = row;
  customerSet_ = true;
  // After an exception in native code, its scratch levels were not left.
  scratchDepth_ = 0;
  macroVisits_ = 0;
  std::fill(state_.begin(), state_.end(), kNotComputed);
}

void Interpreter::setNativeCode(const NativeCode* code) {
  native_ = code;
  declarationCode_.assign(program_.declarations.size(), nullptr);
  if (code == nullptr) return;
  for (size_t i = 0; i < program_.declarations.size(); ++i) {
    declarationCode_[i] = code->find(*program_.declarations[i].value);
  }
}

Value Interpreter::evaluate(const Node& node, const void* code) {
  macroVisits_ = 0;
  if (code == nullptr) return eval(node);
  Value out;
  native_->run(code, *this, out);
  return out;
}

Value* Interpreter::enterScratch(size_t count) {
  if (scratchDepth_ == scratch_.size()) scratch_.emplace_back();
  Scratch& level = scratch_[scratchDepth_++];
  if (level.values.size() < count) level.values.resize(count);
  level.used = count;
  return level.values.data();
}

void Interpreter::leaveScratch() {
  Scratch& level = scratch_[--scratchDepth_];
  // Releases what this call's values hold, such as lists built for one
  // customer. A level is as large as its largest call, and most calls use
  // a few values of it.
  std::fill_n(level.values.begin(), level.used, Value());
}

const Value& Interpreter::declarationValue(uint32_t index) {
  if (state_[index] == kDone) return cache_[index];
  if (state_[index] == kComputing) {
    cycle_ = Value::error(ErrorKind::InvalidArgument,
                          "`" + program_.declarations[index].name + "` depends on itself");
    return cycle_;
  }
  state_[index] = kComputing;
  // Each declaration counts its own macro visits, whichever reader asks
  // first, as each compiled root does.
  size_t readerVisits = macroVisits_;
  Value value = evaluate(*program_.declarations[index].value,
                         declarationCode_.empty() ? nullptr : declarationCode_[index]);
  macroVisits_ = readerVisits;
  cache_[index] = std::move(value);
  state_[index] = kDone;
  return cache_[index];
}

Value Interpreter::triggerFires(uint32_t index) {
  return triggerEvents(index, std::numeric_limits<int64_t>::min(), nullptr);
}

Value Interpreter::triggerEvents(uint32_t index, int64_t since, std::vector<FiredEvent>* fired) {
  const ir::Trigger& trigger = program_.triggers[index];
  if (!trigger.problem.empty()) return Value::error(ErrorKind::InvalidArgument, trigger.problem);
  if (customers_ == nullptr || !customerSet_) return Value::boolean(false);
  Value stream = runtime::readField(*customers_, trigger.stream, customerRow_);
  if (stream.isError()) return stream;
  Value firstError;
  Value saved = frame_[trigger.slot];
  bool any = false;
  for (size_t i = 0; i < stream.listSize() && (fired != nullptr || !any); ++i) {
    Value element = stream.listAt(i);
    frame_[trigger.slot] = element;
    int64_t due = 0;
    Value fires = elementFires(trigger, due);
    if (fires.isError()) {
      if (!firstError.isError()) firstError = fires;
    } else if (fires.asBool() && due > since) {
      any = true;
      if (fired != nullptr) {
        // An entity row is named by its key; a record by its position in
        // the stream and its time.
        std::string id = element.is(ValueKind::Row) && !element.isUnresolvedRow()
                             ? element.table()->keyText(element.rowIndex())
                             : std::to_string(i) + "@" + runtime::formatTimestamp(due);
        // Several elements may share a key, as the lines of one basket do.
        bool seen = std::any_of(fired->begin(), fired->end(),
                                [&](const FiredEvent& event) { return event.id == id; });
        if (!seen) fired->push_back({std::move(id), due});
      }
    }
  }
  frame_[trigger.slot] = saved;
  if (any) return Value::boolean(true);
  return firstError.isError() ? firstError : Value::boolean(false);
}

// Whether the element in the trigger's slot makes it fire.
Value Interpreter::elementFires(const ir::Trigger& trigger, int64_t& dueAt) {
  for (const ir::Node* condition : {trigger.on.get(), trigger.when.get()}) {
    if (condition == nullptr) continue;
    Value holds = eval(*condition);
    if (holds.isError() || !holds.asBool()) return holds;
  }
  // Without its time an element is never due: firing it at every run would
  // handle events of any age.
  if (trigger.time == nullptr) {
    return Value::error(ErrorKind::InvalidArgument,
                        "trigger `" + trigger.name + "` needs an `at` field on its elements");
  }
  Value at = eval(*trigger.time);
  if (at.isError()) return at;
  if (at.isNull()) return Value::boolean(false);

  // Due at `at`, plus the delay when there is one; not before.
  Value due = at;
  if (trigger.after != nullptr) {
    Value after = eval(*trigger.after);
    if (after.isError()) return after;
    if (after.asInt() < 0) {
      return Value::error(ErrorKind::InvalidArgument,
                          "trigger `" + trigger.name + "` has a negative delay: " +
                              runtime::formatDuration(after.asInt()));
    }
    due = runtime::add(at, after);
    if (due.isError()) return due;
  }
  if (due.asInt() > now_) return Value::boolean(false);
  dueAt = due.asInt();
  if (!trigger.hasUnless) return Value::boolean(true);

  Value window = trigger.unlessWindow != nullptr ? eval(*trigger.unlessWindow) : Value::duration(0);
  Value end = runtime::add(at, window);
  if (end.isError()) return end;
  int64_t until = std::min(end.asInt(), now_);
  Value others = runtime::readField(*customers_, trigger.unlessStream, customerRow_);
  if (others.isError()) return others;
  Value saved = frame_[trigger.unlessSlot];
  Value result = Value::boolean(true);
  for (size_t j = 0; j < others.listSize(); ++j) {
    frame_[trigger.unlessSlot] = others.listAt(j);
    if (trigger.unlessCondition != nullptr) {
      Value holds = eval(*trigger.unlessCondition);
      if (holds.isError()) {
        result = holds;
        break;
      }
      if (!holds.asBool()) continue;
    }
    Value otherAt = eval(*trigger.unlessTime);
    if (otherAt.isError()) {
      result = otherAt;
      break;
    }
    if (otherAt.asInt() > at.asInt() && otherAt.asInt() <= until) {
      result = Value::boolean(false);
      break;
    }
  }
  frame_[trigger.unlessSlot] = saved;
  return result;
}

Value Interpreter::eval(const Node& node) {
  switch (node.op) {
    case Op::Constant:
      return node.constant;
    case Op::Now:
      return Value::timestamp(now_);
    case Op::Customer:
      if (customers_ == nullptr || !customerSet_) {
        return Value::error(ErrorKind::InvalidArgument,
                            "no customer is selected; `crm eval` takes one with --customer ID");
      }
      return Value::row(customers_, customerRow_);
    case Op::Catalog:
      if (catalog_ == nullptr) return Value::list({});
      return Value::slice(catalog_, 0, static_cast<uint32_t>(catalog_->rowCount));
    case Op::Variable:
    case Op::External:
      return frame_[node.slot];
    case Op::Declaration:
      return declaration(node.index);

    case Op::Field:
    case Op::RecordField:
    case Op::MapKey:
      return field(node);
    case Op::Has:
      return has(node);
    case Op::Index:
      return index(node);
    case Op::MakeList: {
      std::vector<Value> items;
      items.reserve(node.operands.size());
      for (const auto& operand : node.operands) {
        Value item = eval(*operand);
        if (item.isError()) return item;
        items.push_back(std::move(item));
      }
      return Value::list(std::move(items));
    }
    case Op::MakeMap:
      return makeMap(node);
    case Op::MakeRecord: {
      std::vector<Value> fields;
      fields.reserve(node.operands.size());
      for (const auto& operand : node.operands) {
        Value item = eval(*operand);
        if (item.isError()) return item;
        fields.push_back(std::move(item));
      }
      return Value::record(node.record, std::move(fields));
    }

    case Op::Not: {
      Value operand = eval(*node.operands[0]);
      if (operand.isError()) return operand;
      if (!operand.is(ValueKind::Bool)) return typeError("`!`", operand);
      return Value::boolean(!operand.asBool());
    }
    case Op::Negate:
      return runtime::negate(eval(*node.operands[0]));
    case Op::And:
      return logical(node, true);
    case Op::Or:
      return logical(node, false);
    case Op::Conditional: {
      Value condition = eval(*node.operands[0]);
      if (condition.isError()) return condition;
      if (!condition.is(ValueKind::Bool)) return typeError("`? :`", condition);
      return eval(*node.operands[condition.asBool() ? 1 : 2]);
    }
    case Op::Coalesce: {
      Value value = eval(*node.operands[0]);
      if (!value.isNull()) return value;
      return eval(*node.operands[1]);
    }
    case Op::Equal:
      return runtime::equals(eval(*node.operands[0]), eval(*node.operands[1]));
    case Op::NotEqual: {
      Value same = runtime::equals(eval(*node.operands[0]), eval(*node.operands[1]));
      return same.isError() ? same : Value::boolean(!same.asBool());
    }
    case Op::Less:
      return runtime::ordered(runtime::Ordering::Less, eval(*node.operands[0]),
                              eval(*node.operands[1]));
    case Op::LessEqual:
      return runtime::ordered(runtime::Ordering::LessEqual, eval(*node.operands[0]),
                              eval(*node.operands[1]));
    case Op::Greater:
      return runtime::ordered(runtime::Ordering::Greater, eval(*node.operands[0]),
                              eval(*node.operands[1]));
    case Op::GreaterEqual:
      return runtime::ordered(runtime::Ordering::GreaterEqual, eval(*node.operands[0]),
                              eval(*node.operands[1]));
    case Op::In: {
      Value element = eval(*node.operands[0]);
      return runtime::contains(eval(*node.operands[1]), element);
    }
    case Op::Within: {
      Value time = eval(*node.operands[0]);
      return runtime::within(time, eval(*node.operands[1]), now_);
    }
    case Op::Add:
      return runtime::add(eval(*node.operands[0]), eval(*node.operands[1]));
    case Op::Subtract:
      return runtime::subtract(eval(*node.operands[0]), eval(*node.operands[1]));
    case Op::Multiply:
      return runtime::multiply(eval(*node.operands[0]), eval(*node.operands[1]));
    case Op::Divide:
      return runtime::divide(eval(*node.operands[0]), eval(*node.operands[1]));
    case Op::Modulo:
      return runtime::modulo(eval(*node.operands[0]), eval(*node.operands[1]));

    case Op::Builtin:
      return builtin(node);
    case Op::Macro:
      return macro(node);
    case Op::Recommend:
      return recommend(node);
  }
  return Value::error(ErrorKind::InvalidArgument, "unknown operation");
}

Value Interpreter::field(const Node& node) {
  Value operand = eval(*node.operands[0]);
  if (operand.isError()) return operand;
  if (operand.isNull()) {
    if (node.nullSafe) return Value::null();
    return Value::error(ErrorKind::InvalidArgument, "selecting a field of null");
  }
  switch (node.op) {
    case Op::Field:
      if (!operand.is(ValueKind::Row)) return typeError("field selection", operand);
      if (operand.isUnresolvedRow()) {
        return Value::error(ErrorKind::UnresolvedReference, operand.asUnresolved().message);
      }
      return runtime::readField(*operand.table(), node.index, operand.rowIndex(), node.enumInfo);
    case Op::RecordField:
      if (!operand.is(ValueKind::Record)) return typeError("field selection", operand);
      return operand.asRecord().fields[node.index];
    default: {
      if (!operand.is(ValueKind::Map)) return typeError("field selection", operand);
      for (const auto& [key, value] : operand.asMap().entries) {
        if (key.is(ValueKind::String) && key.asString() == node.constant.asString()) return value;
      }
      return Value::error(ErrorKind::NoSuchKey,
                          "no such key: '" + std::string(node.constant.asString()) + "'");
    }
  }
}

Value Interpreter::has(const Node& node) {
  const Node& access = *node.operands[0];
  Value operand = eval(*access.operands[0]);
  if (operand.isError()) return operand;
  if (operand.isNull()) return Value::boolean(false);
  switch (access.op) {
    case Op::Field:
      if (!operand.is(ValueKind::Row)) return typeError("has()", operand);
      if (operand.isUnresolvedRow()) {
        return Value::error(ErrorKind::UnresolvedReference, operand.asUnresolved().message);
      }
      return Value::boolean(
          runtime::fieldPresent(*operand.table(), access.index, operand.rowIndex()));
    case Op::RecordField:
      if (!operand.is(ValueKind::Record)) return typeError("has()", operand);
      return Value::boolean(!operand.asRecord().fields[access.index].isNull());
    default:
      if (!operand.is(ValueKind::Map)) return typeError("has()", operand);
      for (const auto& entry : operand.asMap().entries) {
        if (entry.first.is(ValueKind::String) &&
            entry.first.asString() == access.constant.asString()) {
          return Value::boolean(true);
        }
      }
      return Value::boolean(false);
  }
}

Value Interpreter::index(const Node& node) {
  Value collection = eval(*node.operands[0]);
  if (collection.isError()) return collection;
  Value key = eval(*node.operands[1]);
  if (key.isError()) return key;
  if (collection.is(ValueKind::List)) {
    if (!key.is(ValueKind::Int)) return typeError("a list index", key);
    int64_t i = key.asInt();
    if (i < 0 || static_cast<uint64_t>(i) >= collection.listSize()) {
      return Value::error(ErrorKind::IndexOutOfRange,
                          "index " + std::to_string(i) + " is out of range for a list of " +
                              std::to_string(collection.listSize()) + " elements");
    }
    return collection.listAt(static_cast<size_t>(i));
  }
  if (collection.is(ValueKind::Map)) {
    for (const auto& [entryKey, value] : collection.asMap().entries) {
      Value same = runtime::equals(entryKey, key);
      if (!same.isError() && same.asBool()) return value;
    }
    return Value::error(ErrorKind::NoSuchKey, "no such key: " + runtime::displayText(key));
  }
  return typeError("indexing", collection);
}

Value Interpreter::makeMap(const Node& node) {
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(node.operands.size() / 2);
  for (size_t i = 0; i + 1 < node.operands.size(); i += 2) {
    Value key = eval(*node.operands[i]);
    if (key.isError()) return key;
    Value value = eval(*node.operands[i + 1]);
    if (value.isError()) return value;
    for (const auto& entry : entries) {
      Value same = runtime::equals(entry.first, key);
      if (!same.isError() && same.asBool()) {
        return Value::error(ErrorKind::InvalidArgument,
                            "the map literal repeats the key " + runtime::displayText(key));
      }
    }
    entries.emplace_back(std::move(key), std::move(value));
  }
  return Value::map(std::move(entries));
}

// `&&` and `||` skip the right side when the left one decides.
Value Interpreter::logical(const Node& node, bool isAnd) {
  Value left = eval(*node.operands[0]);
  if (left.is(ValueKind::Bool) && left.asBool() != isAnd) return left;
  return runtime::combineLogical(isAnd, left, eval(*node.operands[1]));
}

Value Interpreter::macro(const Node& node) {
  Value receiver = eval(*node.operands[0]);
  if (receiver.isError()) return receiver;
  if (receiver.isNull()) {
    if (node.nullSafe) return Value::null();
    return Value::error(ErrorKind::InvalidArgument, "a macro over null");
  }
  if (!receiver.is(ValueKind::List) && !receiver.is(ValueKind::Map)) {
    return typeError("a macro", receiver);
  }
  Value list = iterable(receiver);
  Value saved = frame_[node.slot];
  Value result;
  const size_t n = list.listSize();
  switch (node.macro) {
    case MacroKind::All:
    case MacroKind::Exists: {
      // all: a false element decides; exists: a true one does. Otherwise the
      // first error, otherwise the default.
      bool decisive = node.macro == MacroKind::Exists;
      Value firstError;
      result = Value::boolean(!decisive);
      for (size_t i = 0; i < n; ++i) {
        if (overVisitLimit(node, firstError)) break;
        frame_[node.slot] = list.listAt(i);
        Value v = eval(*node.operands[1]);
        if (v.isError()) {
          if (!firstError.isError()) firstError = v;
        } else if (v.asBool() == decisive) {
          result = Value::boolean(decisive);
          firstError = Value();
          break;
        }
      }
      if (firstError.isError()) result = firstError;
      break;
    }
    case MacroKind::ExistsOne: {
      int64_t matches = 0;
      result = Value();
      for (size_t i = 0; i < n && !result.isError(); ++i) {
        if (overVisitLimit(node, result)) break;
        frame_[node.slot] = list.listAt(i);
        Value v = eval(*node.operands[1]);
        if (v.isError()) result = v;
        else if (v.asBool()) ++matches;
      }
      if (!result.isError()) result = Value::boolean(matches == 1);
      break;
    }
    case MacroKind::Map:
    case MacroKind::FilterMap:
    case MacroKind::Filter: {
      std::vector<Value> items;
      result = Value();
      for (size_t i = 0; i < n; ++i) {
        if (overVisitLimit(node, result)) break;
        Value element = list.listAt(i);
        frame_[node.slot] = element;
        if (node.macro != MacroKind::Map) {
          Value keep = eval(*node.operands[1]);
          if (keep.isError()) {
            result = keep;
            break;
          }
          if (!keep.asBool()) continue;
        }
        if (node.macro == MacroKind::Filter) {
          items.push_back(std::move(element));
          continue;
        }
        Value mapped = eval(*node.operands.back());
        if (mapped.isError()) {
          result = mapped;
          break;
        }
        items.push_back(std::move(mapped));
      }
      if (!result.isError()) result = Value::list(std::move(items));
      break;
    }
    case MacroKind::Count: {
      int64_t count = 0;
      result = Value();
      for (size_t i = 0; i < n; ++i) {
        if (overVisitLimit(node, result)) break;
        frame_[node.slot] = list.listAt(i);
        Value v = eval(*node.operands[1]);
        if (v.isError()) {
          result = v;
          break;
        }
        if (v.asBool()) ++count;
      }
      if (!result.isError()) result = Value::integer(count);
      break;
    }
    case MacroKind::Top:
      result = top(node, list);
      break;
    default:
      result = aggregate(node, list);
      break;
  }
  frame_[node.slot] = saved;
  return result;
}

bool Interpreter::overVisitLimit(const Node& node, Value& error) {
  if (++macroVisits_ <= runtime::kMaxMacroVisits) return false;
  static const char* const kNames[] = {"all", "exists", "exists_one", "map", "map", "filter",
                                       "count", "sum", "avg", "min", "max", "latest",
                                       "earliest", "top"};
  static_assert(std::size(kNames) == static_cast<size_t>(MacroKind::Top) + 1);
  bool builds = node.macro == MacroKind::Map || node.macro == MacroKind::FilterMap ||
                node.macro == MacroKind::Filter;
  error = Value::error(ErrorKind::Range,
                       "`" + std::string(kNames[static_cast<size_t>(node.macro)]) + "` would " +
                           (builds ? "build" : "visit") + " more than " +
                           std::to_string(runtime::kMaxMacroVisits) +
                           " list elements in one evaluation; nest fewer macros or filter the "
                           "lists first");
  return true;
}

// sum, avg, min, max, latest and earliest over the body's values.
Value Interpreter::aggregate(const Node& node, const Value& list) {
  const size_t n = list.listSize();
  const Node& body = *node.operands[1];
  Value limit;
  switch (node.macro) {
    case MacroKind::Sum: {
      Value total = zeroOf(node.type);
      for (size_t i = 0; i < n; ++i) {
        if (overVisitLimit(node, limit)) return limit;
        frame_[node.slot] = list.listAt(i);
        total = runtime::add(total, eval(body));
        if (total.isError()) return total;
      }
      return total;
    }
    case MacroKind::Avg: {
      if (n == 0) return Value::null();
      // A decimal average widens the ints that a decimal body may give (a
      // conditional with an int branch) into its exact total.
      if (node.type != nullptr && node.type->unwrapped()->is(ast::TypeKind::Decimal)) {
        Value total = Value::decimal({0, 0});
        for (size_t i = 0; i < n; ++i) {
          if (overVisitLimit(node, limit)) return limit;
          frame_[node.slot] = list.listAt(i);
          total = runtime::add(total, eval(body));
          if (total.isError()) return total;
        }
        return runtime::divide(total, Value::integer(static_cast<int64_t>(n)));
      }
      // Ints average as a double; summing in long double avoids a spurious
      // overflow of the intermediate total.
      long double intTotal = 0;
      Value total;
      for (size_t i = 0; i < n; ++i) {
        if (overVisitLimit(node, limit)) return limit;
        frame_[node.slot] = list.listAt(i);
        Value v = eval(body);
        if (v.isError()) return v;
        if (v.is(ValueKind::Int)) {
          intTotal += static_cast<long double>(v.asInt());
        } else {
          total = total.isNull() ? v : runtime::add(total, v);
          if (total.isError()) return total;
        }
      }
      if (total.isNull()) return Value::floating(static_cast<double>(intTotal / n));
      if (total.is(ValueKind::Double)) return Value::floating(total.asDouble() / n);
      return runtime::divide(total, Value::integer(static_cast<int64_t>(n)));
    }
    case MacroKind::Min:
    case MacroKind::Max:
    case MacroKind::Latest:
    case MacroKind::Earliest: {
      bool greatest = node.macro == MacroKind::Max || node.macro == MacroKind::Latest;
      bool returnElement = node.macro == MacroKind::Latest || node.macro == MacroKind::Earliest;
      Value best;
      Value bestElement;
      for (size_t i = 0; i < n; ++i) {
        if (overVisitLimit(node, limit)) return limit;
        Value element = list.listAt(i);
        frame_[node.slot] = element;
        Value key = eval(body);
        if (key.isError()) return key;
        if (key.isNull()) continue;
        if (!best.isNull()) {
          bool unordered = false;
          int c = runtime::compare(key, best, unordered);
          if (unordered || (greatest ? c <= 0 : c >= 0)) continue;
        }
        best = std::move(key);
        bestElement = std::move(element);
      }
      return returnElement ? bestElement : best;
    }
    default:
      return Value::error(ErrorKind::InvalidArgument, "unknown aggregate");
  }
}

// top(k, x, key): the k elements with the greatest keys, greatest first;
// equal keys keep list order.
Value Interpreter::top(const Node& node, const Value& list) {
  Value count = eval(*node.operands[1]);
  if (count.isError()) return count;
  if (count.asInt() < 0) {
    return Value::error(ErrorKind::InvalidArgument,
                        "`top` needs a count of 0 or more, not " + std::to_string(count.asInt()));
  }
  const size_t n = list.listSize();
  std::vector<Value> elements;
  std::vector<Value> keys;

  elements.reserve(n);
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Value limit;
    if (overVisitLimit(node, limit)) return limit;
    Value element = list.listAt(i);
    frame_[node.slot] = element;
    Value key = eval(*node.operands[2]);
    if (key.isError()) return key;
    elements.push_back(std::move(element));
    keys.push_back(std::move(key));
  }

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    bool unordered = false;
    return runtime::compare(keys[a], keys[b], unordered) > 0;
  });
  size_t k = std::min(n, static_cast<size_t>(count.asInt()));
  std::vector<Value> result;
  result.reserve(k);
  for (size_t i = 0; i < k; ++i) result.push_back(elements[order[i]]);
  return Value::list(std::move(result));
}

Value Interpreter::recommend(const Node& node) {
  const ir::Recommend& callee = program_.recommends[node.index];
  std::vector<Value> arguments;
  arguments.reserve(node.operands.size());
  for (const auto& operand : node.operands) {
    Value argument = eval(*operand);
    if (argument.isError()) return argument;
    arguments.push_back(std::move(argument));
  }
  std::vector<Value> saved;
  saved.reserve(arguments.size());
  for (size_t i = 0; i < arguments.size(); ++i) {
    saved.push_back(std::move(frame_[callee.parameterSlots[i]]));
    frame_[callee.parameterSlots[i]] = std::move(arguments[i]);
  }
  Value result = eval(*callee.body);
  for (size_t i = 0; i < saved.size(); ++i) frame_[callee.parameterSlots[i]] = std::move(saved[i]);
  return result;
}

Value Interpreter::builtin(const Node& node) {
  std::array<Value, 4> arguments;
  size_t count = std::min(node.operands.size(), arguments.size());
  for (size_t i = 0; i < count; ++i) {
    arguments[i] = eval(*node.operands[i]);
    if (arguments[i].isError()) return arguments[i];
    if (i == 0 && node.nullSafe && arguments[0].isNull()) return Value::null();
  }
  stdlib::BuiltinContext context;
  context.now = now_;
  context.store = store_;
  context.activity = &program_.activity;
  if (customers_ != nullptr && customerSet_) {
    context.customers = customers_;
    context.customer = customerRow_;
  }
  stdlib::Builtin chosen = node.builtin;
  if (!node.overloads.empty()) {
    auto it = std::find_if(node.overloads.begin(), node.overloads.end(), [&](stdlib::Builtin b) {
      return stdlib::accepts(b, arguments.data(), count);
    });
    if (it == node.overloads.end()) {
      return Value::error(ErrorKind::NoMatchingOverload,
                          "no overload of `" + std::string(stdlib::builtinName(node.builtin)) +
                              "` takes these argument types");
    }
    chosen = *it;
  }
  return stdlib::callBuiltin(chosen, arguments.data(), count, context);
}

// ------------------------------------------------------------ constant folding

namespace {

bool foldable(const Node& node) {
  switch (node.op) {
    case Op::Constant:
    case Op::Now:
    case Op::Customer:
    case Op::Catalog:
    case Op::Variable:
    case Op::External:
    case Op::Declaration:
    case Op::Macro:
    case Op::Recommend:
    case Op::Within:  // reads the run's instant
      return false;
    case Op::Builtin:
      return !stdlib::readsRunState(node.builtin);
    default:
      return true;
  }
}

}  // namespace

void foldConstants(ir::NodePtr& node) {
  // The field access under `has` stays an access: only its operand folds.
  auto& inputs = node->op == Op::Has ? node->operands[0]->operands : node->operands;
  for (auto& operand : inputs) foldConstants(operand);
  if (!foldable(*node)) return;
  for (const auto& operand : inputs) {
    if (operand->op != Op::Constant) return;
  }
  static const ir::Program kEmpty;
  Interpreter interpreter(kEmpty, nullptr, 0);
  Value value = interpreter.evaluate(*node);
  // An error stays in place, so that it is reported for each customer with
  // its context.
  if (value.isError()) return;
  auto folded = std::make_unique<Node>();
  folded->op = Op::Constant;
  folded->type = node->type;
  folded->range = node->range;
  folded->constant = std::move(value);
  node = std::move(folded);
}

void foldConstants(ir::Program& program) {
  for (auto& declaration : program.declarations) foldConstants(declaration.value);
  for (auto& recommend : program.recommends) foldConstants(recommend.body);
  for (auto& channel : program.channels) {
    if (channel.reachable) foldConstants(channel.reachable);
  }
  for (auto& trigger : program.triggers) {
    for (ir::NodePtr* part : {&trigger.on, &trigger.when, &trigger.after,
                              &trigger.unlessCondition, &trigger.unlessWindow}) {
      if (*part) foldConstants(*part);
    }
  }
  for (auto& campaign : program.campaigns) {
    for (ir::NodePtr* part : {&campaign.audience, &campaign.offer, &campaign.priority,
                              &campaign.expectedValue}) {
      if (*part) foldConstants(*part);
    }
  }
}

}  // namespace crm::interp
