#include "aha/backend/cpu/reference/pointwise_reference.hpp"

#include <algorithm>
#include <cmath>

namespace aha::backend::cpu::reference {

void rmsnorm_forward(float* out, const float* inp, const float* weight, int64_t rows, int64_t dim, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = inp + r * dim;
    double sum = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum += static_cast<double>(x[i]) * x[i];
    const double rstd = 1.0 / std::sqrt(sum / static_cast<double>(dim) + eps);
    for (int64_t i = 0; i < dim; ++i) out[r * dim + i] = static_cast<float>(x[i] * rstd * weight[i]);
  }
}

void rope_forward(float* x, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads,
                  int64_t head_dim) {
  const int64_t half = head_dim / 2;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < heads; ++h) {
      float* v = x + (r * heads + h) * head_dim;
      for (int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(positions[r]) * inv_freq[i];
        const double a = v[i], b = v[i + half];
        v[i] = static_cast<float>(a * std::cos(angle) - b * std::sin(angle));
        v[i + half] = static_cast<float>(b * std::cos(angle) + a * std::sin(angle));
      }
    }
}

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double g = gate[i];
    out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
  }
}

void geglu_forward(float* out, const float* gate, const float* up, int64_t n) {
  const double k = std::sqrt(2.0 / 3.14159265358979323846);
  for (int64_t i = 0; i < n; ++i) {
    const double g = gate[i];
    out[i] = static_cast<float>(0.5 * g * (1.0 + std::tanh(k * (g + 0.044715 * g * g * g))) * up[i]);
  }
}

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) std::copy_n(table + tokens[r] * dim, dim, out + r * dim);
}

void cross_entropy_forward(float* losses, float* entropies, const float* logits, const int32_t* targets, int64_t rows,
                           int64_t vocab) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = logits + r * vocab;
    const double top = *std::max_element(z, z + vocab);
    double sum = 0.0, weighted = 0.0;
    for (int64_t j = 0; j < vocab; ++j) {
      const double e = std::exp(z[j] - top);
      sum += e;
      weighted += e * (z[j] - top);
    }
    const double lse = top + std::log(sum);
    const bool has_target = targets[r] >= 0;
    losses[r] = has_target ? static_cast<float>(lse - z[targets[r]]) : 0.0f;
    // H = −Σ p log p = log Σ e − Σ e·(z − top) / Σ e.
    if (entropies) entropies[r] = has_target ? static_cast<float>(std::log(sum) - weighted / sum) : 0.0f;
  }
}

void adamw_update(float* w, float* m, float* v, const float* g, int64_t n, const AdamWStep& s) {
  for (int64_t j = 0; j < n; ++j) {
    m[j] = s.beta1 * m[j] + (1.0f - s.beta1) * g[j];
    v[j] = s.beta2 * v[j] + (1.0f - s.beta2) * g[j] * g[j];
    w[j] = w[j] * s.decay - s.step_size * (m[j] / (std::sqrt(v[j]) / s.bias2_sqrt + s.eps));
  }
}

}  // namespace aha::backend::cpu::reference
