#include "runtime/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace crm::runtime {

namespace fs = std::filesystem;

namespace {
constexpr size_t kBufferBytes = 1 << 20;
}

AtomicFile::~AtomicFile() {
  if (descriptor_ >= 0) ::close(descriptor_);
  if (!committed_ && !temporary_.empty()) ::unlink(temporary_.c_str());
}

void AtomicFile::fail(const std::string& what) {
  if (error_.empty()) {
    error_ = "cannot write " + (description_.empty() ? "" : description_ + " ") + "'" + path_ +
             "': " + what;
  }
}

bool AtomicFile::open(const std::string& path, const std::string& description) {
  path_ = path;
  description_ = description;
  std::error_code code;
  auto status = fs::symlink_status(path, code);
  if (!code && fs::exists(status) && !fs::is_regular_file(status)) {
    fail("it exists and is not a regular file");
    return false;
  }
  std::string pattern = path + ".XXXXXX";
  descriptor_ = ::mkstemp(pattern.data());
  if (descriptor_ < 0) {
    fail(std::strerror(errno));
    return false;
  }
  temporary_ = pattern;
  // mkstemp makes the file private to its owner. The result gets the mode
  // of the file it replaces, or the one the umask gives a new file.
  struct stat existing {};
  mode_t mode = 0;
  if (::stat(path.c_str(), &existing) == 0) {
    mode = existing.st_mode & 07777;
  } else {
    mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  ::fchmod(descriptor_, mode);
  return true;
}

bool AtomicFile::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(descriptor_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::strerror(errno));
      return false;
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  return true;
}

bool AtomicFile::write(std::string_view text) {
  if (descriptor_ < 0 || !error_.empty()) return false;
  buffer_.append(text);
  return buffer_.size() < kBufferBytes || flush();
}

bool AtomicFile::commit() {
  if (descriptor_ < 0 || !error_.empty()) return false;
  if (!flush()) return false;
  if (::fsync(descriptor_) != 0) {
    fail(std::strerror(errno));
    return false;
  }
  int closed = ::close(descriptor_);
  descriptor_ = -1;
  if (closed != 0) {
    fail(std::strerror(errno));
    return false;
  }
  std::error_code code;
  fs::rename(temporary_, path_, code);
  if (code) {
    fail(code.message());
    return false;
  }
  committed_ = true;
  return true;
}

std::string writeFileAtomically(const std::string& path, std::string_view text,
                                const std::string& description) {
  AtomicFile file;
  if (!file.open(path, description) || !file.write(text) || !file.commit()) return file.error();
  return "";
}

}  // namespace crm::runtime
