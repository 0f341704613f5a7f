// The functions that generated code calls, as plain C symbols. They are the
// bridge from native code to the interpreter (fallback evaluation, lets and
// segments, variables) and to Values (boxing and unboxing scalars).
#pragma once

#include <cstdint>

namespace crm::jit {

// The column arrays of one field of one table, as the generated code reads
// them. `native` is 1 when the arrays cover every row of the table, so the
// code may index them. Otherwise the code leaves the read to the interpreter.
struct ColumnData {
  const int64_t* ints;
  const double* doubles;
  const uint64_t* nullBits;
  const uint32_t* offsets;
  const void* decimals;  // runtime::Decimal values, 16 bytes each
  const uint32_t* strings;  // ids into the column's string pool
  int64_t native;
};

struct TableData {
  const void* table;  // runtime::Table
  int64_t rowCount;
};

}  // namespace crm::jit

extern "C" {

// Scratch values for one call of a native root, released by crm_jit_leave.
void* crm_jit_enter(void* interpreter, int64_t count);
void crm_jit_leave(void* interpreter);

// The customer's row, or -1 when no customer is selected.
int64_t crm_jit_customer_row(void* interpreter);
int64_t crm_jit_now(void* interpreter);

// Evaluates `node` (an ir::Node) with the interpreter into `out`.
void crm_jit_fallback(void* interpreter, const void* node, void* out);
// The let or segment `index` of the current customer, into `out`.
void crm_jit_declaration(void* interpreter, int32_t index, void* out);
// The same as the interpreter's cached Value, to unbox at once: the
// pointer is good until the next evaluation.
const void* crm_jit_declaration_value(void* interpreter, int32_t index);
// The Value in variable slot `slot`.
void* crm_jit_slot(void* interpreter, int32_t slot);
// Sets variable slot `slot` to row `row` of `table`, for the interpreter.
void crm_jit_set_row(void* interpreter, int32_t slot, const void* table, int64_t row);

// 0 for a scalar (its payload in *payload: the int, or the double's bits),
// 1 for null, 2 for anything else (an error, a list...).
int8_t crm_jit_unbox(const void* value, int64_t* payload);
// Writes a scalar of runtime::ValueKind `kind` (a double as its bits), or
// null for kind Null, to `out`. `info` is the EnumInfo of an enum.
void crm_jit_box(void* out, int32_t kind, int64_t payload, const void* info);
void crm_jit_box_row(void* out, const void* table, int64_t row);
void crm_jit_box_slice(void* out, const void* table, int64_t begin, int64_t end);
void crm_jit_copy(void* out, const void* value);

// Exact decimals as (coefficient, scale) pairs. Each returns 0 on success
// and 1 when the result does not fit, which the caller leaves to the
// interpreter. `op` is 0 for +, 1 for -, 2 for *.
int8_t crm_jit_decimal_arith(int32_t op, int64_t coefficient, int64_t scale, int64_t otherCoefficient,
                             int64_t otherScale, int64_t* resultCoefficient, int64_t* resultScale);
// Negative, zero or positive.
int32_t crm_jit_decimal_compare(int64_t coefficient, int64_t scale, int64_t otherCoefficient,
                                int64_t otherScale);
// 0 for a decimal, 1 for null, 2 for anything else (an int included).
int8_t crm_jit_unbox_decimal(const void* value, int64_t* coefficient, int64_t* scale);
void crm_jit_box_decimal(void* out, int64_t coefficient, int64_t scale);
// The decimal divided by `count`, as the runtime's `/` divides: 0 on
// success, 1 when the result does not fit.
int8_t crm_jit_decimal_divide(int64_t coefficient, int64_t scale, int64_t count,
                              int64_t* resultCoefficient, int64_t* resultScale);
}
