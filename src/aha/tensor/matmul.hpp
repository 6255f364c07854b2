// Matrix multiplication of activations by a weight matrix stored as nn.Linear stores it.
#pragma once

#include <cstdint>

namespace aha::tensor {

// inp (rows, in), weight (out, in), bias (out) or nullptr -> out (rows, out) = inp · weightᵀ + bias.
// Each output element is one dot product with a fixed summation order, so results do not
// depend on the thread count.
void matmul_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int64_t rows, int64_t in, int64_t out_dim);

// Backward of matmul_forward: dinp (rows, in) += dout · weight, dweight (out, in) += doutᵀ · inp,
// dbias (out) += column sums of dout. Any of dinp, dweight, dbias may be nullptr (not needed).
void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t rows, int64_t in, int64_t out_dim);

// The plain triple loop that matmul_forward must agree with (tests compare the two).
void matmul_forward_reference(float* out, const float* inp, const float* weight, const float* bias,
                              int64_t rows, int64_t in, int64_t out_dim);

}  // namespace aha::tensor
