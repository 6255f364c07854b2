// The SwiGLU gate of Llama's MLP: silu(gate) * up. Vectorised and threaded; each element's
// result does not depend on the thread count or on its position.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// gate (n), up (n) -> out (n) = gate * sigmoid(gate) * up; out may alias gate or up.
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);

// Backward of swiglu_forward: dgate (n) += dout·up·σ(g)·(1 + g·(1 - σ(g))), dup (n) += dout·g·σ(g).
// Either may be nullptr; neither may alias dout, gate or up.
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
