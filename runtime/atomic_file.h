// Output files written atomically: the text goes to a new file beside the
// target, which replaces the target only once everything was written and
// flushed to disk. A reader never sees a half-written file, and a failed
// run leaves the previous file in place.
//
// The temporary file is `.NAME.tmp-PID-XXXXXX` in the target's folder, where
// NAME is the target's file name, PID the writer's process id and XXXXXX
// random. The writer holds an exclusive flock(2) on it until it is renamed
// or removed. A run killed before that leaves it behind, and the next
// writer of the same target removes it (see removeStaleTemporaries).
#pragma once

#include <string>
#include <string_view>

namespace crm::runtime {

class AtomicFile {
 public:
  AtomicFile() = default;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();

  // Creates the temporary file. Only a regular file (or nothing) may be
  // replaced, so a folder, a device, a FIFO or a symbolic link at `path` is
  // rejected. The new file keeps the mode of the file it replaces.
  // Returns false with error() set.
  // `description` names the file in messages, such as "the rejects file".
  bool open(const std::string& path, const std::string& description = "");
  // Buffers `text`; returns false with error() set when a write failed.
  bool write(std::string_view text);
  // Writes what is buffered and syncs the file to disk, so that only the
  // rename is left for commit(). A full disk is reported here.
  bool sync();
  // Syncs (unless sync() succeeded) and renames the file over the target.
  bool commit();
  const std::string& error() const { return error_; }
  // The temporary file's path, once open() succeeded.
  const std::string& temporaryPath() const { return temporary_; }

 private:
  bool flush();
  void fail(int error);
  void fail(const std::string& what);

  std::string path_;
  std::string description_;
  std::string temporary_;
  std::string buffer_;
  std::string error_;
  int descriptor_ = -1;
  bool synced_ = false;
  bool committed_ = false;
};

// Writes `text` to `path` atomically; returns an empty string or the error.
std::string writeFileAtomically(const std::string& path, std::string_view text,
                                const std::string& description = "");

// The error that writing `path` would meet before any work is done: a
// missing or unwritable folder, or a folder, device or FIFO at `path`.
// Returns an empty string when the file looks writable. Writing can still
// fail later, on a full disk for instance.
std::string checkWritable(const std::string& path, const std::string& description = "");

// Removes the temporary files that killed writers of `path` left behind:
// those whose flock no process holds and whose process id names no running
// process. Returns how many it removed.
size_t removeStaleTemporaries(const std::string& path);

// Whether two paths name the same file: the same inode when both exist,
// otherwise the same absolute path once `.`, `..` and symbolic links of the
// existing part are resolved, so that an output that a run will create is
// recognised as a file another option names too.
bool sameFile(const std::string& a, const std::string& b);

}  // namespace crm::runtime
