// Reading one field of one row of the store as a Value. This is the one
// place that decodes each column kind's storage.
#pragma once

#include <cstdint>

#include "runtime/store.h"
#include "runtime/value.h"

namespace crm::runtime {

// The value of column `column` at `row` of `table`. A child list is a slice
// of its table, a reference is the row it names (a row that compares by key
// and errs on field selection when its key matched no row), and a field that
// no source fills is null when optional and an empty list otherwise. `enumInfo` names the values of an enum column.
Value readField(const Table& table, uint32_t column, uint32_t row,
                const EnumInfo* enumInfo = nullptr);

// Whether the field is present: not null, and for a reference not null
// (a reference whose key matched no row is present).
bool fieldPresent(const Table& table, uint32_t column, uint32_t row);

}  // namespace crm::runtime
