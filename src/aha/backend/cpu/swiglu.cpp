#include "aha/backend/cpu/swiglu.hpp"

#include <cmath>

#include "aha/backend/cpu/simd.hpp"
#include "aha/backend/cpu/simd_math.hpp"
#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

using simd::F32x16;
using simd::kLanes;

// Calls vec(i) for every whole vector at i, threaded for large n, then tail(i) on the rest.
template <typename Vec, typename Tail>
void for_vectors(int64_t n, Vec&& vec, Tail&& tail) {
  auto run = [&](size_t begin, size_t end) {
    for (size_t c = begin; c < end; ++c) vec(static_cast<int64_t>(c) * kLanes);
  };
  const auto vectors = static_cast<size_t>(n / kLanes);
  if (n >= kMinParallelElements) parallel_for(vectors, run);
  else run(0, vectors);
  for (int64_t i = n / kLanes * kLanes; i < n; ++i) tail(i);
}

// σ(g) = 1 / (1 + exp(-g)), a lane at a time or sixteen.
float sigmoid(float g) { return 1.0f / (1.0f + simd::exp_scalar(-g)); }
F32x16 sigmoid(F32x16 g) {
  const F32x16 one = simd::broadcast(1.0f);
  return simd::div(one, simd::add(one, simd::exp(simd::sub(simd::zero(), g))));
}

}  // namespace

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n) {
  for_vectors(
      n,
      [&](int64_t i) {
        const F32x16 g = simd::load(gate + i);
        simd::store(out + i, simd::mul(simd::mul(g, sigmoid(g)), simd::load(up + i)));
      },
      [&](int64_t i) { out[i] = gate[i] * sigmoid(gate[i]) * up[i]; });
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n) {
  const F32x16 one = simd::broadcast(1.0f);
  for_vectors(
      n,
      [&](int64_t i) {
        const F32x16 g = simd::load(gate + i), d = simd::load(dout + i), sig = sigmoid(g);
        if (dgate) {
          // dout·up·σ·(1 + g·(1 - σ))
          const F32x16 slope = simd::add(one, simd::mul(g, simd::sub(one, sig)));
          const F32x16 dg = simd::mul(simd::mul(simd::mul(d, simd::load(up + i)), sig), slope);
          simd::store(dgate + i, simd::add(simd::load(dgate + i), dg));
        }
        if (dup) simd::store(dup + i, simd::add(simd::load(dup + i), simd::mul(simd::mul(d, g), sig)));
      },
      [&](int64_t i) {
        const float g = gate[i], sig = sigmoid(g);
        if (dgate) dgate[i] += dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
        if (dup) dup[i] += dout[i] * g * sig;
      });
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
