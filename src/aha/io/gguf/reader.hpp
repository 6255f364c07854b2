// Reading GGUF files (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md, versions 2 and 3):
// the header, the metadata key/value pairs, the tensor infos and the aligned data section, memory-mapped
// and validated whole when opened, so that every later access stays inside the file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aha/base/file.hpp"
#include "aha/io/gguf/format.hpp"

namespace aha::io::gguf {

// One metadata value. Scalars fill `integer` (every integer type and bool), `real` (float types) or
// `text`; arrays fill `texts` (string arrays) or `numbers` (numeric and bool arrays, as doubles).
struct MetadataValue {
  ValueType type = ValueType::kUint8;
  ValueType element_type = ValueType::kUint8;  // arrays only
  int64_t integer = 0;                         // a uint64 above INT64_MAX is rejected when the file is opened
  double real = 0;
  std::string text;
  std::vector<std::string> texts;
  std::vector<double> numbers;
};

// One tensor: its name, ggml's dims (ne[0] is the fastest-varying, so a [out, in] matrix has
// dims {in, out}), its type and where its bytes are.
struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims;
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;  // from the start of the data section
  uint64_t bytes = 0;
  int64_t elements = 0;
  const uint8_t* data = nullptr;
};

class GgufCursor;

// A GGUF file, memory-mapped; the constructor validates every count, string, type, dimension and
// offset, so a defect is one bad-input Error naming the file and what is wrong.
class GgufFile {
 public:
  // Maps and validates `path`.
  explicit GgufFile(const std::string& path);

  // The file's path.
  const std::string& path() const { return map_->path(); }
  // The format version (2 or 3).
  uint32_t version() const { return version_; }
  // The data section's alignment (`general.alignment`, default 32).
  uint64_t alignment() const { return alignment_; }
  // Every metadata key and its value.
  const std::map<std::string, MetadataValue, std::less<>>& metadata() const { return metadata_; }
  // The value of `key`, or nullptr when absent.
  const MetadataValue* find(std::string_view key) const;
  // The tensors in the order of their infos in the file.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // The tensor called `name`, or nullptr when absent.
  const TensorInfo* find_tensor(std::string_view name) const;
  // Keeps the mapping alive for tensor views (tensor::Tensor's owner).
  std::shared_ptr<const void> owner() const { return map_; }
  // Drops `t`'s pages from resident memory once a loader has copied it out.
  void release(const TensorInfo& t) const { map_->release(t.data, t.bytes); }

  // `key` as a string; nullopt when absent, an Error naming the key when of another type.
  std::optional<std::string> string(std::string_view key) const;
  // `key` as an integer (any integer type); nullopt when absent, an Error when of another type.
  std::optional<int64_t> integer(std::string_view key) const;
  // `key` as a number (any integer or float type); nullopt when absent.
  std::optional<double> number(std::string_view key) const;
  // `key` as a bool; nullopt when absent.
  std::optional<bool> boolean(std::string_view key) const;
  // `key` as an array of strings; nullptr when absent.
  const std::vector<std::string>* strings(std::string_view key) const;
  // `key` as a numeric array; nullptr when absent.
  const std::vector<double>* numbers(std::string_view key) const;

 private:
  void read_metadata(GgufCursor& in, uint64_t count);
  void read_tensor_infos(GgufCursor& in, uint64_t count);
  void place_tensors(uint64_t data_start);

  std::shared_ptr<MappedFile> map_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  std::map<std::string, MetadataValue, std::less<>> metadata_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// ggml's name for a value type ("uint32", "string", "array", ...).
std::string_view value_type_name(ValueType t);

// True when `path` names a GGUF file: a regular file whose name ends in ".gguf".
bool is_gguf_path(const std::string& path);

}  // namespace aha::io::gguf
