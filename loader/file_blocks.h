// Reads a file in blocks into one reusable buffer, so that a load holds a
// block of each file at a time instead of the whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace crm::load::internal {

class FileBlocks {
 public:
  // `blockBytes` is the buffer size that refill() fills. `padding` is the
  // count of readable bytes after the data, which simdjson requires.
  FileBlocks(size_t blockBytes, size_t padding);
  ~FileBlocks();
  FileBlocks(const FileBlocks&) = delete;
  FileBlocks& operator=(const FileBlocks&) = delete;

  // Opens a regular file. On failure sets `error` to the reason, for a
  // "cannot read" message.
  bool open(const std::string& path, std::string& error);
  uint64_t fileSize() const { return fileSize_; }

  // Drops the first `consumed` bytes of the data, moves the rest to the
  // front of the buffer and reads more after it. When nothing is consumed
  // and the buffer is full, the buffer doubles, so that a record longer
  // than a block still fits. On a failed read sets `error` and returns
  // false.
  bool refill(size_t consumed, std::string& error);

  // The bytes read and not yet dropped.
  std::string_view data() const { return {buffer_.get(), size_}; }
  // Whether data() ends at the end of the file.
  bool atEnd() const { return atEnd_; }
  // The end of the readable buffer: at least `padding` bytes past data().
  const char* allocationEnd() const { return buffer_.get() + capacity_ + padding_; }
  // Bytes read from the file so far.
  uint64_t bytesRead() const { return bytesRead_; }

 private:
  size_t blockBytes_;
  size_t padding_;
  int fd_ = -1;
  uint64_t fileSize_ = 0;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;  // bytes of data the buffer holds, besides the padding
  size_t size_ = 0;
  bool atEnd_ = false;
  uint64_t bytesRead_ = 0;
};

}  // namespace crm::load::internal
