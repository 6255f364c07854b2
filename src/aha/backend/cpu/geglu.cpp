#include "aha/backend/cpu/geglu.hpp"

#include <cmath>

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kCubic = 0.044715f;

}  // namespace

void geglu_forward(float* out, const float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float t = std::tanh(kSqrt2OverPi * (g + kCubic * g * g * g));
    out[i] = 0.5f * g * (1.0f + t) * up[i];
  }
}

void geglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float t = std::tanh(kSqrt2OverPi * (g + kCubic * g * g * g));
    const float gelu = 0.5f * g * (1.0f + t);
    // gelu'(g) = (1 + t)/2 + g/2 · (1 − t²) · √(2/π) · (1 + 3·0.044715·g²)
    const float dgelu = 0.5f * (1.0f + t) + 0.5f * g * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kCubic * g * g);
    if (dgate) dgate[i] += dout[i] * up[i] * dgelu;
    if (dup) dup[i] += dout[i] * gelu;
  }
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
