// Whole-file reads, atomic writes and read-only memory maps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace aha {

// Reads the whole file at `path` into a string; throws an I/O Error naming it.
std::string read_file(const std::string& path);

// Writes `data` to `path` atomically: temp file in the same folder, fsync, rename.
void write_file_atomic(const std::string& path, std::string_view data);

// Writes the concatenation of `pieces` to `path` atomically, without joining them in memory.
void write_file_atomic(const std::string& path, std::span<const std::string_view> pieces);

// True when `path` names an existing regular file.
bool is_file(const std::string& path);

// True when `path` names an existing directory.
bool is_directory(const std::string& path);

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
