#include "repl/input.h"

#include <cctype>

namespace crm::repl {
namespace {

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Skips a string literal starting at `i` (at its quote); returns the index
// after it, or npos when a triple-quoted string is still open. A single-line
// string that the line ends inside is left to the parser to report.
size_t skipString(std::string_view text, size_t i, bool raw) {
  char quote = text[i];
  if (text.substr(i, 3) == std::string(3, quote)) {
    size_t close = text.find(std::string(3, quote), i + 3);
    return close == std::string_view::npos ? close : close + 3;
  }
  for (++i; i < text.size() && text[i] != '\n'; ++i) {
    if (text[i] == '\\' && !raw) {
      ++i;
    } else if (text[i] == quote) {
      return i + 1;
    }
  }
  return i;
}

// Whether `text` ends with a token after which an expression must go on.
bool endsWithOperator(std::string_view text) {
  static constexpr std::string_view kOperators[] = {
      "&&", "||", "??", "?.", "==", "!=", "<=", ">=", "->", "+", "-",
      "*",  "/",  "%",  "<",  ">",  "!",  "?",  ":",  ",",  ".", "="};
  for (std::string_view op : kOperators) {
    if (text.size() >= op.size() && text.substr(text.size() - op.size()) == op)
      return true;
  }
  // A word operator, as in `x in` or `t.at within`.
  for (std::string_view word : {std::string_view("in"), std::string_view("within")}) {
    if (text.size() >= word.size() && text.substr(text.size() - word.size()) == word &&
        (text.size() == word.size() || !isNameChar(text[text.size() - word.size() - 1]))) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool needsMoreInput(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] == ':')
    return false;

  int depth = 0;
  std::string code;  // the text without comments and strings, for the last token
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    bool raw = (c == 'r' || c == 'R') && i + 1 < text.size() &&
               (text[i + 1] == '"' || text[i + 1] == '\'') && (i == 0 || !isNameChar(text[i - 1]));
    if (raw) {
      ++i;
      c = text[i];
    }
    if (c == '"' || c == '\'') {
      size_t end = skipString(text, i, raw);
      if (end == std::string_view::npos)
        return true;
      code += "\"\"";
      i = end;
    } else if (text.substr(i, 2) == "//") {
      size_t end = text.find('\n', i);
      i = end == std::string_view::npos ? text.size() : end;
    } else if (text.substr(i, 2) == "/*") {
      size_t end = text.find("*/", i + 2);
      if (end == std::string_view::npos)
        return true;
      code += ' ';
      i = end + 2;
    } else {
      if (c == '(' || c == '[' || c == '{')
        ++depth;
      if (c == ')' || c == ']' || c == '}')
        --depth;
      code += c;
      ++i;
    }
  }
  if (depth > 0)
    return true;
  size_t last = code.find_last_not_of(" \t\r\n");
  return last != std::string::npos && endsWithOperator(std::string_view(code).substr(0, last + 1));
}

size_t wordStart(std::string_view line, size_t cursor) {
  size_t start = cursor;
  while (start > 0 && (isNameChar(line[start - 1]) || line[start - 1] == '.'))
    --start;
  return start;
}

}  // namespace crm::repl
