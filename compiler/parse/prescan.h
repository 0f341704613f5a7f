// Checks on the raw text before it reaches the lexer: size, UTF-8 validity
// and `crm:allow(...)` comments.
#pragma once

#include <optional>
#include <string_view>

#include "compiler/diag/diagnostic.h"
#include "compiler/source/source.h"

namespace crm::parse {

// Byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates
// and code points above U+10FFFF are invalid), or nullopt when valid.
std::optional<size_t> firstInvalidUtf8(std::string_view text);

// Registers the codes named in a `crm:allow(W0101, W0104)` comment that
// starts on `line`, for that line and the line below.
void registerAllowComment(std::string_view comment, source::FileId file, uint32_t line,
                          diag::DiagnosticEngine& diagnostics);

}  // namespace crm::parse
