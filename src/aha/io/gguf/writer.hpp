// A GGUF v3 file being assembled: typed metadata key/value pairs and tensors (ggml's dimension
// order, already in their block encoding), written atomically with every tensor's data aligned
// to `general.alignment` (32 bytes).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aha/io/gguf/format.hpp"

namespace aha::io::gguf {

class Writer {
 public:
  // Metadata setters; each key may be set once (a second set of a key is an internal Error).
  void set_uint32(std::string_view key, uint32_t value);
  void set_int32(std::string_view key, int32_t value);
  void set_uint64(std::string_view key, uint64_t value);
  void set_float32(std::string_view key, float value);
  void set_bool(std::string_view key, bool value);
  void set_string(std::string_view key, std::string_view value);
  void set_string_array(std::string_view key, const std::vector<std::string>& values);
  void set_int32_array(std::string_view key, const std::vector<int32_t>& values);

  // Adds tensor `name` of `type` with dimensions `ne` (ggml order: ne[0] is the contiguous one,
  // the reverse of a PyTorch shape) whose encoded bytes are `data` (checked against the type's
  // block size).
  void add_tensor(std::string name, std::vector<int64_t> ne, TensorType type, std::string data);

  // The number of metadata pairs and of tensors so far.
  size_t metadata_count() const { return kv_count_; }
  size_t tensor_count() const { return tensors_.size(); }

  // Writes the file to `path` atomically (temporary file, fsync, rename).
  void write(const std::string& path) const;

 private:
  struct PendingTensor {
    std::string name;
    std::vector<int64_t> ne;
    TensorType type;
    std::string data;
  };
  void begin_key(std::string_view key, ValueType type);

  std::string kv_;  // the encoded key/value pairs
  size_t kv_count_ = 0;
  std::set<std::string, std::less<>> keys_;
  std::vector<PendingTensor> tensors_;
};

// The encoded size in bytes of a tensor of `type` with `ne`; an Error when ne[0] is not a whole
// number of blocks.
size_t tensor_bytes(TensorType type, const std::vector<int64_t>& ne);

}  // namespace aha::io::gguf
