// A matrix product for nn.Linear weights quantized as ggml's q8_0 (GGUF's Q8_0): out = A · Wᵀ with
// W in blocks of 32 values along k, each an int8 q and one fp16 scale d per block (w = d · q),
// and A quantized the same way per row at each call (its scale kept in fp32). Each block's dot
// product is an exact int32 sum; the blocks are folded in fp32. The weights are read as 1.06
// bytes per value (bf16: 2), which is what decode at batch 1 is bound by.
//
// Summation order, the same at every level, so every level gives the same bits: out[i][j] is
// one chain over the blocks b of k in order, started from 0, with the step
//   acc = fma(float(Σ_{t<32} qw[j][32b+t] · qa[i][32b+t]), dw[j][b] · da[i][b], acc)
// (the product of the two scales rounded once). A row computed alone is bit-identical to the
// same row in any batch, at any thread count. The levels differ only in how they form the exact
// integer sum: generic in plain C++, avx2 and avx512 with vpmaddubsw (|a| times w with a's sign,
// which cannot saturate), avx512bf16 and amx with AVX512_VNNI's vpdpbusd.
#pragma once

#include <cstdint>
#include <vector>

#include "aha/backend/cpu/gemm.hpp"
#include "aha/backend/cpu/isa.hpp"

namespace aha::backend::cpu {

// Values of k per block, as q8_0 defines it.
constexpr int64_t kQ8Block = 32;
// Rows of W per packed panel: one 16-lane int32 vector of outputs.
constexpr int64_t kQ8PanelRows = 16;

using AlignedBytes = std::vector<uint8_t, CacheAligned<uint8_t>>;

// W (n, k) in q8_0, packed in panels of 16 rows. Block b of panel p holds 512 bytes: groups g of
// 4 consecutive k (k = 32b + 4g + t), each 16 rows × 4 bytes, byte q + 128 of row p·16 + r at
// ((p · blocks() + b) · 8 + g) · 64 + 4r + t; its 16 fp16 scales at (p · blocks() + b) · 16 + r.
// k is padded with zeros to whole blocks and n to whole panels (scale 0).
struct PackedQ8 {
  int64_t k = 0, n = 0;
  AlignedBytes q;
  std::vector<uint16_t> d;
  int64_t blocks() const { return (k + kQ8Block - 1) / kQ8Block; }
  int64_t panels() const { return (n + kQ8PanelRows - 1) / kQ8PanelRows; }
};

// One q8_0 block from 32 values, as ggml's quantize_row_q8_0_ref: d = max|x| / 127, q =
// round(x / d) (half away from zero; 0 when d is 0); returns d in fp32 (the format stores it
// rounded to fp16).
float quantize_q8_block(int8_t q[kQ8Block], const float x[kQ8Block]);

// Quantizes weight (out, in) in fp32 to q8_0 and packs it, reusing packed's memory (threaded).
void pack_q8_weight(PackedQ8& packed, const float* weight, int64_t in, int64_t out);

// Packs weight (out, in) given as ggml q8_0 blocks (34 bytes each: fp16 d, 32 int8 q; in / 32
// blocks per row, in a multiple of 32), as GGUF stores a Q8_0 tensor (threaded).
void pack_q8_blocks(PackedQ8& packed, const uint8_t* blocks, int64_t in, int64_t out);

// Row r of W dequantized (d · q, exact in fp32) -> out (w.k); rows ids[r] -> out (rows, w.k).
void unpack_q8_rows(float* out, const PackedQ8& w, const int32_t* ids, int64_t rows);

// out (rows, w.n) = q8(a) (rows, w.k) · Wᵀ with the kernels of isa_level(). Threaded.
void gemm_q8(float* out, const float* a, const PackedQ8& w, int64_t rows);

// The same with the kernels of `level`, which must be at most detected_isa() (tests, benches).
void gemm_q8(float* out, const float* a, const PackedQ8& w, int64_t rows, IsaLevel level);

}  // namespace aha::backend::cpu
