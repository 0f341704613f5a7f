// A text dump of a parsed script's tree without positions, parentheses or
// comments: two texts that differ only in layout give the same dump. The
// formatter compares the dumps of its input and output.
#pragma once

#include <string>

#include "compiler/ast/ast.h"

namespace crm::format {

std::string dumpStructure(const ast::Script& script);

}  // namespace crm::format
