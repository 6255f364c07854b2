// RMSNorm as Llama and Qwen use it: y = x / sqrt(mean(x²) + eps) * weight.
#pragma once

#include <cstdint>

namespace aha::tensor {

// inp (rows, dim), weight (dim) -> out (rows, dim); out may alias inp.
void rmsnorm_forward(float* out, const float* inp, const float* weight, int64_t rows, int64_t dim,
                     float eps);

}  // namespace aha::tensor
