#include "aha/backend/rope_angles.hpp"

#include <cmath>
#include <numbers>

namespace aha::backend {

std::vector<double> rope_inv_freq(int64_t head_dim, double theta, const RopeLlama3& scaling) {
  const int64_t half = head_dim / 2;
  std::vector<double> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i)
    inv[i] = 1.0 / std::pow(theta, static_cast<double>(2 * i) / static_cast<double>(head_dim));
  if (scaling.factor <= 0.0) return inv;
  // Llama 3.1: long wavelengths are divided by `factor`, short ones kept, and the band
  // between is interpolated smoothly.
  const double old_len = scaling.original_max_position_embeddings;
  const double low_wavelen = old_len / scaling.low_freq_factor;
  const double high_wavelen = old_len / scaling.high_freq_factor;
  for (double& f : inv) {
    const double wavelen = 2.0 * std::numbers::pi / f;
    if (wavelen > low_wavelen) {
      f /= scaling.factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth =
          (old_len / wavelen - scaling.low_freq_factor) / (scaling.high_freq_factor - scaling.low_freq_factor);
      f = (1.0 - smooth) * f / scaling.factor + smooth * f;
    }
  }
  return inv;
}

RopeTable rope_table(const double* inv_freq, int64_t positions, int64_t head_dim) {
  RopeTable t;
  t.half = head_dim / 2;
  t.cos.resize(static_cast<size_t>(positions * t.half));
  t.sin.resize(t.cos.size());
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < t.half; ++i) {
      const double angle = static_cast<double>(p) * inv_freq[i];
      t.cos[p * t.half + i] = static_cast<float>(std::cos(angle));
      t.sin[p * t.half + i] = static_cast<float>(std::sin(angle));
    }
  return t;
}

}  // namespace aha::backend
