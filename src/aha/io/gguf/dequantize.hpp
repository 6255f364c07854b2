// GGUF tensor data to fp32: the float types converted, the block-quantized types (q8_0, q4_0, q5_0, q4_K,
// q6_K) expanded as ggml's reference dequantize_row_* functions define them.
#pragma once

#include <cstdint>

#include "aha/io/gguf/format.hpp"

namespace aha::io::gguf {

// Writes the `n` values stored as `type` at `src` to `out`; `n` must be a whole number of blocks.
void dequantize_row(TensorType type, const uint8_t* src, int64_t n, float* out);

}  // namespace aha::io::gguf
