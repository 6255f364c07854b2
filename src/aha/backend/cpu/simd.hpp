// Sixteen fp32 lanes: AVX-512 where the build targets it, plain arrays elsewhere. Kernels use
// it for explicit fused multiply-adds (the build disables implicit contraction, see
// CMakeLists.txt) and for a horizontal sum with a fixed order.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace aha::backend::cpu::simd {

constexpr int kLanes = 16;

#ifdef __AVX512F__
using F32x16 = __m512;
inline F32x16 zero() { return _mm512_setzero_ps(); }
inline F32x16 load(const float* p) { return _mm512_loadu_ps(p); }
inline F32x16 broadcast(float x) { return _mm512_set1_ps(x); }
inline void store(float* p, F32x16 v) { _mm512_storeu_ps(p, v); }
// a * b + c, rounded once.
inline F32x16 fma(F32x16 a, F32x16 b, F32x16 c) { return _mm512_fmadd_ps(a, b, c); }
inline F32x16 add(F32x16 a, F32x16 b) { return _mm512_add_ps(a, b); }
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
inline float sum(F32x16 v) {
#ifdef __AVX512F__
  // The same order in registers. (GCC's _mm512_reduce_add_ps folds alike, but its 256-bit
  // extract draws a false -Wmaybe-uninitialized; the maskz forms have no undefined operand.)
  const __m512 eight = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0x4e));  // l + (l+8)
  const __m512 four = _mm512_add_ps(eight, _mm512_maskz_shuffle_f32x4(0xffff, eight, eight, 0xb1));
  const __m512 two = _mm512_add_ps(four, _mm512_maskz_permute_ps(0xffff, four, 0x4e));
  return _mm512_cvtss_f32(_mm512_add_ps(two, _mm512_maskz_permute_ps(0xffff, two, 0xb1)));
#endif
  alignas(64) float lanes[kLanes];
  store(lanes, v);
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  return lanes[0];
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

// e^x for x <= 0 within 2 ulp (0 below -87, so a -inf logit gets no weight), written without
// calls or branches so that loops over a vocabulary vectorise; the same code, hence the same
// values, with and without AVX-512.
inline float exp_nonpositive(float x) {
  const float clamped = x < -87.0f ? -87.0f : x;
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
  return x < -87.0f ? 0.0f : p * scale;
}

}  // namespace aha::backend::cpu::simd
