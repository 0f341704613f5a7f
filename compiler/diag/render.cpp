#include "compiler/diag/render.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utf8proc.h>
#include <string>

namespace crm::diag {
namespace {

struct Palette {
  const char* error = "";
  const char* warning = "";
  const char* note = "";
  const char* help = "";
  const char* bold = "";
  const char* reset = "";
};

Palette paletteFor(bool color) {
  if (!color) {
    return {};
  }
  return {"\x1b[1;31m", "\x1b[1;33m", "\x1b[1;36m", "\x1b[1;32m", "\x1b[1m", "\x1b[0m"};
}

std::string location(const source::SourceManager& sources, source::SourceRange range) {
  if (!range.valid()) {
    return "crm";
  }
  const auto& file = sources.file(range.file);
  auto position = file.lineColumn(range.begin);
  return file.path() + ":" + std::to_string(position.line) + ":" +
         std::to_string(position.column);
}

// Tabs become single spaces, and other control characters and the
// bidirectional controls `?`, so that the caret line stays aligned and the
// terminal shows no raw escape sequence and reorders nothing.
std::string printable(std::string_view line) {
  std::string text;
  text.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    auto byte = static_cast<unsigned char>(line[i]);
    if (size_t length = source::bidiControlLength(line, i)) {
      text += '?';
      i += length - 1;
    } else if (line[i] == '\t') {
      text += ' ';
    } else if (byte < 0x20 || byte == 0x7F) {
      text += '?';
    } else {
      text += line[i];
    }
  }
  return text;
}

// Terminal cells taken by the code points [first, last) of `line` (1-based
// columns); control characters count one cell, as printable() shows them.
size_t cellWidth(std::string_view line, size_t first, size_t last) {
  size_t cells = 0;
  size_t column = 1;
  auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(line.data());
  utf8proc_ssize_t remaining = static_cast<utf8proc_ssize_t>(line.size());
  while (remaining > 0 && column < last) {
    utf8proc_int32_t point = 0;
    utf8proc_ssize_t length = utf8proc_iterate(bytes, remaining, &point);
    if (length <= 0) {
      length = 1;
      point = '?';
    }
    if (column >= first) {
      bool shownAsMark = point < 0x20 || point == 0x7F || source::isBidiControl(point);
      int width = shownAsMark ? 1 : utf8proc_charwidth(point);
      cells += static_cast<size_t>(std::max(width, 0));
    }
    bytes += length;
    remaining -= length;
    ++column;
  }
  // A range past the end of the line (the end of the file) takes one cell.
  return cells + (column < last ? last - column : 0);
}

size_t codePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void renderSnippet(std::ostream& out, const source::SourceManager& sources,
                   source::SourceRange range, const char* color, const Palette& palette) {
  if (!range.valid()) {
    return;
  }
  const auto& file = sources.file(range.file);
  auto start = file.lineColumn(range.begin);
  auto end = file.lineColumn(std::max(range.begin, range.end));
  std::string_view line = file.lineText(start.line);
  std::string number = std::to_string(start.line);
  std::string gutter(number.size(), ' ');

  // A very long line (a generated script) is cut around the range.
  constexpr size_t kShown = 200;
  size_t lineLength = codePoints(line);
  if (lineLength > kShown) {
    size_t column = start.column;
    size_t first = column > kShown / 2 ? column - kShown / 2 : 1;
    size_t byteStart = 0;
    for (size_t seen = 1; byteStart < line.size() && seen < first; ++byteStart) {
      if ((static_cast<unsigned char>(line[byteStart + 1]) & 0xC0) != 0x80) ++seen;
    }
    size_t byteEnd = byteStart;
    for (size_t seen = 0; byteEnd < line.size() && seen < kShown; ++byteEnd) {
      if ((static_cast<unsigned char>(line[byteEnd]) & 0xC0) != 0x80) ++seen;
    }
    while (byteEnd < line.size() && (static_cast<unsigned char>(line[byteEnd]) & 0xC0) == 0x80) {
      ++byteEnd;
    }
    line = line.substr(byteStart, byteEnd - byteStart);
    start.column = static_cast<uint32_t>(column - first + 1);
    if (end.line == start.line) {
      end.column = std::min<uint32_t>(end.column - static_cast<uint32_t>(first) + 1,
                                      static_cast<uint32_t>(kShown) + 1);
    }
    lineLength = codePoints(line);
  }
  size_t lastColumn = start.column;
  if (end.line == start.line && end.column > start.column) {
    lastColumn = end.column;
  } else if (end.line != start.line && lineLength >= start.column) {
    lastColumn = lineLength + 1;
  }
  // Carets are placed by terminal cells, so that they stay under the text
  // after wide (CJK, emoji) and zero-width (combining) characters.
  size_t indent = cellWidth(line, 1, start.column);
  size_t width = std::max<size_t>(1, cellWidth(line, start.column, lastColumn));
  out << palette.note << gutter << " |" << palette.reset << "\n";
  out << palette.note << number << " |" << palette.reset << " " << printable(line) << "\n";
  out << palette.note << gutter << " |" << palette.reset << " " << std::string(indent, ' ')
      << color << "^" << std::string(width > 1 ? width - 1 : 0, '~') << palette.reset << "\n";
}

}  // namespace

void renderHuman(std::ostream& out, const source::SourceManager& sources,
                 const std::vector<Diagnostic>& diagnostics, const RenderOptions& options) {
  Palette palette = paletteFor(options.color);
  for (const auto& diagnostic : diagnostics) {
    const char* color = diagnostic.severity == Severity::Error ? palette.error : palette.warning;
    out << palette.bold << location(sources, diagnostic.range) << ": " << palette.reset << color
        << severityName(diagnostic.severity) << "[" << info(diagnostic.code).id << "]"
        << palette.reset << palette.bold << ": " << diagnostic.message << palette.reset << "\n";
    renderSnippet(out, sources, diagnostic.range, color, palette);
    for (const auto& note : diagnostic.notes) {
      out << palette.bold << location(sources, note.range) << ": " << palette.reset << palette.note
          << "note" << palette.reset << ": " << note.message << "\n";
      renderSnippet(out, sources, note.range, palette.note, palette);
    }
    if (!diagnostic.help.empty()) {
      out << palette.help << "help" << palette.reset << ": " << diagnostic.help << "\n";
    }
  }
}

namespace {

nlohmann::json jsonRange(const source::SourceManager& sources, source::SourceRange range) {
  if (!range.valid()) {
    return nullptr;
  }
  const auto& file = sources.file(range.file);
  auto start = file.lineColumn(range.begin);
  auto end = file.lineColumn(std::max(range.begin, range.end));
  return {{"file", file.path()},
          {"line", start.line},
          {"column", start.column},
          {"end_line", end.line},
          {"end_column", end.column}};
}

}  // namespace

void renderJson(std::ostream& out, const source::SourceManager& sources,
                const std::vector<Diagnostic>& diagnostics) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& diagnostic : diagnostics) {
    nlohmann::json notes = nlohmann::json::array();
    for (const auto& note : diagnostic.notes) {
      notes.push_back({{"range", jsonRange(sources, note.range)}, {"message", note.message}});
    }
    array.push_back({{"severity", severityName(diagnostic.severity)},
                     {"code", info(diagnostic.code).id},
                     {"name", info(diagnostic.code).name},
                     {"message", diagnostic.message},
                     {"range", jsonRange(sources, diagnostic.range)},
                     {"notes", notes},
                     {"help", diagnostic.help.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(diagnostic.help)}});
  }
  // A file name need not be UTF-8; invalid bytes become U+FFFD.
  out << array.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

namespace {

// A path as a URI reference: unreserved characters and `/` stay, the rest
// is percent-encoded; an absolute path becomes a file URI.
std::string pathUri(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = !path.empty() && path[0] == '/' ? "file://" : "";
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    bool plain = std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~' ||
                 c == '/';
    if (plain && byte < 0x80) {
      uri += c;
    } else {
      uri += '%';
      uri += kHex[byte >> 4];
      uri += kHex[byte & 15];
    }
  }
  return uri;
}

nlohmann::json sarifLocation(const source::SourceManager& sources, source::SourceRange range) {
  const auto& file = sources.file(range.file);
  auto start = file.lineColumn(range.begin);
  auto end = file.lineColumn(std::max(range.begin, range.end));
  return {{"physicalLocation",
           {{"artifactLocation", {{"uri", pathUri(file.path())}}},
            {"region",
             {{"startLine", start.line},
              {"startColumn", start.column},
              {"endLine", end.line},
              {"endColumn", end.column}}}}}};
}

const char* sarifLevel(Severity severity) {
  return severity == Severity::Error ? "error" : "warning";
}

}  // namespace

void renderSarif(std::ostream& out, const source::SourceManager& sources,
                 const std::vector<Diagnostic>& diagnostics, const std::string& toolVersion) {
  // Rules in code order, each listed once; results refer to them by index.
  std::vector<Code> codes;
  for (const auto& diagnostic : diagnostics) codes.push_back(diagnostic.code);
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  nlohmann::json rules = nlohmann::json::array();
  for (Code code : codes) {
    const CodeInfo& entry = info(code);
    rules.push_back({{"id", entry.id},
                     {"name", entry.name},
                     {"shortDescription", {{"text", entry.summary}}},
                     {"defaultConfiguration", {{"level", sarifLevel(entry.severity)}}}});
  }

  nlohmann::json results = nlohmann::json::array();
  for (const auto& diagnostic : diagnostics) {
    auto index = std::lower_bound(codes.begin(), codes.end(), diagnostic.code) - codes.begin();
    nlohmann::json result = {{"ruleId", info(diagnostic.code).id},
                             {"ruleIndex", index},
                             {"level", sarifLevel(diagnostic.severity)},
                             {"message", {{"text", diagnostic.message}}}};
    result["locations"] = nlohmann::json::array();
    if (diagnostic.range.valid()) {
      result["locations"].push_back(sarifLocation(sources, diagnostic.range));
    }
    nlohmann::json related = nlohmann::json::array();
    for (size_t i = 0; i < diagnostic.notes.size(); ++i) {
      const Note& note = diagnostic.notes[i];
      if (!note.range.valid()) continue;
      nlohmann::json location = sarifLocation(sources, note.range);
      location["id"] = i;
      location["message"] = {{"text", note.message}};
      related.push_back(location);
    }
    if (!related.empty()) result["relatedLocations"] = related;
    if (!diagnostic.help.empty()) result["properties"] = {{"help", diagnostic.help}};
    results.push_back(result);
  }

  nlohmann::json log = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       {{{"tool",
          {{"driver",
            {{"name", "crm"}, {"version", toolVersion}, {"rules", rules}}}}},
         {"columnKind", "unicodeCodePoints"},
         {"results", results}}}}};
  out << log.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace crm::diag
