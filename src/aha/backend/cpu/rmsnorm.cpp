#include "aha/backend/cpu/rmsnorm.hpp"

#include <cmath>
#include <vector>

#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

// 1 / sqrt(mean(x²) + eps) of one row, the sum of squares taken in double.
float row_rstd(const float* x, int64_t dim, float eps) {
  double sum_sq = 0.0;
  for (int64_t i = 0; i < dim; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
  return static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(dim) + eps));
}

}  // namespace

void rmsnorm_forward(float* out, const float* inp, const float* weight, int64_t rows, int64_t dim, float eps) {
  auto run = [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* x = inp + static_cast<int64_t>(r) * dim;
      float* y = out + static_cast<int64_t>(r) * dim;
      const float rstd = row_rstd(x, dim, eps);
      for (int64_t i = 0; i < dim; ++i) y[i] = x[i] * rstd * weight[i];
    }
  };
  if (rows * dim >= kMinParallelElements) parallel_for(static_cast<size_t>(rows), run);
  else run(0, static_cast<size_t>(rows));
}

// With s = rstd and y_i = x_i·s·w_i: ∂s/∂x_j = -s³·x_j/dim, so
// dx_j = s·(dy_j·w_j - x_j·s²·Σ_i dy_i·w_i·x_i / dim) and dw_i = Σ_rows dy_i·x_i·s.
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      int64_t rows, int64_t dim, float eps) {
  thread_local std::vector<float> rstd_buffer;
  if (rstd_buffer.size() < static_cast<size_t>(rows)) rstd_buffer.resize(static_cast<size_t>(rows));
  float* rstd = rstd_buffer.data();
  parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) rstd[r] = row_rstd(inp + static_cast<int64_t>(r) * dim, dim, eps);
  });
  if (dinp)
    parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        const int64_t off = static_cast<int64_t>(r) * dim;
        const float* x = inp + off;
        const float* dy = dout + off;
        const float s = rstd[r];
        double dot = 0.0;
        for (int64_t i = 0; i < dim; ++i) dot += static_cast<double>(dy[i]) * weight[i] * x[i];
        const float c = static_cast<float>(dot / static_cast<double>(dim)) * s * s;
        float* dx = dinp + off;
        for (int64_t i = 0; i < dim; ++i) dx[i] += s * (dy[i] * weight[i] - x[i] * c);
      }
    });
  if (dweight)
    // Each thread owns a range of columns and sums its rows in order: deterministic. The rows
    // are walked outside, so that each row's columns are read contiguously.
    parallel_for(static_cast<size_t>(dim), [&](size_t begin, size_t end) {
      thread_local std::vector<float> sum;
      sum.assign(end - begin, 0.0f);
      for (int64_t r = 0; r < rows; ++r) {
        const float* dy = dout + r * dim;
        const float* x = inp + r * dim;
        for (size_t i = begin; i < end; ++i) sum[i - begin] += dy[i] * x[i] * rstd[r];
      }
      for (size_t i = begin; i < end; ++i) dweight[i] += sum[i - begin];
    });
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
