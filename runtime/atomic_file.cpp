#include "runtime/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
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
// Linux file systems allow names of at most 255 bytes. The temporary name
// adds a dot, ".tmp-", a process id and "-XXXXXX" to the target's name, so
// it keeps only the first 200 bytes of that.
constexpr size_t kNameBytesKept = 200;

std::string folderOf(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// The start of every temporary file name of `path`, without the folder.
std::string temporaryPrefix(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  return "." + name.substr(0, kNameBytesKept) + ".tmp-";
}

// Describes a failed write by its errno: the system's message, then what
// to do about it.
std::string describeError(int error, const std::string& path) {
  std::string text = std::strerror(error);
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return text + "; free space on that file system, or write the file to another one";
    case EFBIG:
      return text + " (the file size limit, `ulimit -f`, or the file system's maximum); raise "
                    "the limit or write the file to another file system";
    case EACCES:
    case EPERM:
      return text + "; write it to a folder you may write to, or change the permissions of '" +
             folderOf(path) + "'";
    case EROFS:
      return text + "; write the file to another file system";
    case ENOENT:
      return "the folder '" + folderOf(path) + "' does not exist; create it first";
    case ENOTDIR:
      return "'" + folderOf(path) + "' is not a folder";
    default:
      return text;
  }
}

// Whether process `pid` is running on this host: kill(2) with signal 0
// checks without sending anything, and EPERM means it runs as another user.
bool processRuns(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// The process id in a temporary file name after `prefix`, or 0 when
// `name` is not `prefix` + digits + "-" + six characters.
pid_t temporaryOwner(const std::string& name, const std::string& prefix) {
  if (name.size() < prefix.size() + 8 || name.compare(0, prefix.size(), prefix) != 0) return 0;
  size_t dash = name.size() - 7;
  if (name[dash] != '-' || dash == prefix.size()) return 0;
  pid_t pid = 0;
  for (size_t i = prefix.size(); i < dash; ++i) {
    if (name[i] < '0' || name[i] > '9' || pid > 100000000) return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

}  // namespace

AtomicFile::~AtomicFile() {
  if (!committed_ && !temporary_.empty()) ::unlink(temporary_.c_str());
  if (descriptor_ >= 0) ::close(descriptor_);
}

void AtomicFile::fail(int error) { fail(describeError(error, path_)); }

void AtomicFile::fail(const std::string& what) {
  if (error_.empty()) {
    error_ = "cannot write " + (description_.empty() ? "" : description_ + " ") + "'" + path_ +
             "': " + what;
  }
}

bool AtomicFile::open(const std::string& path, const std::string& description) {
  path_ = path;
  description_ = description;
  std::string problem = checkWritable(path, description);
  if (!problem.empty()) {
    error_ = problem;
    return false;
  }
  removeStaleTemporaries(path);
  std::string pattern = (fs::path(folderOf(path)) / temporaryPrefix(path)).string() +
                        std::to_string(::getpid()) + "-XXXXXX";
  descriptor_ = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (descriptor_ < 0) {
    fail(errno);
    return false;
  }
  temporary_ = pattern;
  // The lock marks the file as in use for other writers. The kernel
  // releases it when the process ends, however it ends.
  ::flock(descriptor_, LOCK_EX | LOCK_NB);
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
      fail(errno);
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

bool AtomicFile::sync() {
  if (descriptor_ < 0 || !error_.empty()) return false;
  if (!flush()) return false;
  if (::fsync(descriptor_) != 0) {
    fail(errno);
    return false;
  }
  synced_ = true;
  return true;
}

bool AtomicFile::commit() {
  if (!synced_ && !sync()) return false;
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
    fail(errno);
    return false;
  }
  committed_ = true;
  // Closed only now, so that the lock covers the file until it has its
  // final name. The data is on disk already, so closing cannot lose any.
  ::close(descriptor_);
  descriptor_ = -1;
  return true;
}

std::string writeFileAtomically(const std::string& path, std::string_view text,
                                const std::string& description) {
  AtomicFile file;
  if (!file.open(path, description) || !file.write(text) || !file.commit()) return file.error();
  return "";
}

std::string checkWritable(const std::string& path, const std::string& description) {
  std::string prefix =
      "cannot write " + (description.empty() ? "" : description + " ") + "'" + path + "': ";
  std::error_code code;
  auto status = fs::symlink_status(path, code);
  if (!code && fs::is_directory(status)) {
    return prefix + "it is a folder; give the path of a file";
  }
  if (!code && fs::exists(status) && !fs::is_regular_file(status)) {
    return prefix + "it exists and is not a regular file (a link, a device or a FIFO); give " +
           "the path of a regular file or of none";
  }
  std::string folder = folderOf(path);
  auto folderStatus = fs::status(folder, code);
  if (code || !fs::exists(folderStatus)) return prefix + describeError(ENOENT, path);
  if (!fs::is_directory(folderStatus)) return prefix + describeError(ENOTDIR, path);
  // Creating the temporary file needs write and search permission on the
  // folder. access(2) also reports a read-only file system.
  if (::access(folder.c_str(), W_OK | X_OK) != 0) return prefix + describeError(errno, path);
  return "";
}

size_t removeStaleTemporaries(const std::string& path) {
  std::string folder = folderOf(path);
  std::string prefix = temporaryPrefix(path);
  DIR* directory = ::opendir(folder.c_str());
  if (directory == nullptr) return 0;
  size_t removed = 0;
  while (const dirent* entry = ::readdir(directory)) {
    std::string name = entry->d_name;
    pid_t owner = temporaryOwner(name, prefix);
    if (owner <= 0 || owner == ::getpid() || processRuns(owner)) continue;
    // A file whose lock can be taken has no live writer, even one in
    // another PID namespace, where the process id check cannot see it.
    int descriptor = ::openat(::dirfd(directory), name.c_str(),
                              O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (descriptor < 0) continue;
    struct stat info {};
    if (::fstat(descriptor, &info) == 0 && S_ISREG(info.st_mode) &&
        ::flock(descriptor, LOCK_EX | LOCK_NB) == 0 &&
        ::unlinkat(::dirfd(directory), name.c_str(), 0) == 0) {
      ++removed;
    }
    ::close(descriptor);
  }
  ::closedir(directory);
  return removed;
}

bool sameFile(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  if (a.empty() || b.empty()) return false;
  std::error_code code;
  if (fs::exists(a, code) && fs::exists(b, code)) return fs::equivalent(a, b, code);
  fs::path first = fs::weakly_canonical(fs::absolute(a, code), code);
  if (code) return false;
  fs::path second = fs::weakly_canonical(fs::absolute(b, code), code);
  if (code) return false;
  return first == second;
}

}  // namespace crm::runtime
