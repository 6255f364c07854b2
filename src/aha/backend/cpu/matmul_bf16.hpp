// matmul.hpp's products in mixed precision, for training with bf16 operands (Hugging Face's
// `bf16: true`, PyTorch's CPU autocast): the weight, the input and the output gradient are each
// rounded to bf16 (nearest even) and every sum is fp32 (gemm_bf16.hpp: the order and the bound).
// The weight is rounded and packed at each call, as autocast casts it at each call; at the row
// counts of training that costs a small fraction of the product.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/gemm_bf16.hpp"

namespace aha::backend::cpu {

// inp (rows, in), weight (out, in), bias (out) or nullptr -> out (rows, out) = bf16(inp) ·
// bf16(weight)ᵀ + bias.
void matmul_forward_bf16(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                         int64_t out_dim);

// matmul_forward_bf16 with the weight packed ahead (pack_bf16_weight, pack_bf16_rounded):
// inp (rows, weight.k) -> out (rows, weight.n), + bias (weight.n) when not null.
void matmul_forward_bf16_packed(float* out, const float* inp, const PackedBf16& weight, const float* bias,
                                int64_t rows);

// dinp (rows, in) += bf16(dout) · bf16(weight), dweight (out, in) += bf16(dout)ᵀ · bf16(inp),
// dbias (out) += column sums of dout (fp32, as matmul_backward). Any output may be nullptr.
void matmul_backward_bf16(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                          const float* weight, int64_t rows, int64_t in, int64_t out_dim);

}  // namespace aha::backend::cpu
