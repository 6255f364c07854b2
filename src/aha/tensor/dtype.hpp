// Element types of stored tensors and conversions between them and fp32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aha::tensor {

// The safetensors dtypes aha knows. Only F32, F16 and BF16 convert to fp32.
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, F8_E4M3, F8_E5M2 };

// Size of one element in bytes.
size_t dtype_size(DType dtype);

// The safetensors name of a dtype ("F32", "BF16", ...).
std::string_view dtype_name(DType dtype);

// The dtype with a safetensors name, or nullopt when the name is unknown.
std::optional<DType> dtype_from_name(std::string_view name);

// True for the dtypes that convert to fp32 (F32, F16, BF16).
bool is_float_dtype(DType dtype);

// bf16 bits -> fp32 (exact).
inline float bf16_to_f32(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

// fp32 -> bf16 bits, rounding to nearest even; a NaN stays a NaN, made quiet. Inline and without
// a branch, so that loops over it vectorize (the avx2 level's bf16 rounding).
inline uint16_t f32_to_bf16(float value) {
  uint32_t u;
  __builtin_memcpy(&u, &value, 4);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const uint32_t quiet = (u >> 16) | 0x40u;
  return static_cast<uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? quiet : rounded);
}

// IEEE half bits -> fp32 (exact, including subnormals, infinities and NaN).
float f16_to_f32(uint16_t bits);

// fp32 -> IEEE half bits, rounding to nearest even.
uint16_t f32_to_f16(float value);

// Converts `count` little-endian elements of `dtype` at `src` to fp32 at `dst`.
void convert_to_f32(DType dtype, const void* src, float* dst, size_t count);

}  // namespace aha::tensor
