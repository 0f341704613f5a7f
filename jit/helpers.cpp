#include "jit/helpers.h"

#include <bit>
#include <optional>

#include "interp/interpreter.h"
#include "runtime/decimal.h"
#include "runtime/store.h"

using crm::interp::Interpreter;
using crm::runtime::Value;
using crm::runtime::ValueKind;

namespace {

Interpreter& interp(void* p) { return *static_cast<Interpreter*>(p); }
Value& value(void* p) { return *static_cast<Value*>(p); }
const Value& value(const void* p) { return *static_cast<const Value*>(p); }

}  // namespace

extern "C" {

void* crm_jit_enter(void* interpreter, int64_t count) {
  return interp(interpreter).enterScratch(static_cast<size_t>(count));
}

void crm_jit_leave(void* interpreter) { interp(interpreter).leaveScratch(); }

int64_t crm_jit_customer_row(void* interpreter) {
  Interpreter& i = interp(interpreter);
  return i.hasCustomer() ? static_cast<int64_t>(i.customer()) : -1;
}

int64_t crm_jit_now(void* interpreter) { return interp(interpreter).now(); }

void crm_jit_fallback(void* interpreter, const void* node, void* out) {
  value(out) = interp(interpreter).walk(*static_cast<const crm::ir::Node*>(node));
}

void crm_jit_declaration(void* interpreter, int32_t index, void* out) {
  value(out) = interp(interpreter).declaration(static_cast<uint32_t>(index));
}

const void* crm_jit_declaration_value(void* interpreter, int32_t index) {
  return &interp(interpreter).declarationValue(static_cast<uint32_t>(index));
}

void* crm_jit_slot(void* interpreter, int32_t slot) {
  return &interp(interpreter).slot(static_cast<uint32_t>(slot));
}

void crm_jit_set_row(void* interpreter, int32_t slot, const void* table, int64_t row) {
  interp(interpreter).slot(static_cast<uint32_t>(slot)) =
      Value::row(static_cast<const crm::runtime::Table*>(table), static_cast<uint32_t>(row));
}

int8_t crm_jit_unbox(const void* v, int64_t* payload) {
  const Value& x = value(v);
  switch (x.kind()) {
    case ValueKind::Bool:
    case ValueKind::Int:
    case ValueKind::Date:
    case ValueKind::Timestamp:
    case ValueKind::Duration:
    case ValueKind::Enum:
      *payload = x.asInt();
      return 0;
    case ValueKind::Double:
      *payload = std::bit_cast<int64_t>(x.asDouble());
      return 0;
    case ValueKind::Null:
      return 1;
    default:
      return 2;
  }
}

void crm_jit_box(void* out, int32_t kind, int64_t payload, const void* info) {
  Value& o = value(out);
  ValueKind k = static_cast<ValueKind>(kind);
  switch (k) {
    case ValueKind::Bool: o.setScalar(k, payload != 0 ? 1 : 0); break;
    case ValueKind::Int:
    case ValueKind::Double:
    case ValueKind::Date:
    case ValueKind::Timestamp:
    case ValueKind::Duration: o.setScalar(k, payload); break;
    case ValueKind::Enum: o.setScalar(k, payload, info); break;
    default: o = Value::null(); break;
  }
}

void crm_jit_box_row(void* out, const void* table, int64_t row) {
  value(out) = Value::row(static_cast<const crm::runtime::Table*>(table), static_cast<uint32_t>(row));
}

void crm_jit_box_slice(void* out, const void* table, int64_t begin, int64_t end) {
  value(out) = Value::slice(static_cast<const crm::runtime::Table*>(table),
                            static_cast<uint32_t>(begin), static_cast<uint32_t>(end));
}

void crm_jit_copy(void* out, const void* v) { value(out) = value(v); }

int8_t crm_jit_decimal_arith(int32_t op, int64_t coefficient, int64_t scale,
                             int64_t otherCoefficient, int64_t otherScale,
                             int64_t* resultCoefficient, int64_t* resultScale) {
  crm::runtime::Decimal a{coefficient, static_cast<int32_t>(scale)};
  crm::runtime::Decimal b{otherCoefficient, static_cast<int32_t>(otherScale)};
  std::optional<crm::runtime::Decimal> result = op == 0   ? crm::runtime::addDecimal(a, b)
                                                : op == 1 ? crm::runtime::subtractDecimal(a, b)
                                                          : crm::runtime::multiplyDecimal(a, b);
  if (!result) return 1;
  *resultCoefficient = result->coefficient;
  *resultScale = result->scale;
  return 0;
}

int32_t crm_jit_decimal_compare(int64_t coefficient, int64_t scale, int64_t otherCoefficient,
                                int64_t otherScale) {
  auto order = crm::runtime::compareDecimal({coefficient, static_cast<int32_t>(scale)},
                                            {otherCoefficient, static_cast<int32_t>(otherScale)});
  if (order < 0) return -1;
  return order > 0 ? 1 : 0;
}

int8_t crm_jit_unbox_decimal(const void* v, int64_t* coefficient, int64_t* scale) {
  const Value& x = value(v);
  if (x.is(ValueKind::Decimal)) {
    *coefficient = x.asDecimal().coefficient;
    *scale = x.asDecimal().scale;
    return 0;
  }
  // An int where a decimal is expected stays an int in the interpreter,
  // which therefore evaluates what follows.
  return x.isNull() ? 1 : 2;
}

int8_t crm_jit_decimal_divide(int64_t coefficient, int64_t scale, int64_t count,
                              int64_t* resultCoefficient, int64_t* resultScale) {
  auto result = crm::runtime::divideDecimal({coefficient, static_cast<int32_t>(scale)},
                                            crm::runtime::decimalFromInt(count));
  if (!result) return 1;
  *resultCoefficient = result->coefficient;
  *resultScale = result->scale;
  return 0;
}

void crm_jit_box_decimal(void* out, int64_t coefficient, int64_t scale) {
  value(out) = Value::decimal({coefficient, static_cast<int32_t>(scale)});
}
}
