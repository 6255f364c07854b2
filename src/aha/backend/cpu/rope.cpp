#include "aha/backend/cpu/rope.hpp"

#include <cmath>
#include <vector>

#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

namespace {

// Rotates each pair (v[i], v[i + half]) of the heads of one row by the angle with cos_t[i] and
// direction · sin_t[i].
void rotate_row(float* x, const float* cos_t, const float* sin_t, int64_t heads, int64_t head_dim, float direction) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const float a = v[i], b = v[i + half], s = direction * sin_t[i];
      v[i] = a * cos_t[i] - b * s;
      v[i + half] = b * cos_t[i] + a * s;
    }
  }
}

// Rotates each pair (v[i], v[i + d/2]) of x by direction · positions[r] · inv_freq[i].
void rotate(float* x, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads, int64_t head_dim,
            float direction) {
  const int64_t half = head_dim / 2;
  std::vector<float> cos_t(static_cast<size_t>(half)), sin_t(static_cast<size_t>(half));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(positions[r]) * inv_freq[i];
      cos_t[i] = static_cast<float>(std::cos(angle));
      sin_t[i] = static_cast<float>(std::sin(angle));
    }
    rotate_row(x + r * heads * head_dim, cos_t.data(), sin_t.data(), heads, head_dim, direction);
  }
}

void rotate_table(float* x, const RopeTable& t, const int64_t* positions, int64_t rows, int64_t heads, int64_t head_dim,
                  float direction) {
  parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const int64_t off = positions[r] * t.half;
      rotate_row(x + static_cast<int64_t>(r) * heads * head_dim, t.cos.data() + off, t.sin.data() + off, heads,
                 head_dim, direction);
    }
  });
}

}  // namespace

void rope_forward(float* x, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads,
                  int64_t head_dim) {
  rotate(x, positions, inv_freq, rows, heads, head_dim, 1.0f);
}

// out = R·inp with R a rotation per pair, so d(inp) = Rᵀ·d(out): the rotation by -angle.
void rope_backward(float* dx, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads,
                   int64_t head_dim) {
  rotate(dx, positions, inv_freq, rows, heads, head_dim, -1.0f);
}

void rope_forward_table(float* x, const RopeTable& table, const int64_t* positions, int64_t rows, int64_t heads,
                        int64_t head_dim) {
  rotate_table(x, table, positions, rows, heads, head_dim, 1.0f);
}

void rope_backward_table(float* dx, const RopeTable& table, const int64_t* positions, int64_t rows, int64_t heads,
                         int64_t head_dim) {
  rotate_table(dx, table, positions, rows, heads, head_dim, -1.0f);
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
