// A bf16 matrix product for nn.Linear weights stored in bf16: out = A · Wᵀ with A in fp32
// (rounded to bf16 per row block, to nearest even, as PyTorch's autocast rounds it), W in bf16
// and every sum in fp32. The kernels are chosen at run time by the ISA level (isa.hpp), never by
// the shape, and each is compiled with its own target attribute, so the build needs no -march.
//
// Summation order, per level: every element out[i][j] is one chain over k in order, started
// from 0, that no row count, tile, block or thread count changes; so a row computed alone is
// bit-identical to the same row in any batch. The chain's step differs between levels, and so
// may the bits:
//   generic, avx2, avx512  fma(a[k], w[j][k], acc) for each k: the three agree bit for bit
//                          (bf16 products are exact in fp32; each step is one rounding).
//   avx512bf16             one vdpbf16ps per pair of k (2p, 2p + 1), with its own rounding and
//                          denormals flushed to zero.
//   amx                    one TDPBF16PS per 32 values of k.
// An odd k is padded with one zero pair; that adds +0, which turns a -0 sum into +0.
#pragma once

#include <cstdint>
#include <vector>

#include "aha/backend/cpu/gemm.hpp"
#include "aha/backend/cpu/isa.hpp"

namespace aha::backend::cpu {

// Columns of W per packed panel: two 16-lane vectors, or two 16-column AMX tiles.
constexpr int64_t kBf16PanelWidth = 32;
// k is padded with zeros to a multiple of this: one AMX tile holds 32 bf16 of k.
constexpr int64_t kBf16Depth = 32;

using AlignedBf16 = std::vector<uint16_t, CacheAligned<uint16_t>>;

// W (n, k) packed for every level: panel p holds columns p*32 .. +32, as pairs of k. Element
// (j, k) of W is at p*padded_k()*32 + (k/2)*64 + (j - p*32)*2 + k%2, zero past k and n. One
// pair of k of a panel is 128 bytes: two vectors of 16 (w[j][2q], w[j][2q+1]) pairs, which
// is both vdpbf16ps's operand and two rows of AMX's pair-interleaved ("VNNI") B tiles.
struct PackedBf16 {
  int64_t k = 0, n = 0;
  AlignedBf16 data;
  int64_t padded_k() const { return (k + kBf16Depth - 1) / kBf16Depth * kBf16Depth; }
  int64_t panels() const { return (n + kBf16PanelWidth - 1) / kBf16PanelWidth; }
  const uint16_t* panel(int64_t p) const { return data.data() + p * padded_k() * kBf16PanelWidth; }
};

// Packs weight (out, in) in bf16 bits, as nn.Linear stores it, reusing out's memory (threaded).
void pack_bf16_weight(PackedBf16& packed, const uint16_t* weight, int64_t in, int64_t out);

// W (out, in) in bf16 bits packed as B = Wᵀ: k = out, n = in (for the input's gradient dout · W),
// reusing packed's memory (threaded).
void pack_bf16_transposed(PackedBf16& packed, const uint16_t* weight, int64_t in, int64_t out);

// The same from fp32: W (n, k) read through `w` (element (j, k) at w.data[j * w.row_stride + k *
// w.col_stride]), each value rounded to bf16 (nearest even), packed reusing packed's memory.
void pack_bf16_rounded(PackedBf16& packed, MatrixView w, int64_t k, int64_t n);

// Rows ids[r] of W (each < w.n), as fp32 (exact) -> out (rows, w.k).
void unpack_bf16_rows(float* out, const PackedBf16& w, const int32_t* ids, int64_t rows);

// out (rows, w.n) = bf16(a) (rows, w.k) · Wᵀ with the kernels of isa_level(). Threaded with
// parallel_for.
void gemm_bf16(float* out, const float* a, const PackedBf16& w, int64_t rows);

// The same with the kernels of `level`, which must be at most detected_isa() (tests, benchmarks).
void gemm_bf16(float* out, const float* a, const PackedBf16& w, int64_t rows, IsaLevel level);

// The same with the rows of A a_stride >= w.k floats apart.
void gemm_bf16(float* out, const float* a, int64_t a_stride, const PackedBf16& w, int64_t rows, IsaLevel level);

// The same with A stored transposed: element (i, k) of A (rows, w.k) at a_t[k * a_t_stride + i],
// a_t_stride >= rows (the weight gradient's doutᵀ, rounded as it is transposed: no copy).
void gemm_bf16_transposed_a(float* out, const float* a_t, int64_t a_t_stride, const PackedBf16& w, int64_t rows,
                            IsaLevel level);

}  // namespace aha::backend::cpu
