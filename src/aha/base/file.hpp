// Whole-file reads, atomic writes, exclusive temporary files, lock files and read-only memory maps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace aha {

// Reads the whole file at `path` into a string; throws an I/O Error naming it.
std::string read_file(const std::string& path);

// A temporary file that create_temporary_file made: its open descriptor and its path.
struct TemporaryFile {
  int fd = -1;
  std::string path;
};

// Creates a new file beside `path`, named .<name>.tmp-<pid>-<n> (n counts this process's
// temporaries), with O_EXCL so that an existing file is never opened or clobbered, O_CLOEXEC and
// mode 0644 less the umask; throws an I/O Error naming it.
TemporaryFile create_temporary_file(const std::string& path);

// True when the file name `name` (no folder) has the form create_temporary_file gives.
bool is_temporary_file_name(const std::string& name);

// Writes `data` to `path` atomically: a temporary file beside it (create_temporary_file), fsync,
// rename; the temporary is removed when a step fails.
void write_file_atomic(const std::string& path, std::string_view data);

// Writes the concatenation of `pieces` to `path` atomically, without joining them in memory.
void write_file_atomic(const std::string& path, std::span<const std::string_view> pieces);

// True when `path` names an existing regular file.
bool is_file(const std::string& path);

// True when `path` names an existing directory.
bool is_directory(const std::string& path);

// An exclusive advisory lock (flock) on a lock file, held until the object dies; movable.
class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Locks the file at `path` (created when `create`, else it must exist) without waiting.
  // Returns an unlocked FileLock when another process holds the lock (holder() then says who) or,
  // without `create`, when there is no file; throws an I/O Error when the file cannot be opened
  // or locked for another reason.
  static FileLock try_lock(const std::string& path, bool create);
  // True while the lock is held.
  bool locked() const { return fd_ >= 0; }
  // Writes "pid <this process>" into the held lock file, for holder() of a process refused.
  void record_holder(const std::string& path) const;
  // What the lock file said about the process that held it ("pid 1234"), or "".
  const std::string& holder() const { return holder_; }

 private:
  int fd_ = -1;
  std::string holder_;
};

// A read-only memory map of a whole file; movable, not copyable.
class MappedFile {
 public:
  MappedFile() = default;
  // Maps the file at `path`; throws an I/O Error naming it.
  explicit MappedFile(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // First byte of the file (nullptr for an empty file).
  const uint8_t* data() const { return data_; }
  // Length of the file in bytes.
  size_t size() const { return size_; }
  // The path the file was mapped from.
  const std::string& path() const { return path_; }
  // Drops the whole pages within [begin, begin + bytes) of the mapping from this process's
  // resident memory (they stay in the page cache, and a later read maps them back): for a
  // loader that has copied a tensor out and wants the file's pages not to count twice.
  void release(const uint8_t* begin, size_t bytes) const;

 private:
  void unmap();
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace aha
