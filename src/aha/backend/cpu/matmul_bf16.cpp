#include "aha/backend/cpu/matmul_bf16.hpp"

#include <algorithm>
#include <vector>

#include "aha/backend/cpu/gemm_bf16.hpp"
#include "aha/backend/cpu/isa.hpp"
#include "aha/backend/cpu/matmul.hpp"
#include "aha/base/threads.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace aha::backend::cpu {
namespace {

// Buffers of the calling thread that later calls reuse (training calls with the same shapes).
struct Bf16Scratch {
  PackedBf16 packed;
  AlignedFloats product, transposed;
};

Bf16Scratch& scratch() {
  thread_local Bf16Scratch s;
  return s;
}

// sum (n) += addend (n), threaded.
void add_into(float* sum, const float* addend, int64_t n) {
  parallel_for(static_cast<size_t>(n), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) sum[i] += addend[i];
  });
}

#if defined(__x86_64__)
// dst (16 rows, ds apart) = the transpose of src (16 rows, ss apart): pairs of rows interleaved,
// then 4x4 blocks within each 128-bit lane, then the lanes.
__attribute__((target("avx512f"))) void transpose_16x16(float* dst, int64_t ds, const float* src, int64_t ss) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ss);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
    t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
    t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
    r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
  }
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ds, r[i]);
}
#endif

// a (rows, cols) transposed into `out` (cols, rows + padding) in tiles of 16 x 16 (AVX-512) or
// element by element; returns the row stride. (The padding keeps the rows off a power of two of
// bytes apart, where a tile's rows would share one set of the cache and evict each other.)
int64_t transpose(AlignedFloats& out, const float* a, int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 16;
  const int64_t stride = rows + 16;
  out.resize(static_cast<size_t>(stride * cols));
  float* dst = out.data();
  const bool avx512 = isa_level() >= IsaLevel::avx512;
  parallel_for(static_cast<size_t>((cols + kTile - 1) / kTile), [&](size_t begin, size_t end) {
    for (int64_t j0 = static_cast<int64_t>(begin) * kTile; j0 < std::min(cols, static_cast<int64_t>(end) * kTile);
         j0 += kTile)
      for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
#if defined(__x86_64__)
        if (avx512 && j0 + kTile <= cols && r0 + kTile <= rows) {
          transpose_16x16(dst + j0 * stride + r0, stride, a + r0 * cols + j0, cols);
          continue;
        }
#endif
        for (int64_t j = j0; j < std::min(cols, j0 + kTile); ++j)
          for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r) dst[j * stride + r] = a[r * cols + j];
      }
  });
  return stride;
}

}  // namespace

void matmul_forward_bf16(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                         int64_t out_dim) {
  Bf16Scratch& s = scratch();
  pack_bf16_rounded(s.packed, {weight, in, 1}, in, out_dim);
  matmul_forward_bf16_packed(out, inp, s.packed, bias, rows);
}

void matmul_forward_bf16_packed(float* out, const float* inp, const PackedBf16& weight, const float* bias,
                                int64_t rows) {
  gemm_bf16(out, inp, weight, rows);
  for (int64_t r = 0; bias && r < rows; ++r)
    for (int64_t j = 0; j < weight.n; ++j) out[r * weight.n + j] += bias[j];
}

void matmul_backward_bf16(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                          const float* weight, int64_t rows, int64_t in, int64_t out_dim) {
  Bf16Scratch& s = scratch();
  if (dinp) {  // dinp (rows, in) += dout (rows, out) · W: B = Wᵀ (in, out) read through W
    pack_bf16_rounded(s.packed, {weight, 1, in}, out_dim, in);
    s.product.resize(static_cast<size_t>(rows * in));
    gemm_bf16(s.product.data(), dout, s.packed, rows);
    add_into(dinp, s.product.data(), rows * in);
  }
  if (dweight) {  // dW (out, in) += doutᵀ (out, rows) · inp (rows, in): B = inpᵀ (in, rows)
    pack_bf16_rounded(s.packed, {inp, 1, in}, rows, in);
    const int64_t stride = transpose(s.transposed, dout, rows, out_dim);
    s.product.resize(static_cast<size_t>(out_dim * in));
    gemm_bf16(s.product.data(), s.transposed.data(), stride, s.packed, out_dim, isa_level());
    add_into(dweight, s.product.data(), out_dim * in);
  }
  if (dbias) matmul_backward(nullptr, nullptr, dbias, dout, inp, weight, rows, in, out_dim);
}

}  // namespace aha::backend::cpu
