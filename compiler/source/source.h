// Source files and positions. Every AST node and diagnostic points into a
// SourceFile through a SourceRange; lines and columns are computed on demand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crm::source {

using FileId = uint32_t;
inline constexpr FileId kNoFile = UINT32_MAX;

// The Unicode controls that reorder how text is displayed: the embeddings,
// overrides and isolates (U+202A to U+202E, U+2066 to U+2069) and the
// marks U+200E, U+200F and U+061C. A script that contains one can show
// reviewers other code than it runs. The parser rejects them, and
// diagnostics print them as `?`.
inline bool isBidiControl(char32_t point) {
  return (point >= 0x202A && point <= 0x202E) || (point >= 0x2066 && point <= 0x2069) ||
         point == 0x200E || point == 0x200F || point == 0x061C;
}

// The length in bytes of the bidirectional control that starts at `at` in
// UTF-8 `text`, or 0 when none does.
inline size_t bidiControlLength(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
  if (at + 1 < text.size() && byte(0) == 0xD8 && byte(1) == 0x9C) return 2;
  if (at + 2 >= text.size() || byte(0) != 0xE2) return 0;
  char32_t point = (char32_t{byte(0)} & 0x0F) << 12 | (char32_t{byte(1)} & 0x3F) << 6 |
                   (char32_t{byte(2)} & 0x3F);
  return isBidiControl(point) ? 3 : 0;
}

// A half-open byte range [begin, end) in one file.
struct SourceRange {
  FileId file = kNoFile;
  uint32_t begin = 0;
  uint32_t end = 0;

  bool valid() const { return file != kNoFile; }
};

// A 1-based line and a 1-based column counted in Unicode code points.
struct LineColumn {
  uint32_t line = 0;
  uint32_t column = 0;
};

class SourceFile {
 public:
  SourceFile(FileId id, std::string path, std::string text);

  FileId id() const { return id_; }
  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }

  LineColumn lineColumn(uint32_t offset) const;
  // The text of a 1-based line, without its line terminator.
  std::string_view lineText(uint32_t line) const;
  uint32_t lineCount() const { return static_cast<uint32_t>(lineStarts_.size()); }
  // Byte offset of a 1-based line and 1-based code-point column.
  uint32_t offsetOf(uint32_t line, uint32_t column) const;

 private:
  FileId id_;
  std::string path_;
  std::string text_;
  std::vector<uint32_t> lineStarts_;
};

// Owns every file of one compilation; FileIds index into it.
class SourceManager {
 public:
  const SourceFile& add(std::string path, std::string text);
  const SourceFile& file(FileId id) const { return *files_.at(id); }
  const SourceFile* findByPath(const std::string& path) const;
  size_t size() const { return files_.size(); }

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace crm::source
