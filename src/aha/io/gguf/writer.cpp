#include "aha/io/gguf/writer.hpp"

#include <cstring>
#include <span>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"

namespace aha::io::gguf {
namespace {

// Appends the little-endian bytes of `value`.
template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // x86-64 and aarch64 are little-endian, as GGUF is
  out.append(bytes, sizeof(T));
}

// A GGUF string: uint64 length, then the bytes (no terminator).
void put_string(std::string& out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out.append(s);
}

size_t padding(size_t offset) { return (kDefaultAlignment - offset % kDefaultAlignment) % kDefaultAlignment; }

}  // namespace

size_t tensor_bytes(TensorType type, const std::vector<int64_t>& ne) {
  if (ne.empty()) throw Error(ErrorKind::internal, "gguf: a tensor needs at least one dimension");
  const int64_t block = block_elements(type);
  if (ne[0] % block != 0)
    throw Error(ErrorKind::internal, fmt::format("gguf: a row of {} elements is not a whole number of {} blocks", ne[0],
                                                 tensor_type_name(type)));
  size_t rows = 1;
  for (size_t i = 1; i < ne.size(); ++i) rows *= static_cast<size_t>(ne[i]);
  return rows * static_cast<size_t>(ne[0] / block) * block_bytes(type);
}

void Writer::begin_key(std::string_view key, ValueType type) {
  if (!keys_.emplace(key).second) throw Error(ErrorKind::internal, fmt::format("gguf: key {} set twice", key));
  put_string(kv_, key);
  put<uint32_t>(kv_, static_cast<uint32_t>(type));
  ++kv_count_;
}

void Writer::set_uint32(std::string_view key, uint32_t value) {
  begin_key(key, ValueType::kUint32);
  put(kv_, value);
}

void Writer::set_int32(std::string_view key, int32_t value) {
  begin_key(key, ValueType::kInt32);
  put(kv_, value);
}

void Writer::set_uint64(std::string_view key, uint64_t value) {
  begin_key(key, ValueType::kUint64);
  put(kv_, value);
}

void Writer::set_float32(std::string_view key, float value) {
  begin_key(key, ValueType::kFloat32);
  put(kv_, value);
}

void Writer::set_bool(std::string_view key, bool value) {
  begin_key(key, ValueType::kBool);
  put<uint8_t>(kv_, value ? 1 : 0);
}

void Writer::set_string(std::string_view key, std::string_view value) {
  begin_key(key, ValueType::kString);
  put_string(kv_, value);
}

void Writer::set_string_array(std::string_view key, const std::vector<std::string>& values) {
  begin_key(key, ValueType::kArray);
  put<uint32_t>(kv_, static_cast<uint32_t>(ValueType::kString));
  put<uint64_t>(kv_, values.size());
  for (const std::string& v : values) put_string(kv_, v);
}

void Writer::set_int32_array(std::string_view key, const std::vector<int32_t>& values) {
  begin_key(key, ValueType::kArray);
  put<uint32_t>(kv_, static_cast<uint32_t>(ValueType::kInt32));
  put<uint64_t>(kv_, values.size());
  for (const int32_t v : values) put(kv_, v);
}

void Writer::add_tensor(std::string name, std::vector<int64_t> ne, TensorType type, std::string data) {
  if (data.size() != tensor_bytes(type, ne))
    throw Error(ErrorKind::internal, fmt::format("gguf: tensor {} has {} bytes, its type and shape need {}", name,
                                                 data.size(), tensor_bytes(type, ne)));
  for (const PendingTensor& t : tensors_)
    if (t.name == name) throw Error(ErrorKind::internal, fmt::format("gguf: tensor {} added twice", name));
  tensors_.push_back({std::move(name), std::move(ne), type, std::move(data)});
}

void Writer::write(const std::string& path) const {
  // Header, metadata and tensor infos; then the data section, each tensor at an aligned offset.
  std::string head;
  put<uint32_t>(head, kMagic);
  put<uint32_t>(head, kVersion);
  put<uint64_t>(head, tensors_.size());
  put<uint64_t>(head, kv_count_);
  head += kv_;
  size_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    put_string(head, t.name);
    put<uint32_t>(head, static_cast<uint32_t>(t.ne.size()));
    for (const int64_t n : t.ne) put<uint64_t>(head, static_cast<uint64_t>(n));
    put<uint32_t>(head, static_cast<uint32_t>(t.type));
    put<uint64_t>(head, offset);
    offset += t.data.size() + padding(t.data.size());
  }
  static const std::string kZeros(kDefaultAlignment, '\0');
  std::vector<std::string_view> pieces{head, std::string_view(kZeros).substr(0, padding(head.size()))};
  for (const PendingTensor& t : tensors_) {
    pieces.emplace_back(t.data);
    pieces.push_back(std::string_view(kZeros).substr(0, padding(t.data.size())));
  }
  write_file_atomic(path, std::span<const std::string_view>(pieces));
}

}  // namespace aha::io::gguf
