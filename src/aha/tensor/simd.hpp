// Sixteen fp32 lanes: AVX-512 where the build targets it, plain arrays elsewhere. Kernels use
// it for explicit fused multiply-adds (the build disables implicit contraction, see
// CMakeLists.txt) and for a horizontal sum with a fixed order.
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace aha::tensor::simd {

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
inline F32x16 max(F32x16 a, F32x16 b) { return _mm512_max_ps(a, b); }
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
// Lane-wise maximum; like the AVX-512 instruction, returns b when either is NaN.
inline F32x16 max(F32x16 a, F32x16 b) {
  for (int l = 0; l < kLanes; ++l) a.v[l] = a.v[l] > b.v[l] ? a.v[l] : b.v[l];
  return a;
}
#endif

// The sum of the lanes, folded pairwise in a fixed order (8+8, 4+4, 2+2, 1+1).
inline float sum(F32x16 v) {
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

}  // namespace aha::tensor::simd
