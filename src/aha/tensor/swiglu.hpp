// The SwiGLU gate of Llama's MLP: silu(gate) * up.
#pragma once

#include <cstdint>

namespace aha::tensor {

// gate (n), up (n) -> out (n) = gate * sigmoid(gate) * up; out may alias gate or up.
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);

}  // namespace aha::tensor
