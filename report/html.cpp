#include "report/html.h"

#include <cstdio>

namespace crm::report {

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\t':
      case '\n':
      case '\r':
        out += c;
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::string shortened(std::string_view text, size_t maxCodePoints) {
  auto isLead = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; };
  size_t codePoints = 0;
  for (char c : text)
    codePoints += isLead(c) ? 1 : 0;
  if (codePoints <= maxCodePoints || maxCodePoints == 0)
    return std::string(text);
  // Keep maxCodePoints - 1 code points, then the ellipsis.
  size_t kept = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!isLead(text[i]))
      continue;
    if (kept == maxCodePoints - 1)
      return std::string(text.substr(0, i)) + "\xE2\x80\xA6";
    ++kept;
  }
  return std::string(text);
}

std::string formatSeconds(double seconds) {
  char text[40];
  std::snprintf(text, sizeof text, "%.2f s", seconds);
  return text;
}

}  // namespace crm::report
