// Input scanning for `crm repl` before the checker runs: whether the lines
// typed so far form a whole input, and which word a completion replaces.
#pragma once

#include <string>
#include <string_view>

namespace crm::repl {

// Whether `text` needs another line: a bracket, brace or parenthesis is
// open, a triple-quoted string or a block comment is not closed, or the
// last token is an operator, a comma, a dot or `=`. Lines starting with
// `:` are commands and never continue.
bool needsMoreInput(std::string_view text);

// The start of the word that ends at `cursor`: identifier characters and
// the dots between them, such as `customer.ag`.
size_t wordStart(std::string_view line, size_t cursor);

}  // namespace crm::repl
