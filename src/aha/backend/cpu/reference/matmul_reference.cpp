#include "aha/backend/cpu/reference/matmul_reference.hpp"

#include <cmath>

#include "aha/tensor/dtype.hpp"

namespace aha::backend::cpu::reference {

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                    int64_t out_dim) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < out_dim; ++j) {
      double s = bias ? bias[j] : 0.0;
      for (int64_t k = 0; k < in; ++k) s += static_cast<double>(inp[r * in + k]) * weight[j * in + k];
      out[r * out_dim + j] = static_cast<float>(s);
    }
}

void matmul_bf16_forward(double* out, double* magnitude, const float* inp, const uint16_t* weight, int64_t rows,
                         int64_t in, int64_t out_dim) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < out_dim; ++j) {
      double s = 0.0, m = 0.0;
      for (int64_t k = 0; k < in; ++k) {
        const double product = static_cast<double>(inp[r * in + k]) * tensor::bf16_to_f32(weight[j * in + k]);
        s += product;
        m += std::abs(product);
      }
      out[r * out_dim + j] = s;
      magnitude[r * out_dim + j] = m;
    }
}

}  // namespace aha::backend::cpu::reference
