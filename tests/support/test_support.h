// Helpers shared by the tests: check a script given as text, and read the
// codes of what it reported.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/driver/driver.h"
#include "loader/loader.h"

namespace crm::testing {

// Checks `text` as if it were the file `path`.
std::unique_ptr<driver::Compilation> checkText(const std::string& text,
                                               const driver::CheckOptions& options = {},
                                               const std::string& path = "test.crm");

// The codes reported, in order, such as {"E0102", "W0101"}.
std::vector<std::string> codesOf(const driver::Compilation& compilation);

// One line per diagnostic, "line:column code message", for failure messages.
std::string summarize(const driver::Compilation& compilation);

// A schema with a customer, a catalog and an event entity, for tests that
// need names to resolve.
extern const char* const kPrelude;

std::string readFile(const std::string& path);

// Describes a load as text: its problems, the counts of each source and the
// keys of each table, so that two loads can be compared.
std::string describeLoad(const load::LoadResult& result);

}  // namespace crm::testing
