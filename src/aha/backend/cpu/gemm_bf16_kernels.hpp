// The pieces of gemm_bf16 that differ by ISA level, each function compiled with its own target
// attributes: the micro-kernels of the register-tiled levels (gemm_bf16_widen.cpp for generic,
// avx2 and avx512; gemm_bf16_dot.cpp for avx512bf16), the AMX block (gemm_bf16_amx.cpp) and the
// AVX-512 rounding of A (gemm_bf16.cpp). Only gemm_bf16.cpp and its tests call them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aha/backend/cpu/gemm_bf16.hpp"

namespace aha::backend::cpu::bf16 {

// Most rows in one task (a multiple of 16): A's 192 rows x 128 pairs of k are 96 KB, in L2.
constexpr int64_t kBlockRows = 192;
// Pairs of k per block: a 32-column panel of 128 pairs is 16 KB, which stays in L1.
constexpr int64_t kBlockPairs = 128;
// Panels per group: C of a task's 192 rows x 512 columns (384 KB) stays in L2 over k.
constexpr int64_t kBlockPanels = 16;

// One task: out rows [i0, i1) x panels [p0, p1) of out (row stride ldc). `a` holds A rounded to
// bf16, rows lda >= b.padded_k() elements apart and zero past k: bf16 bits for avx512bf16 and
// amx, the same values widened to fp32 for the widening levels (generic, avx2, avx512).
struct Block {
  float* c;
  int64_t ldc;
  const void* a;
  int64_t lda;
  const PackedBf16& b;
  int64_t i0, i1, p0, p1;
};

// C tile (mr, np panels; row stride ldc) over k pairs [q0, q1): from C when `load`, else from
// 0. `a` points at the tile's first row (rows lda elements apart); `b` at pair 0 of its first
// panel (panels b_panel elements apart).
using MicroKernel = void (*)(int64_t q0, int64_t q1, const void* a, int64_t lda, const uint16_t* b, int64_t b_panel,
                             float* c, int64_t ldc, bool load);

// A register-tiled level: tiles of up to max_rows rows, a panel count chosen per row block.
struct MicroKernels {
  int max_rows;
  size_t a_bytes;  // size of one element of `a`
  int (*panels_per_tile)(int mr, int64_t panels_left);
  MicroKernel (*kernel)(int mr, int np);
};

const MicroKernels& generic_kernels();
const MicroKernels& avx2_kernels();
const MicroKernels& avx512_kernels();
const MicroKernels& avx512bf16_kernels();

// The AMX level's task: tiles of 32 rows x 32 columns over all of k. `a` holds at least
// ceil(i1 / 16) * 16 rows.
void amx_block(const Block& block);

#if defined(__x86_64__)
// dst[i] = f32_to_bf16(src[i]) for i < n (AVX-512; the same bits as tensor::f32_to_bf16).
__attribute__((target("avx512f"))) void round_to_bf16_avx512(uint16_t* dst, const float* src, int64_t n);
// dst[i] = bf16_to_f32(f32_to_bf16(src[i])) for i < n (AVX-512).
__attribute__((target("avx512f"))) void round_to_bf16_as_f32_avx512(float* dst, const float* src, int64_t n);
// One pair of k of a packed panel (64 bf16: (even[j], odd[j]) for j < 32), the first `width`
// columns rounded from `even` and `odd` (contiguous columns; nullptr: past k, zeros), the rest zero.
__attribute__((target("avx512f"))) void pack_pair_avx512(uint16_t* dst, const float* even, const float* odd,
                                                         int64_t width);
// Column j of a packed panel from its k values `src` (contiguous), `dst` = the panel + 2j: every
// one of `pairs` pairs (zeros past k).
__attribute__((target("avx512f"))) void pack_column_avx512(uint16_t* dst, const float* src, int64_t k, int64_t pairs);
// Rows i0..i0+15, columns k0..k0+15 of rounded A (rows lda elements apart: bf16 bits when `bits`,
// else fp32 values) from the 16 x 16 block of its transpose at src (rows `stride` apart).
__attribute__((target("avx512f"))) void round_transposed_16x16(std::byte* dst, bool bits, int64_t lda, int64_t i0,
                                                               int64_t k0, const float* src, int64_t stride);
#endif

}  // namespace aha::backend::cpu::bf16
