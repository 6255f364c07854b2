// RMSNorm as Llama and Qwen use it: y = x / sqrt(mean(x²) + eps) * weight.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// inp (rows, dim), weight (dim) -> out (rows, dim); out may alias inp.
void rmsnorm_forward(float* out, const float* inp, const float* weight, int64_t rows, int64_t dim, float eps);

// Backward of rmsnorm_forward: dinp (rows, dim) += dout · ∂out/∂inp, dweight (dim) += Σ_rows
// dout · inp · rstd. Either may be nullptr; dinp must not alias dout. Rows are summed in order.
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      int64_t rows, int64_t dim, float eps);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
