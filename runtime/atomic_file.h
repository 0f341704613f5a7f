// Output files written atomically: the text goes to a new file beside the
// target, which replaces the target only once everything was written and
// flushed to disk. A reader never sees a half-written file, and a failed
// run leaves the previous file in place.
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
  // replaced, so a device, a FIFO or a symbolic link at `path` is rejected.
  // The new file keeps the mode of the file it replaces.
  // Returns false with error() set.
  // `description` names the file in messages, such as "the rejects file".
  bool open(const std::string& path, const std::string& description = "");
  // Buffers `text`; returns false with error() set when a write failed.
  bool write(std::string_view text);
  // Flushes, syncs and renames the file over the target.
  bool commit();
  const std::string& error() const { return error_; }

 private:
  bool flush();
  void fail(const std::string& what);

  std::string path_;
  std::string description_;
  std::string temporary_;
  std::string buffer_;
  std::string error_;
  int descriptor_ = -1;
  bool committed_ = false;
};

// Writes `text` to `path` atomically; returns an empty string or the error.
std::string writeFileAtomically(const std::string& path, std::string_view text,
                                const std::string& description = "");

}  // namespace crm::runtime
