// The widening levels of gemm_bf16 (generic, avx2, avx512): W's bf16 values are widened to fp32
// (exactly: a bf16 is the top half of an fp32) and multiplied into the fp32 sums with explicit
// fused multiply-adds, one per k in order, so the three levels agree bit for bit. A arrives
// already rounded to bf16 and widened back to fp32.
#include <array>
#include <cmath>
#include <utility>

#include "aha/backend/cpu/gemm_bf16_kernels.hpp"
#include "aha/tensor/dtype.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace aha::backend::cpu::bf16 {
namespace {

constexpr int64_t kPairStride = 2 * kBf16PanelWidth;  // uint16 per pair of k in a panel

// One row, one panel, in plain C++: the order every widening kernel keeps.
void generic_kernel(int64_t q0, int64_t q1, const void* a_raw, int64_t, const uint16_t* b, int64_t, float* c, int64_t,
                    bool load) {
  const float* a = static_cast<const float*>(a_raw);
  for (int64_t j = 0; j < kBf16PanelWidth; ++j) {
    float acc = load ? c[j] : 0.0f;
    for (int64_t q = q0; q < q1; ++q) {
      const uint16_t* pair = b + q * kPairStride + 2 * j;
      acc = std::fma(a[2 * q], tensor::bf16_to_f32(pair[0]), acc);
      acc = std::fma(a[2 * q + 1], tensor::bf16_to_f32(pair[1]), acc);
    }
    c[j] = acc;
  }
}

#if defined(__x86_64__)

// AVX2: mr rows x one panel (four vectors of 8 columns); 16 registers hold two rows.
template <int mr>
__attribute__((target("avx2,fma"))) void avx2_kernel(int64_t q0, int64_t q1, const void* a_raw, int64_t lda,
                                                     const uint16_t* b, int64_t, float* c, int64_t ldc, bool load) {
  const float* a = static_cast<const float*>(a_raw);
  __m256 acc[mr][4];
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < 4; ++v) acc[i][v] = load ? _mm256_loadu_ps(c + i * ldc + 8 * v) : _mm256_setzero_ps();
  const __m256i high = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
  for (int64_t q = q0; q < q1; ++q) {
    __m256 a0[mr], a1[mr];
    for (int i = 0; i < mr; ++i) {
      a0[i] = _mm256_broadcast_ss(a + i * lda + 2 * q);
      a1[i] = _mm256_broadcast_ss(a + i * lda + 2 * q + 1);
    }
    for (int v = 0; v < 4; ++v) {
      // 8 columns' pairs: w[j][2q] in the low half of each 32 bits, w[j][2q+1] in the high.
      const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + q * kPairStride + 16 * v));
      const __m256 even = _mm256_castsi256_ps(_mm256_slli_epi32(raw, 16));
      const __m256 odd = _mm256_castsi256_ps(_mm256_and_si256(raw, high));
      for (int i = 0; i < mr; ++i) {
        acc[i][v] = _mm256_fmadd_ps(a0[i], even, acc[i][v]);
        acc[i][v] = _mm256_fmadd_ps(a1[i], odd, acc[i][v]);
      }
    }
  }
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < 4; ++v) _mm256_storeu_ps(c + i * ldc + 8 * v, acc[i][v]);
}

// AVX-512: mr rows x np panels (2 np vectors of 16 columns), widened pairs of every vector in
// registers while each row's two broadcasts pass over them.
template <int mr, int np>
__attribute__((target("avx512f"))) void avx512_kernel(int64_t q0, int64_t q1, const void* a_raw, int64_t lda,
                                                      const uint16_t* b, int64_t b_panel, float* c, int64_t ldc,
                                                      bool load) {
  constexpr int nv = 2 * np;
  const float* a = static_cast<const float*>(a_raw);
  __m512 acc[mr][nv];
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < nv; ++v) acc[i][v] = load ? _mm512_loadu_ps(c + i * ldc + 16 * v) : _mm512_setzero_ps();
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  for (int64_t q = q0; q < q1; ++q) {
    __m512 even[nv], odd[nv];
    for (int v = 0; v < nv; ++v) {
      const __m512i raw = _mm512_loadu_si512(b + (v / 2) * b_panel + q * kPairStride + 32 * (v % 2));
      // Masked: GCC 12's unmasked shift trips -Wmaybe-uninitialized on its own header.
      even[v] = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, raw, 16));
      odd[v] = _mm512_castsi512_ps(_mm512_and_si512(raw, high));
    }
    for (int i = 0; i < mr; ++i) {
      const __m512 a0 = _mm512_set1_ps(a[i * lda + 2 * q]), a1 = _mm512_set1_ps(a[i * lda + 2 * q + 1]);
      for (int v = 0; v < nv; ++v) {
        acc[i][v] = _mm512_fmadd_ps(a0, even[v], acc[i][v]);
        acc[i][v] = _mm512_fmadd_ps(a1, odd[v], acc[i][v]);
      }
    }
  }
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < nv; ++v) _mm512_storeu_ps(c + i * ldc + 16 * v, acc[i][v]);
}

MicroKernel avx2_pick(int mr, int) { return mr == 1 ? avx2_kernel<1> : avx2_kernel<2>; }

// Registers: 2 np accumulators a row plus 4 np widened vectors stay within the 32.
int avx512_panels(int mr, int64_t left) {
  if (mr <= 1 && left >= 4) return 4;
  if (mr <= 4 && left >= 2) return 2;
  return 1;
}

template <int np, int... mr>
constexpr std::array<MicroKernel, sizeof...(mr)> avx512_row(std::integer_sequence<int, mr...>) {
  return {&avx512_kernel<mr + 1, np>...};
}

MicroKernel avx512_pick(int mr, int np) {
  static const std::array<MicroKernel, 12> one = avx512_row<1>(std::make_integer_sequence<int, 12>{});
  static const std::array<MicroKernel, 4> two = avx512_row<2>(std::make_integer_sequence<int, 4>{});
  if (np == 4) return avx512_kernel<1, 4>;
  return np == 2 ? two[mr - 1] : one[mr - 1];
}

#endif  // __x86_64__

int one_panel(int, int64_t) { return 1; }

MicroKernel generic_pick(int, int) { return generic_kernel; }

}  // namespace

const MicroKernels& generic_kernels() {
  static const MicroKernels k = {1, sizeof(float), one_panel, generic_pick};
  return k;
}

#if defined(__x86_64__)

const MicroKernels& avx2_kernels() {
  static const MicroKernels k = {2, sizeof(float), one_panel, avx2_pick};
  return k;
}

const MicroKernels& avx512_kernels() {
  static const MicroKernels k = {12, sizeof(float), avx512_panels, avx512_pick};
  return k;
}

#endif  // __x86_64__

}  // namespace aha::backend::cpu::bf16
