#include "aha/io/gguf/reader.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>

#include "aha/base/error.hpp"

namespace aha::io::gguf {

// Bounded little-endian reads over the mapped header; running past the end is an Error naming the
// file, the item being read and its byte offset.
class GgufCursor {
 public:
  GgufCursor(const uint8_t* data, size_t size, const std::string& path) : data_(data), size_(size), path_(path) {}

  size_t position() const { return pos_; }
  size_t left() const { return size_ - pos_; }

  const uint8_t* take(size_t n, std::string_view what) {
    if (n > left()) fail("{}: truncated: {} at byte {} needs {} bytes, {} left", path_, what, pos_, n, left());
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint64_t unsigned_le(size_t n, std::string_view what) {
    const uint8_t* p = take(n, what);
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
  }
  uint32_t u32(std::string_view what) { return static_cast<uint32_t>(unsigned_le(4, what)); }
  uint64_t u64(std::string_view what) { return unsigned_le(8, what); }
  std::string string(std::string_view what) {
    const uint64_t length = u64(what);
    if (length > left())
      fail("{}: {} at byte {} is {} bytes long, past the end of the file ({} bytes left)", path_, what, pos_ - 8,
           length, left());
    const uint8_t* p = take(static_cast<size_t>(length), what);
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(length));
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& path_;
};

namespace {

constexpr uint32_t kMaxDims = 4;               // GGML_MAX_DIMS
constexpr uint64_t kMaxElements = 1ull << 62;  // keeps every size computation inside uint64

bool valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::kFloat64); }

// Bytes one scalar of type `t` takes in the file (8 for a string's length, its minimum).
size_t scalar_bytes(ValueType t) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool: return 1;
    case ValueType::kUint16:
    case ValueType::kInt16: return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32: return 4;
    default: return 8;
  }
}

// ggml's name for tensor type `id`, for the message that refuses it ("type 13" when unnamed).
std::string ggml_type_name(uint32_t id) {
  static constexpr std::string_view names[] = {
      "f32",  "f16",  "q4_0", "q4_1", "",        "",       "q5_0",    "q5_1",  "q8_0",   "q8_1",  "q2_K",  "q3_K",
      "q4_K", "q5_K", "q6_K", "q8_K", "iq2_xxs", "iq2_xs", "iq3_xxs", "iq1_s", "iq4_nl", "iq3_s", "iq2_s", "iq4_xs",
      "i8",   "i16",  "i32",  "i64",  "f64",     "iq1_m",  "bf16",    "",      "",       "",      "tq1_0", "tq2_0"};
  if (id < std::size(names) && !names[id].empty()) return std::string(names[id]);
  return "type " + std::to_string(id);
}

bool is_integer_type(ValueType t) {
  return t != ValueType::kFloat32 && t != ValueType::kFloat64 && t != ValueType::kString && t != ValueType::kArray;
}

// Reads one numeric or bool scalar of type `t` as (integer, real); a uint64 above INT64_MAX fails.
void read_number(GgufCursor& in, ValueType t, const std::string& path, const std::string& key, int64_t& integer,
                 double& real) {
  const uint64_t raw = in.unsigned_le(scalar_bytes(t), key);
  switch (t) {
    case ValueType::kInt8: integer = static_cast<int8_t>(raw); break;
    case ValueType::kInt16: integer = static_cast<int16_t>(raw); break;
    case ValueType::kInt32: integer = static_cast<int32_t>(raw); break;
    case ValueType::kInt64: integer = static_cast<int64_t>(raw); break;
    case ValueType::kBool:
      if (raw > 1) fail("{}: metadata '{}': bool value {} is neither 0 nor 1", path, key, raw);
      integer = static_cast<int64_t>(raw);
      break;
    case ValueType::kFloat32: {
      float f;
      const uint32_t bits = static_cast<uint32_t>(raw);
      std::memcpy(&f, &bits, 4);
      real = f;
      return;
    }
    case ValueType::kFloat64: std::memcpy(&real, &raw, 8); return;
    default:
      if (raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail("{}: metadata '{}': value {} is too large", path, key, raw);
      integer = static_cast<int64_t>(raw);
  }
  real = static_cast<double>(integer);
}

ValueType read_value_type(GgufCursor& in, const std::string& path, const std::string& key) {
  const uint32_t t = in.u32(key);
  if (!valid_value_type(t)) fail("{}: metadata '{}': unknown value type {}", path, key, t);
  return static_cast<ValueType>(t);
}

void read_array(GgufCursor& in, MetadataValue& v, const std::string& path, const std::string& key) {
  v.element_type = read_value_type(in, path, key);
  if (v.element_type == ValueType::kArray) fail("{}: metadata '{}': arrays of arrays are not supported", path, key);
  const uint64_t count = in.u64(key);
  const size_t each = scalar_bytes(v.element_type);
  if (count > in.left() / each)
    fail("{}: metadata '{}': {} elements of {} cannot fit in the {} bytes left", path, key, count,
         value_type_name(v.element_type), in.left());
  if (v.element_type == ValueType::kString) {
    v.texts.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) v.texts.push_back(in.string(key));
    return;
  }
  v.numbers.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    int64_t integer = 0;
    double real = 0;
    read_number(in, v.element_type, path, key, integer, real);
    v.numbers.push_back(real);
  }
}

}  // namespace

std::string_view value_type_name(ValueType t) {
  static constexpr std::string_view names[] = {"uint8", "int8",   "uint16", "int16",  "uint32", "int32",  "float32",
                                               "bool",  "string", "array",  "uint64", "int64",  "float64"};
  const auto i = static_cast<uint32_t>(t);
  return i < std::size(names) ? names[i] : "unknown";
}

bool is_gguf_path(const std::string& path) {
  std::error_code ec;
  return path.size() > 5 && path.ends_with(".gguf") && std::filesystem::is_regular_file(path, ec);
}

GgufFile::GgufFile(const std::string& path) : map_(std::make_shared<MappedFile>(path)) {
  GgufCursor in(map_->data(), map_->size(), path);
  if (map_->size() < 24) fail("{}: {} bytes is too short for a GGUF file (24-byte header)", path, map_->size());
  const uint32_t magic = in.u32("magic");
  if (magic != kMagic) fail("{}: not a GGUF file (the first 4 bytes are not \"GGUF\")", path);
  version_ = in.u32("version");
  if (version_ != 2 && version_ != 3) {
    if (version_ == 0x03000000 || version_ == 0x02000000) fail("{}: a big-endian GGUF file is not supported", path);
    fail("{}: GGUF version {} is not supported (supported: 2, 3)", path, version_);
  }
  const uint64_t tensor_count = in.u64("tensor_count");
  const uint64_t kv_count = in.u64("metadata_kv_count");
  read_metadata(in, kv_count);
  read_tensor_infos(in, tensor_count);
  const uint64_t data_start = (in.position() + alignment_ - 1) / alignment_ * alignment_;
  place_tensors(data_start);
}

void GgufFile::read_metadata(GgufCursor& in, uint64_t count) {
  const std::string& file = path();
  // A key/value pair takes at least 13 bytes (key length, value type, one byte of value).
  if (count > in.left() / 13)
    fail("{}: metadata_kv_count {} cannot fit in the {} bytes of the file", file, count, map_->size());
  for (uint64_t i = 0; i < count; ++i) {
    std::string key = in.string("metadata key");
    if (metadata_.count(key)) fail("{}: metadata key '{}' appears twice", file, key);
    MetadataValue v;
    v.type = read_value_type(in, file, key);
    if (v.type == ValueType::kString) v.text = in.string(key);
    else if (v.type == ValueType::kArray) read_array(in, v, file, key);
    else read_number(in, v.type, file, key, v.integer, v.real);
    metadata_.emplace(std::move(key), std::move(v));
  }
  if (const MetadataValue* a = find("general.alignment")) {
    if (!is_integer_type(a->type) || a->type == ValueType::kBool)
      fail("{}: general.alignment must be an integer, got {}", file, value_type_name(a->type));
    if (a->integer <= 0 || a->integer > (1 << 30) || (a->integer & (a->integer - 1)) != 0)
      fail("{}: general.alignment {} is not a power of two up to 2^30", file, a->integer);
    alignment_ = static_cast<uint64_t>(a->integer);
  }
}

void GgufFile::read_tensor_infos(GgufCursor& in, uint64_t count) {
  const std::string& file = path();
  // A tensor info takes at least 32 bytes (name length, n_dims, one dim, type, offset).
  if (count > in.left() / 32)
    fail("{}: tensor_count {} cannot fit in the {} bytes of the file", file, count, map_->size());
  tensors_.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    TensorInfo t;
    t.name = in.string("tensor name");
    if (tensor_index_.count(t.name)) fail("{}: tensor '{}' appears twice", file, t.name);
    const uint32_t n_dims = in.u32(t.name);
    if (n_dims == 0 || n_dims > kMaxDims)
      fail("{}: tensor '{}': {} dimensions (expected 1 to 4)", file, t.name, n_dims);
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t dim = in.u64(t.name);
      if (dim == 0 || dim > kMaxElements || elements > kMaxElements / dim)
        fail("{}: tensor '{}': dimension {} is {}, or the element count overflows", file, t.name, d, dim);
      elements *= dim;
      t.dims.push_back(static_cast<int64_t>(dim));
    }
    const uint32_t type = in.u32(t.name);
    if (!is_known_tensor_type(type))
      fail("{}: tensor '{}': tensor type {} is not supported (supported: f32, f16, bf16, q8_0, q4_0, q5_0, q4_K, q6_K)", file,
           t.name, ggml_type_name(type));
    t.type = static_cast<TensorType>(type);
    const int64_t block = block_elements(t.type);
    if (t.dims[0] % block != 0)
      fail("{}: tensor '{}': {} rows of {} elements are not whole blocks of {}", file, t.name, tensor_type_name(t.type),
           t.dims[0], block);
    t.elements = static_cast<int64_t>(elements);
    const uint64_t blocks = elements / static_cast<uint64_t>(block);
    if (blocks > map_->size() / block_bytes(t.type))
      fail("{}: tensor '{}': {} elements of {} cannot fit in the file", file, t.name, elements,
           tensor_type_name(t.type));
    t.bytes = blocks * block_bytes(t.type);
    t.offset = in.u64(t.name);
    if (t.offset % alignment_ != 0)
      fail("{}: tensor '{}': offset {} is not a multiple of the alignment {}", file, t.name, t.offset, alignment_);
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
}

void GgufFile::place_tensors(uint64_t data_start) {
  const std::string& file = path();
  const uint64_t size = map_->size();
  const uint64_t data_size = data_start <= size ? size - data_start : 0;
  std::vector<const TensorInfo*> order;
  for (TensorInfo& t : tensors_) {
    if (t.offset > data_size || t.bytes > data_size - t.offset)
      fail("{}: tensor '{}': bytes [{}, {}) of the data section run past its end ({} bytes)", file, t.name, t.offset,
           t.offset + t.bytes, data_size);
    t.data = map_->data() + data_start + t.offset;
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->offset < order[i - 1]->offset + order[i - 1]->bytes)
      fail("{}: tensors '{}' and '{}' overlap in the data section", file, order[i - 1]->name, order[i]->name);
}

const MetadataValue* GgufFile::find(std::string_view key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::optional<std::string> GgufFile::string(std::string_view key) const {
  const MetadataValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::kString)
    fail("{}: metadata '{}' must be a string, got {}", path(), key, value_type_name(v->type));
  return v->text;
}

std::optional<int64_t> GgufFile::integer(std::string_view key) const {
  const MetadataValue* v = find(key);
  if (!v) return std::nullopt;
  if (!is_integer_type(v->type) || v->type == ValueType::kBool)
    fail("{}: metadata '{}' must be an integer, got {}", path(), key, value_type_name(v->type));
  return v->integer;
}

std::optional<double> GgufFile::number(std::string_view key) const {
  const MetadataValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type == ValueType::kString || v->type == ValueType::kArray || v->type == ValueType::kBool)
    fail("{}: metadata '{}' must be a number, got {}", path(), key, value_type_name(v->type));
  return v->real;
}

std::optional<bool> GgufFile::boolean(std::string_view key) const {
  const MetadataValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::kBool)
    fail("{}: metadata '{}' must be a bool, got {}", path(), key, value_type_name(v->type));
  return v->integer != 0;
}

const std::vector<std::string>* GgufFile::strings(std::string_view key) const {
  const MetadataValue* v = find(key);
  if (!v) return nullptr;
  if (v->type != ValueType::kArray || v->element_type != ValueType::kString)
    fail("{}: metadata '{}' must be an array of strings", path(), key);
  return &v->texts;
}

const std::vector<double>* GgufFile::numbers(std::string_view key) const {
  const MetadataValue* v = find(key);
  if (!v) return nullptr;
  if (v->type != ValueType::kArray || v->element_type == ValueType::kString)
    fail("{}: metadata '{}' must be an array of numbers", path(), key);
  return &v->numbers;
}

}  // namespace aha::io::gguf
