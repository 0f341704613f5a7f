#include "compiler/parse/prescan.h"

#include <algorithm>
#include <string>

namespace crm::parse {

std::optional<size_t> firstInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t codePoint = 0;
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      codePoint = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      codePoint = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      codePoint = byte & 0x07;
    } else {
      return i;
    }
    if (i + length > text.size()) {
      return i;
    }
    for (size_t k = 1; k < length; ++k) {
      auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xC0) != 0x80) {
        return i;
      }
      codePoint = (codePoint << 6) | (continuation & 0x3F);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (codePoint < kMinimum[length] || codePoint > 0x10FFFF ||
        (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

void registerAllowComment(std::string_view comment, source::FileId file, uint32_t line,
                          diag::DiagnosticEngine& diagnostics) {
  static constexpr std::string_view kMarker = "crm:allow(";
  size_t position = comment.find(kMarker);
  while (position != std::string_view::npos) {
    size_t close = comment.find(')', position);
    if (close == std::string_view::npos) return;
    // A directive on a later line of a block comment applies there.
    uint32_t at = line + static_cast<uint32_t>(std::count(comment.begin(),
                                                          comment.begin() + position, '\n'));
    std::string_view list = comment.substr(position + kMarker.size(),
                                           close - position - kMarker.size());
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string_view item = list.substr(start, comma == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : comma - start);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (auto code = diag::parseCode(item)) diagnostics.allowOnLine(file, at, *code);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    position = comment.find(kMarker, close);
  }
}

}  // namespace crm::parse
