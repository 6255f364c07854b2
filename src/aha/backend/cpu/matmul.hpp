// Matrix multiplication of activations by a weight matrix stored as nn.Linear stores it.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/gemm.hpp"
#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// inp (rows, in), weight (out, in), bias (out) or nullptr -> out (rows, out) = inp · weightᵀ + bias.
// Each output element is one chain of fused multiply-adds over `in` in order, then + bias
// (gemm.hpp): results depend neither on the thread count nor on the other rows.
void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                    int64_t out_dim);

// matmul_forward with the weight packed once ahead (pack_linear_weight), for inference:
// inp (rows, weight.k) -> out (rows, weight.n), bit-identical to matmul_forward.
void matmul_forward_packed(float* out, const float* inp, const PackedPanels& weight, const float* bias, int64_t rows);

// Backward of matmul_forward: dinp (rows, in) += dout · weight, dweight (out, in) += doutᵀ · inp,
// dbias (out) += column sums of dout. Any of dinp, dweight, dbias may be nullptr (not needed).
void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t rows, int64_t in, int64_t out_dim);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
