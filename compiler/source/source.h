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
