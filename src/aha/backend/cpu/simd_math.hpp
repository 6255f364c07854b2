// Lane-wise arithmetic on simd::F32x16 beyond simd.hpp's, and exp(x) for softmax
// and cross-entropy: Cephes' expf polynomial (relative error below 2e-7 over the float range)
// after the reduction x = n·ln2 + r, |r| <= ln2/2. Results depend only on the inputs (no lane or
// thread effects). exp of inputs below -104 (and of -inf) is 0, exp of NaN is NaN.
#pragma once

#include <cmath>

#include "aha/backend/cpu/simd.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS::simd {

#if defined(AHA_SIMD_AVX512)
// The masked forms with every lane selected: GCC 12 warns (wrongly) that the unmasked max, min,
// roundscale and scalef read an uninitialised vector.
constexpr __mmask16 kAll = 0xFFFF;
inline F32x16 sub(F32x16 a, F32x16 b) { return _mm512_sub_ps(a, b); }
inline F32x16 mul(F32x16 a, F32x16 b) { return _mm512_mul_ps(a, b); }
// simd::max without GCC 12's false warning.
inline F32x16 maximum(F32x16 a, F32x16 b) { return _mm512_mask_max_ps(a, kAll, a, b); }
inline F32x16 div(F32x16 a, F32x16 b) { return _mm512_div_ps(a, b); }
// Correctly rounded, as std::sqrt.
inline F32x16 sqrt(F32x16 a) { return _mm512_mask_sqrt_ps(a, kAll, a); }
#elif defined(AHA_SIMD_AVX2)
inline F32x16 sub(F32x16 a, F32x16 b) { return {_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)}; }
inline F32x16 mul(F32x16 a, F32x16 b) { return {_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)}; }
// Like the AVX-512 instruction: b when either is NaN.
inline F32x16 maximum(F32x16 a, F32x16 b) { return {_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)}; }
inline F32x16 div(F32x16 a, F32x16 b) { return {_mm256_div_ps(a.lo, b.lo), _mm256_div_ps(a.hi, b.hi)}; }
// Correctly rounded, as std::sqrt.
inline F32x16 sqrt(F32x16 a) { return {_mm256_sqrt_ps(a.lo), _mm256_sqrt_ps(a.hi)}; }
#else
template <typename Op>
inline F32x16 lanewise(F32x16 a, F32x16 b, Op op) {
  for (int l = 0; l < kLanes; ++l) a.v[l] = op(a.v[l], b.v[l]);
  return a;
}
inline F32x16 sub(F32x16 a, F32x16 b) {
  return lanewise(a, b, [](float x, float y) { return x - y; });
}
inline F32x16 mul(F32x16 a, F32x16 b) {
  return lanewise(a, b, [](float x, float y) { return x * y; });
}
// Like the AVX-512 instruction: b when either is NaN.
inline F32x16 maximum(F32x16 a, F32x16 b) {
  return lanewise(a, b, [](float x, float y) { return x > y ? x : y; });
}
inline F32x16 div(F32x16 a, F32x16 b) {
  return lanewise(a, b, [](float x, float y) { return x / y; });
}
inline F32x16 sqrt(F32x16 a) {
  return lanewise(a, a, [](float x, float) { return std::sqrt(x); });
}
#endif

// The largest lane.
inline float max_lane(F32x16 v) {
  alignas(64) float lanes[kLanes];
  store(lanes, v);
  float m = lanes[0];
  for (int l = 1; l < kLanes; ++l) m = lanes[l] > m ? lanes[l] : m;
  return m;
}

namespace exp_detail {
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
constexpr float kMin = -104.0f, kMax = 88.7228391f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;

// The polynomial part: exp(r) for the reduced argument r, as 1 + r + r²·p(r).
inline float poly(float r) {
  float p = kP0;
  p = std::fma(p, r, kP1);
  p = std::fma(p, r, kP2);
  p = std::fma(p, r, kP3);
  p = std::fma(p, r, kP4);
  p = std::fma(p, r, kP5);
  return std::fma(p, r * r, r + 1.0f);
}
}  // namespace exp_detail

// exp of one float, the same computation as one lane of exp(F32x16).
inline float exp_scalar(float x) {
  using namespace exp_detail;
  if (std::isnan(x)) return x;
  x = x < kMin ? kMin : x;
  x = x > kMax ? kMax : x;
  const float n = std::nearbyint(x * kLog2e);
  const float r = std::fma(n, -kLn2Lo, std::fma(n, -kLn2Hi, x));
  return std::ldexp(poly(r), static_cast<int>(n));
}

#if defined(AHA_SIMD_AVX512)
inline F32x16 exp(F32x16 x) {
  using namespace exp_detail;
  // With a NaN operand max and min return the second one: x comes second, so NaN stays NaN.
  x = maximum(_mm512_set1_ps(kMin), x);
  x = _mm512_mask_min_ps(x, kAll, _mm512_set1_ps(kMax), x);
  const __m512 scaled = _mm512_mul_ps(x, _mm512_set1_ps(kLog2e));
  const __m512 n = _mm512_mask_roundscale_ps(scaled, kAll, scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_mask_scalef_ps(p, kAll, p, n);
}
#elif defined(AHA_SIMD_AVX2)
namespace exp_detail {
// 2^k for k in [-126, 127], from its exponent bits.
inline __m256 pow2(__m256i k) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

// Eight lanes of exp, the AVX-512 steps in the same order. AVX-512's scalef(p, n) = p·2^n rounded
// once becomes p·2^(n - h)·2^h with h = floor(n / 2): n is in [-150, 128] and p near 1, so the
// first product is a normal float, exact, and only the second rounds.
inline __m256 exp8(__m256 x) {
  x = _mm256_max_ps(_mm256_set1_ps(kMin), x);
  x = _mm256_min_ps(_mm256_set1_ps(kMax), x);
  const __m256 n =
      _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // A NaN n converts to INT_MIN, whose halves give factors of 1: NaN p passes unchanged.
  const __m256i k = _mm256_cvtps_epi32(n), half = _mm256_srai_epi32(k, 1);
  return _mm256_mul_ps(_mm256_mul_ps(p, pow2(_mm256_sub_epi32(k, half))), pow2(half));
}
}  // namespace exp_detail

inline F32x16 exp(F32x16 x) { return {exp_detail::exp8(x.lo), exp_detail::exp8(x.hi)}; }
#else
inline F32x16 exp(F32x16 x) {
  for (int l = 0; l < kLanes; ++l) x.v[l] = exp_scalar(x.v[l]);
  return x;
}
#endif

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS::simd
AHA_CPU_TARGET_END
