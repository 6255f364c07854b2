// The avx512bf16 level of gemm_bf16: vdpbf16ps multiplies 16 pairs of bf16 of A (one pair of
// k of a row, broadcast) by 16 columns' pairs of W and adds both products to 16 fp32 sums. A
// arrives as bf16 bits.
#if defined(__x86_64__)

#include <immintrin.h>

#include <array>
#include <cstring>
#include <utility>

#include "aha/backend/cpu/gemm_bf16_kernels.hpp"

namespace aha::backend::cpu::bf16 {
namespace {

constexpr int64_t kDotPairStride = 2 * kBf16PanelWidth;  // uint16 per pair of k in a panel
constexpr int64_t kPrefetchPairs = 16;                   // how far ahead a streaming tile prefetches W

// mr rows x np panels (2 np vectors of 16 columns): 2 np mr accumulators, 2 np of W and one
// broadcast pair in the 32 registers.
template <int mr, int np>
__attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl"))) void dot_kernel(int64_t q0, int64_t q1,
                                                                                const void* a_raw, int64_t lda,
                                                                                const uint16_t* b, int64_t b_panel,
                                                                                float* c, int64_t ldc, bool load) {
  constexpr int nv = 2 * np;
  const uint16_t* a = static_cast<const uint16_t*>(a_raw);
  __m512 acc[mr][nv];
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < nv; ++v) acc[i][v] = load ? _mm512_loadu_ps(c + i * ldc + 16 * v) : _mm512_setzero_ps();
  for (int64_t q = q0; q < q1; ++q) {
    if constexpr (mr <= 8) {  // decode's few rows: W streams from memory; ask for it ahead of the loads
      for (int v = 0; v < nv; ++v)
        _mm_prefetch(
            reinterpret_cast<const char*>(b + (v / 2) * b_panel + (q + kPrefetchPairs) * kDotPairStride + 32 * (v % 2)),
            _MM_HINT_T0);
    }
    __m512bh w[nv];
    for (int v = 0; v < nv; ++v)
      w[v] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + (v / 2) * b_panel + q * kDotPairStride + 32 * (v % 2)));
    for (int i = 0; i < mr; ++i) {
      int32_t pair;  // a[i][2q] in the low half, a[i][2q+1] in the high, as W's pairs
      std::memcpy(&pair, a + i * lda + 2 * q, sizeof pair);
      const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi32(pair));
      for (int v = 0; v < nv; ++v) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], x, w[v]);
    }
  }
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < nv; ++v) _mm512_storeu_ps(c + i * ldc + 16 * v, acc[i][v]);
}

int dot_panels(int mr, int64_t left) {
  if (mr <= 2 && left >= 4) return 4;
  if (mr <= 6 && left >= 2) return 2;
  return 1;
}

template <int np, int... mr>
constexpr std::array<MicroKernel, sizeof...(mr)> dot_row(std::integer_sequence<int, mr...>) {
  return {&dot_kernel<mr + 1, np>...};
}

MicroKernel dot_pick(int mr, int np) {
  static const std::array<MicroKernel, 12> one = dot_row<1>(std::make_integer_sequence<int, 12>{});
  static const std::array<MicroKernel, 6> two = dot_row<2>(std::make_integer_sequence<int, 6>{});
  static const std::array<MicroKernel, 2> four = dot_row<4>(std::make_integer_sequence<int, 2>{});
  return np == 4 ? four[mr - 1] : np == 2 ? two[mr - 1] : one[mr - 1];
}

}  // namespace

const MicroKernels& avx512bf16_kernels() {
  static const MicroKernels k = {12, sizeof(uint16_t), dot_panels, dot_pick};
  return k;
}

}  // namespace aha::backend::cpu::bf16

#endif  // __x86_64__
