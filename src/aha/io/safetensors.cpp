#include "aha/io/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"

namespace aha::io {
namespace {

// The safetensors library refuses headers above 100 MB; so does aha.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t json_count(const std::string& path, const std::string& name, const char* field, const Json& value) {
  if (!value.is_number_unsigned())
    fail("{}: tensor '{}': {} must hold non-negative integers, got {}", path, name, field, value.dump());
  return value.get<uint64_t>();
}

tensor::Shape parse_shape(const std::string& path, const std::string& name, const Json& shape) {
  if (!shape.is_array()) fail("{}: tensor '{}': 'shape' must be an array", path, name);
  tensor::Shape out;
  uint64_t total = 1;
  for (const Json& d : shape) {
    uint64_t dim = json_count(path, name, "'shape'", d);
    if (dim > (1ull << 62) || (dim != 0 && total > (1ull << 62) / dim))
      fail("{}: tensor '{}': shape {} is too large", path, name, shape.dump());
    total *= dim;
    out.push_back(static_cast<int64_t>(dim));
  }
  return out;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : map_(std::make_shared<MappedFile>(path)) {
  const size_t size = map_->size();
  if (size < 8) fail("{}: {} bytes is too short for a safetensors file", path, size);
  uint64_t header_len = read_u64_le(map_->data());
  if (header_len > size - 8)
    fail("{}: header length {} runs past the end of the file ({} bytes)", path, header_len, size);
  if (header_len > kMaxHeaderBytes)
    fail("{}: header length {} is over the limit of {} bytes", path, header_len, kMaxHeaderBytes);
  data_start_ = 8 + header_len;
  const size_t data_size = size - data_start_;

  std::string text(reinterpret_cast<const char*>(map_->data() + 8), header_len);
  const Json header = parse_json(text, path + " (safetensors header)");
  if (!header.is_object()) fail("{}: safetensors header must be a JSON object", path);

  struct Span {
    size_t begin, end;
    const std::string* name;
  };
  std::vector<Span> spans;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail("{}: '__metadata__' must be an object of strings", path);
      for (const auto& [key, v] : value.items()) {
        if (!v.is_string()) fail("{}: '__metadata__' entry '{}' must be a string", path, key);
        metadata_[key] = v.get<std::string>();
      }
      continue;
    }
    if (!value.is_object()) fail("{}: tensor '{}': entry must be an object", path, name);
    if (!value.contains("dtype") || !value["dtype"].is_string())
      fail("{}: tensor '{}': missing string 'dtype'", path, name);
    auto dtype = tensor::dtype_from_name(value["dtype"].get<std::string>());
    if (!dtype) fail("{}: tensor '{}': unknown dtype '{}'", path, name, value["dtype"].get<std::string>());
    if (!value.contains("shape")) fail("{}: tensor '{}': missing 'shape'", path, name);
    tensor::Shape shape = parse_shape(path, name, value["shape"]);
    if (!value.contains("data_offsets") || !value["data_offsets"].is_array() || value["data_offsets"].size() != 2)
      fail("{}: tensor '{}': 'data_offsets' must be an array of two integers", path, name);
    uint64_t begin = json_count(path, name, "'data_offsets'", value["data_offsets"][0]);
    uint64_t end = json_count(path, name, "'data_offsets'", value["data_offsets"][1]);
    if (begin > end || end > data_size)
      fail("{}: tensor '{}': data offsets [{}, {}] point outside the data ({} bytes)", path, name, begin, end,
           data_size);
    uint64_t count = static_cast<uint64_t>(tensor::numel(shape));
    uint64_t elem = tensor::dtype_size(*dtype);
    if (count > std::numeric_limits<uint64_t>::max() / elem || end - begin != count * elem)
      fail("{}: tensor '{}': {} bytes of data, but {} {} needs {}", path, name, end - begin,
           tensor::shape_string(shape), tensor::dtype_name(*dtype), count * elem);
    auto [it, inserted] = entries_.emplace(name, Entry{*dtype, std::move(shape), begin});
    spans.push_back({begin, end, &it->first});
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i > 0 && spans[i].begin < spans[i - 1].end)
      fail("{}: tensors '{}' and '{}' overlap in the data section", path, *spans[i - 1].name, *spans[i].name);
    names_.push_back(*spans[i].name);
  }
}

tensor::Tensor SafetensorsFile::get(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) fail("{}: no tensor named '{}'", path(), name);
  const Entry& e = it->second;
  return tensor::Tensor(e.dtype, e.shape, map_->data() + data_start_ + e.begin, map_);
}

void SafetensorsFile::release(const std::string& name) const {
  const tensor::Tensor t = get(name);
  map_->release(t.data(), t.nbytes());
}

void write_safetensors(const std::string& path, const std::map<std::string, tensor::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__") fail("{}: '__metadata__' cannot name a tensor", path);
    header[name] = {{"dtype", std::string(tensor::dtype_name(t.dtype()))},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned, as HF does
  std::string prefix(8, '\0');
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);

  std::vector<std::string_view> pieces = {prefix, text};
  for (const auto& [name, t] : tensors) pieces.emplace_back(reinterpret_cast<const char*>(t.data()), t.nbytes());
  write_file_atomic(path, pieces);
}

}  // namespace aha::io
