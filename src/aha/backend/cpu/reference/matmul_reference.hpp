// Test-only reference: the plain triple loop, summed in double, that cpu::matmul_forward and
// the prepared linear must agree with.
#pragma once

#include <cstdint>

namespace aha::backend::cpu::reference {

// inp (rows, in), weight (out, in), bias (out) or nullptr -> out (rows, out) = inp · weightᵀ + bias.
void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                    int64_t out_dim);

}  // namespace aha::backend::cpu::reference
