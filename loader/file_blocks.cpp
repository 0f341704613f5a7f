#include "loader/file_blocks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace crm::load::internal {

FileBlocks::FileBlocks(size_t blockBytes, size_t padding)
    : blockBytes_(std::max<size_t>(blockBytes, 1)), padding_(padding) {}

FileBlocks::~FileBlocks() {
  if (fd_ >= 0) ::close(fd_);
}

bool FileBlocks::open(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) error = "no such file";
    else if (errno == EACCES) error = "permission denied";
    else error = std::strerror(errno);
    return false;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    error = "not a regular file";
    return false;
  }
  fd_ = fd;
  fileSize_ = static_cast<uint64_t>(info.st_size);
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  // A small file fits in one block, so the buffer need not be larger.
  capacity_ = static_cast<size_t>(std::min<uint64_t>(blockBytes_, fileSize_ + 1));
  buffer_ = std::make_unique<char[]>(capacity_ + padding_);
  size_ = 0;
  atEnd_ = false;
  bytesRead_ = 0;
  return true;
}

bool FileBlocks::refill(size_t consumed, std::string& error) {
  consumed = std::min(consumed, size_);
  if (consumed > 0) {
    std::memmove(buffer_.get(), buffer_.get() + consumed, size_ - consumed);
    size_ -= consumed;
  } else if (size_ == capacity_) {
    size_t larger = capacity_ * 2;
    auto grown = std::make_unique<char[]>(larger + padding_);
    std::memcpy(grown.get(), buffer_.get(), size_);
    buffer_ = std::move(grown);
    capacity_ = larger;
  }
  while (!atEnd_ && size_ < capacity_) {
    ssize_t got = ::read(fd_, buffer_.get() + size_, capacity_ - size_);
    if (got < 0) {
      if (errno == EINTR) continue;
      error = std::string("the read failed: ") + std::strerror(errno);
      return false;
    }
    if (got == 0) {
      atEnd_ = true;
      break;
    }
    size_ += static_cast<size_t>(got);
    bytesRead_ += static_cast<uint64_t>(got);
  }
  // The padding after the data reads as zeros, as simdjson's padded
  // strings do.
  std::memset(buffer_.get() + size_, 0, std::min(padding_, capacity_ + padding_ - size_));
  return true;
}

}  // namespace crm::load::internal
