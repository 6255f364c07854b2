// Test-only reference: the plain triple loop, summed in double, that cpu::matmul_forward, the
// prepared linear and cpu::gemm_bf16 must agree with.
#pragma once

#include <cstdint>

namespace aha::backend::cpu::reference {

// inp (rows, in), weight (out, in), bias (out) or nullptr -> out (rows, out) = inp · weightᵀ + bias.
void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                    int64_t out_dim);

// inp (rows, in) fp32, weight (out, in) bf16 bits -> out (rows, out) = inp · weightᵀ and
// magnitude (rows, out) = |inp| · |weight|ᵀ (the scale of rounding errors), both in double.
void matmul_bf16_forward(double* out, double* magnitude, const float* inp, const uint16_t* weight, int64_t rows,
                         int64_t in, int64_t out_dim);

}  // namespace aha::backend::cpu::reference
