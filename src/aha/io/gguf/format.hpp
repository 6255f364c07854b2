// The GGUF file format's constants (version 3, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
// the header, the metadata value types, and the tensor types aha reads and writes with their
// block layouts. The writer (io/gguf/writer), the reader (io/gguf/reader) and the block codecs
// (io/gguf/quantize, io/gguf/dequantize) share these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace aha::io::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
inline constexpr uint32_t kVersion = 3;
inline constexpr uint32_t kDefaultAlignment = 32;  // `general.alignment` when absent

// Metadata value types (gguf_metadata_value_type).
enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// Tensor types (ggml_type) that aha reads or writes; other ids are rejected by name.
enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ5_0 = 6,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ6_K = 14,
  kBF16 = 30,
};

// Elements per block: 32 for q4_0 and q8_0, 256 (QK_K) for the k-quants, 1 for float types.
inline constexpr int64_t kQK = 32;
inline constexpr int64_t kQK_K = 256;

// Bytes per block, as ggml's block structs lay them out (little-endian, no padding):
//   q8_0: f16 d, int8 qs[32]                                   -> 34 bytes
//   q4_0: f16 d, uint8 qs[16] (low nibbles x[0..15], high x[16..31], value = (q - 8) * d) -> 18
//   q5_0: f16 d, uint8 qh[4] (bit j: the 5th bit of x[j]), uint8 qs[16] as q4_0, value = (q - 16) * d -> 22
//   q4_K: f16 d, f16 dmin, uint8 scales[12] (8 6-bit scales and 8 6-bit mins), uint8 qs[128] -> 144
//   q6_K: uint8 ql[128], uint8 qh[64], int8 scales[16], f16 d  -> 210 bytes
inline constexpr size_t kBlockBytesQ8_0 = 34;
inline constexpr size_t kBlockBytesQ4_0 = 18;
inline constexpr size_t kBlockBytesQ5_0 = 22;
inline constexpr size_t kBlockBytesQ4_K = 144;
inline constexpr size_t kBlockBytesQ6_K = 210;

// Elements per block of `t` (1 for float types).
constexpr int64_t block_elements(TensorType t) {
  switch (t) {
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ5_0: return kQK;
    case TensorType::kQ4_K:
    case TensorType::kQ6_K: return kQK_K;
    default: return 1;
  }
}

// Bytes per block of `t` (the element size for float types); 0 for an unknown type.
constexpr size_t block_bytes(TensorType t) {
  switch (t) {
    case TensorType::kF32: return 4;
    case TensorType::kF16:
    case TensorType::kBF16: return 2;
    case TensorType::kQ8_0: return kBlockBytesQ8_0;
    case TensorType::kQ4_0: return kBlockBytesQ4_0;
    case TensorType::kQ5_0: return kBlockBytesQ5_0;
    case TensorType::kQ4_K: return kBlockBytesQ4_K;
    case TensorType::kQ6_K: return kBlockBytesQ6_K;
  }
  return 0;
}

// True when `id` names a TensorType above.
constexpr bool is_known_tensor_type(uint32_t id) {
  return id == 0 || id == 1 || id == 2 || id == 6 || id == 8 || id == 12 || id == 14 || id == 30;
}

// ggml's name for `t` ("f32", "q8_0", "q4_K", ...).
constexpr std::string_view tensor_type_name(TensorType t) {
  switch (t) {
    case TensorType::kF32: return "f32";
    case TensorType::kF16: return "f16";
    case TensorType::kBF16: return "bf16";
    case TensorType::kQ8_0: return "q8_0";
    case TensorType::kQ4_0: return "q4_0";
    case TensorType::kQ5_0: return "q5_0";
    case TensorType::kQ4_K: return "q4_K";
    case TensorType::kQ6_K: return "q6_K";
  }
  return "unknown";
}

}  // namespace aha::io::gguf
