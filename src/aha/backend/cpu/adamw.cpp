#include "aha/backend/cpu/adamw.hpp"

#include <cmath>

#include "aha/backend/cpu/simd.hpp"
#include "aha/backend/cpu/simd_math.hpp"
#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

void adamw_update(float* w, float* m, float* v, const float* g, int64_t n, const AdamWStep& s) {
  const float beta1 = s.beta1, beta2 = s.beta2, decay = s.decay, step_size = s.step_size;
  const float bias2_sqrt = s.bias2_sqrt, eps = s.eps;
  // The vector lanes compute the scalar expression below with the same operations in the
  // same order (sqrt and division are correctly rounded), so both give identical results.
  auto scalar = [&](int64_t j) {
    m[j] += (g[j] - m[j]) * (1.0f - beta1);
    v[j] = v[j] * beta2 + (1.0f - beta2) * g[j] * g[j];
    w[j] = w[j] * decay - step_size * (m[j] / (std::sqrt(v[j]) / bias2_sqrt + eps));
  };
  parallel_for(static_cast<size_t>(n) / simd::kLanes, [&](size_t begin, size_t end) {
    using namespace simd;
    const F32x16 b1 = broadcast(1.0f - beta1), b2 = broadcast(beta2), nb2 = broadcast(1.0f - beta2);
    const F32x16 dec = broadcast(decay), step = broadcast(step_size), bias2 = broadcast(bias2_sqrt);
    const F32x16 ep = broadcast(eps);
    for (size_t c = begin; c < end; ++c) {
      const size_t j = c * kLanes;
      const F32x16 gj = load(g + j);
      const F32x16 mj = add(load(m + j), mul(sub(gj, load(m + j)), b1));
      const F32x16 vj = add(mul(load(v + j), b2), mul(mul(nb2, gj), gj));
      const F32x16 update = mul(step, div(mj, add(div(sqrt(vj), bias2), ep)));
      store(m + j, mj);
      store(v + j, vj);
      store(w + j, sub(mul(load(w + j), dec), update));
    }
  });
  for (int64_t j = n / simd::kLanes * simd::kLanes; j < n; ++j) scalar(j);
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
