// GeGLU, the gated MLP activation of Gemma: GELU (tanh approximation, PyTorch's
// gelu_pytorch_tanh) of the gate times the up projection.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// gate (n), up (n) -> out (n) = gelu(gate) · up, gelu(g) = g/2 · (1 + tanh(√(2/π)·(g + 0.044715·g³)));
// out may alias gate or up.
void geglu_forward(float* out, const float* gate, const float* up, int64_t n);

// Backward of geglu_forward: dgate (n) += dout·up·gelu'(gate), dup (n) += dout·gelu(gate). Either may
// be nullptr; neither may alias dout, gate or up.
void geglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
