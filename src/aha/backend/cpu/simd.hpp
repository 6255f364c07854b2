// Sixteen fp32 lanes for the kernels of one ISA level (level.hpp): one AVX-512 register in the
// avx512 copy, two AVX2 registers in the avx2 copy, plain arrays in a build without AVX2. All
// three give the same bits lane for lane. Kernels use it for explicit fused multiply-adds (the
// build disables implicit contraction, see CMakeLists.txt) and for a horizontal sum with a fixed
// order.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

#include "aha/backend/cpu/level.hpp"

#if defined(AHA_CPU_AVX512)
#define AHA_SIMD_AVX512 1
#elif defined(__AVX2__) && defined(__FMA__)
#define AHA_SIMD_AVX2 1
#endif
#if defined(AHA_SIMD_AVX512) || defined(AHA_SIMD_AVX2)
#include <immintrin.h>
#endif

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS::simd {

constexpr int kLanes = 16;

#if defined(AHA_SIMD_AVX512)
using F32x16 = __m512;
inline F32x16 zero() { return _mm512_setzero_ps(); }
inline F32x16 load(const float* p) { return _mm512_loadu_ps(p); }
inline F32x16 broadcast(float x) { return _mm512_set1_ps(x); }
inline void store(float* p, F32x16 v) { _mm512_storeu_ps(p, v); }
// a * b + c, rounded once.
inline F32x16 fma(F32x16 a, F32x16 b, F32x16 c) { return _mm512_fmadd_ps(a, b, c); }
inline F32x16 add(F32x16 a, F32x16 b) { return _mm512_add_ps(a, b); }
#elif defined(AHA_SIMD_AVX2)
struct F32x16 {
  __m256 lo, hi;  // lanes 0-7, 8-15
};
inline F32x16 zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
inline F32x16 load(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
inline F32x16 broadcast(float x) { return {_mm256_set1_ps(x), _mm256_set1_ps(x)}; }
inline void store(float* p, F32x16 v) {
  _mm256_storeu_ps(p, v.lo);
  _mm256_storeu_ps(p + 8, v.hi);
}
inline F32x16 fma(F32x16 a, F32x16 b, F32x16 c) {
  return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
}
inline F32x16 add(F32x16 a, F32x16 b) { return {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
#else
struct F32x16 {
  float v[kLanes];
};
inline F32x16 zero() { return F32x16{}; }
inline F32x16 load(const float* p) {
  F32x16 r;
  for (int l = 0; l < kLanes; ++l) r.v[l] = p[l];
  return r;
}
inline F32x16 broadcast(float x) {
  F32x16 r;
  for (int l = 0; l < kLanes; ++l) r.v[l] = x;
  return r;
}
inline void store(float* p, F32x16 v) {
  for (int l = 0; l < kLanes; ++l) p[l] = v.v[l];
}
inline F32x16 fma(F32x16 a, F32x16 b, F32x16 c) {
  for (int l = 0; l < kLanes; ++l) c.v[l] = std::fma(a.v[l], b.v[l], c.v[l]);
  return c;
}
inline F32x16 add(F32x16 a, F32x16 b) {
  for (int l = 0; l < kLanes; ++l) a.v[l] += b.v[l];
  return a;
}
#endif

// The sum of the lanes, folded pairwise in a fixed order (8+8, 4+4, 2+2, 1+1).
// Each step adds a lane's partner to the lane (the operands in that order, which decides the
// payload when both are NaN).
inline float sum(F32x16 v) {
#if defined(AHA_SIMD_AVX512)
  // The same order in registers. (GCC's _mm512_reduce_add_ps folds alike, but its 256-bit
  // extract draws a false -Wmaybe-uninitialized; the maskz forms have no undefined operand.)
  const __m512 eight = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0x4e));  // l + (l+8)
  const __m512 four = _mm512_add_ps(eight, _mm512_maskz_shuffle_f32x4(0xffff, eight, eight, 0xb1));
  const __m512 two = _mm512_add_ps(four, _mm512_maskz_permute_ps(0xffff, four, 0x4e));
  return _mm512_cvtss_f32(_mm512_add_ps(two, _mm512_maskz_permute_ps(0xffff, two, 0xb1)));
#elif defined(AHA_SIMD_AVX2)
  const __m256 eight = _mm256_add_ps(v.lo, v.hi);
  const __m128 four = _mm_add_ps(_mm256_castps256_ps128(eight), _mm256_extractf128_ps(eight, 1));
  const __m128 two = _mm_add_ps(four, _mm_movehl_ps(four, four));
  return _mm_cvtss_f32(_mm_add_ss(two, _mm_movehdup_ps(two)));
#else
  alignas(64) float lanes[kLanes];
  store(lanes, v);
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  return lanes[0];
#endif
}

// Dot product of a and b (n floats): kLanes partial sums, folded, then the tail.
inline float dot(const float* a, const float* b, int64_t n) {
  F32x16 acc = zero();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) acc = fma(load(a + i), load(b + i), acc);
  float s = sum(acc);
  for (; i < n; ++i) s = std::fma(a[i], b[i], s);
  return s;
}

// a where every bit of mask is set, else b. A select in bits: GCC vectorises it without AVX-512,
// where a ? : whose sides compute would keep a branch (their arithmetic may trap).
inline float select_bits(uint32_t mask, float a, float b) {
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & mask) | (std::bit_cast<uint32_t>(b) & ~mask));
}

// e^x for x <= 0 within 2 ulp (0 below -87, so a -inf logit gets no weight), written without
// calls or branches so that loops over a vocabulary vectorise; the same code, hence the same
// values at every level.
inline float exp_nonpositive(float x) {
  const uint32_t below = 0u - static_cast<uint32_t>(x < -87.0f);  // all ones below -87
  const float clamped = select_bits(below, -87.0f, x);
  const float shifted = clamped * 1.44269504f + 12582912.0f;  // 1.5 * 2^23: rounds to an integer
  const float n = shifted - 12582912.0f;
  float r = std::fma(n, -0.693145752f, clamped);  // clamped - n ln2, in two parts
  r = std::fma(n, -1.42860677e-6f, r);
  float p = 1.98756912e-4f;  // Taylor terms of e^r on |r| <= ln2/2
  p = std::fma(p, r, 1.39819994e-3f);
  p = std::fma(p, r, 8.33345205e-3f);
  p = std::fma(p, r, 4.16657962e-2f);
  p = std::fma(p, r, 1.66666657e-1f);
  p = std::fma(p, r, 0.5f);
  p = std::fma(p, r * r, r + 1.0f);
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  return select_bits(below, 0.0f, p * scale);
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS::simd
AHA_CPU_TARGET_END
