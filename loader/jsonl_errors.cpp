// Rejecting a JSON Lines record: the field path, the position on the line,
// and messages for what simdjson reports.
#include <cctype>

#include "loader/jsonl_record.h"

namespace crm::load::internal {
namespace {

// The bracket structure of a line that simdjson rejected. It separates a
// line cut short from a line with text after its object. `end` is the offset
// after the top-level value when that value closes, and kNoIndex when the
// line ends inside it or a bracket does not match.
struct LineShape {
  size_t end = kNoIndex;
  bool endsInsideString = false;
  bool endsInsideValue = false;
};

LineShape scanLine(std::string_view line) {
  LineShape shape;
  std::string open;  // the brackets still open, innermost last
  bool inString = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      open += c;
    } else if (c == '}' || c == ']') {
      if (open.empty() || open.back() != (c == '}' ? '{' : '['))
        return shape;
      open.pop_back();
      if (open.empty()) {
        shape.end = i + 1;
        return shape;
      }
    }
  }
  shape.endsInsideString = inString;
  shape.endsInsideValue = inString || !open.empty();
  return shape;
}

std::string jsonErrorMessage(simdjson::error_code code) {
  switch (code) {
    case simdjson::TAPE_ERROR:
      return "invalid JSON: a comma, colon, key, bracket or brace is missing or misplaced";
    case simdjson::UTF8_ERROR:
      return "invalid JSON: the line is not valid UTF-8";
    case simdjson::UNESCAPED_CHARS:
      return "invalid JSON: a string contains a control character that must be escaped";
    case simdjson::STRING_ERROR:
      return "invalid JSON: a string has an invalid escape sequence";
    case simdjson::DEPTH_ERROR:
      return "invalid JSON: arrays and objects are nested too deeply";
    default:
      return std::string("invalid JSON: ") + simdjson::error_message(code);
  }
}

}  // namespace

bool JsonRecordReader::fail(const char* at, const std::string* field, std::string message) {
  error_->offset = 0;
  if (at != nullptr && at >= line_.data() && at <= line_.data() + line_.size()) {
    error_->offset = static_cast<size_t>(at - line_.data());
  }
  std::string path;
  for (const PathStep& step : path_) {
    if (!path.empty())
      path += '.';
    path += *step.field + "[" + std::to_string(step.index) + "]";
  }
  if (field != nullptr) {
    if (!path.empty())
      path += '.';
    path += *field;
  }
  error_->field = std::move(path);
  error_->message = std::move(message);
  error_->unterminated = false;
  return false;
}

bool JsonRecordReader::failJson(simdjson::error_code code, const char* at,
                                const std::string* field) {
  // simdjson reports a line cut short as incomplete, as unclosed or as
  // misplaced brackets, and text after the object as incomplete too.
  if (code == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || code == simdjson::UNCLOSED_STRING ||
      code == simdjson::TAPE_ERROR) {
    LineShape shape = scanLine(line_);
    if (shape.endsInsideValue) {
      fail(line_.data() + line_.size(), nullptr,
           shape.endsInsideString ? "invalid JSON: the line ends inside a string"
                                  : "invalid JSON: the line ends before the object is closed");
      error_->unterminated = true;
      return false;
    }
    size_t rest = shape.end == kNoIndex ? kNoIndex : line_.find_first_not_of(" \t", shape.end);
    if (rest != kNoIndex) {
      return fail(line_.data() + rest, nullptr, "invalid JSON: text follows the end of the object");
    }
  }
  const char* where = nullptr;
  if (at == nullptr && documentStarted_ &&
      document_.current_location().get(where) == simdjson::SUCCESS) {
    at = where;
  }
  return fail(at, field, jsonErrorMessage(code));
}

// Rejects a token that starts like true, false or null but is not one.
bool JsonRecordReader::failLiteral(const char* at, const std::string* field) {
  const char* end = line_.data() + line_.size();
  const char* last = at;
  while (last < end && last - at < 16 && std::isalpha(static_cast<unsigned char>(*last)))
    ++last;
  return fail(at, field,
              "invalid JSON: '" + std::string(at, last) + "' is not true, false or null");
}

}  // namespace crm::load::internal
