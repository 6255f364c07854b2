// ggml's block quantizers, written from the formats' definitions and rounding exactly as ggml's
// reference C code (quantize_row_*_ref in ggml-quants.c) does, so that aha's blocks are the bytes
// llama-quantize writes without an importance matrix. Block layouts: format.hpp.
#pragma once

#include <cstdint>
#include <string>

#include "aha/io/gguf/format.hpp"

namespace aha::io::gguf {

// x (n) -> n/32 q8_0 blocks: d = max|x| / 127, q = round(x / d) (halves away from zero).
void quantize_q8_0(const float* x, int64_t n, uint8_t* out);

// x (n) -> n/32 q4_0 blocks: d = -m / 8 for m the element of largest magnitude, q = min(15, trunc(x/d + 8.5)).
void quantize_q4_0(const float* x, int64_t n, uint8_t* out);

// x (n) -> n/32 q5_0 blocks: d = -m / 16, q = min(31, trunc(x/d + 16.5)), the 5th bits in qh.
void quantize_q5_0(const float* x, int64_t n, uint8_t* out);

// x (n) -> n/256 q4_K blocks: eight 32-element sub-blocks, each x ≈ d·sc·q - dmin·m with q in
// [0, 15], sc and m 6-bit; each sub-block's scale and minimum fitted by make_qkx2_quants' search.
void quantize_q4_K(const float* x, int64_t n, uint8_t* out);

// x (n) -> n/256 q6_K blocks: sixteen 16-element sub-blocks, x ≈ d·sc·(q - 32) with q in [0, 63]
// and sc an int8; each sub-block's scale fitted by make_qx_quants' search.
void quantize_q6_K(const float* x, int64_t n, uint8_t* out);

// `n` values of `x` in `type`'s encoding (f32, f16 and bf16 rounded to nearest even, or blocks);
// n must be a multiple of the type's block.
std::string encode_row(TensorType type, const float* x, int64_t n);

}  // namespace aha::io::gguf
