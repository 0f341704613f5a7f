// Text made safe for an HTML document, and the formatting of numbers in it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crm::report {

// `text` with &, <, >, " and ' replaced by character references, so that it
// is literal text inside an element or a quoted attribute value. Control
// characters other than tab, line feed and carriage return, which HTML does
// not allow, become U+FFFD.
std::string escapeHtml(std::string_view text);

// 1234567 as "1,234,567".
std::string grouped(uint64_t n);

// `text` when it has at most `maxCodePoints` code points; otherwise its
// first `maxCodePoints - 1` code points and "…". Never splits a UTF-8
// sequence. 0 means no limit.
std::string shortened(std::string_view text, size_t maxCodePoints);

// Seconds with two decimals, such as "0.25 s".
std::string formatSeconds(double seconds);

}  // namespace crm::report
