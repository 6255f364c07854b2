#include "aha/tensor/rmsnorm.hpp"

#include <cmath>

namespace aha::tensor {

void rmsnorm_forward(float* out, const float* inp, const float* weight, int64_t rows, int64_t dim,
                     float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = inp + r * dim;
    float* y = out + r * dim;
    double sum_sq = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
    const float rstd = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(dim) + eps));
    for (int64_t i = 0; i < dim; ++i) y[i] = x[i] * rstd * weight[i];
  }
}

}  // namespace aha::tensor
