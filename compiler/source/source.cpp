#include "compiler/source/source.h"

#include <algorithm>

namespace crm::source {
namespace {

bool isContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

SourceFile::SourceFile(FileId id, std::string path, std::string text)
    : id_(id), path_(std::move(path)), text_(std::move(text)) {
  lineStarts_.push_back(0);
  for (uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') {
      lineStarts_.push_back(i + 1);
    }
  }
}

LineColumn SourceFile::lineColumn(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
  uint32_t lineIndex = static_cast<uint32_t>(it - lineStarts_.begin()) - 1;
  uint32_t column = 1;
  for (uint32_t i = lineStarts_[lineIndex]; i < offset; ++i) {
    if (!isContinuationByte(text_[i])) {
      ++column;
    }
  }
  // Editors hide a UTF-8 byte order mark, so it takes no column.
  if (lineIndex == 0 && offset >= 3 && text_.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    --column;
  }
  return {lineIndex + 1, column};
}

std::string_view SourceFile::lineText(uint32_t line) const {
  if (line == 0 || line > lineStarts_.size()) {
    return {};
  }
  uint32_t begin = lineStarts_[line - 1];
  uint32_t end = line < lineStarts_.size() ? lineStarts_[line] : static_cast<uint32_t>(text_.size());
  std::string_view view(text_.data() + begin, end - begin);
  while (!view.empty() && (view.back() == '\n' || view.back() == '\r')) {
    view.remove_suffix(1);
  }
  return view;
}

uint32_t SourceFile::offsetOf(uint32_t line, uint32_t column) const {
  if (line == 0 || line > lineStarts_.size()) {
    return static_cast<uint32_t>(text_.size());
  }
  uint32_t offset = lineStarts_[line - 1];
  for (uint32_t seen = 1; seen < column && offset < text_.size(); ++seen) {
    ++offset;
    while (offset < text_.size() && isContinuationByte(text_[offset])) {
      ++offset;
    }
  }
  return offset;
}

const SourceFile& SourceManager::add(std::string path, std::string text) {
  auto id = static_cast<FileId>(files_.size());
  files_.push_back(std::make_unique<SourceFile>(id, std::move(path), std::move(text)));
  return *files_.back();
}

const SourceFile* SourceManager::findByPath(const std::string& path) const {
  for (const auto& file : files_) {
    if (file->path() == path) {
      return file.get();
    }
  }
  return nullptr;
}

}  // namespace crm::source
