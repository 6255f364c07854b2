// The loop behind the benches' fp32 peak, compiled per level like the kernels (level.hpp).
#include <cstdint>

#include "aha/backend/cpu/dispatch.hpp"
#include "aha/backend/cpu/simd.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

// 24 of 32 AVX-512 registers; 12 of 16 AVX2 registers (an F32x16 takes two).
#if defined(AHA_SIMD_AVX512)
constexpr int kChains = 24;
#else
constexpr int kChains = 6;
#endif

}  // namespace

double fma_chains(int64_t steps, float* sink) {
  simd::F32x16 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = simd::broadcast(static_cast<float>(i));
  const simd::F32x16 x = simd::broadcast(0.999999f), y = simd::broadcast(1e-7f);
  for (int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 32
    for (int i = 0; i < kChains; ++i) acc[i] = simd::fma(acc[i], x, y);
  }
  simd::F32x16 total = acc[0];
  for (int i = 1; i < kChains; ++i) total = simd::add(total, acc[i]);
  *sink = simd::sum(total);
  return 2.0 * simd::kLanes * kChains * static_cast<double>(steps);
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
