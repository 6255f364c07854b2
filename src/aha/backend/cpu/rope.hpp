// Rotary position embeddings in Hugging Face's rotate-half layout: the pairs are
// (x[i], x[i + d/2]) for i < d/2, rotated by position · inv_freq[i].
#pragma once

#include <cstdint>

#include "aha/backend/cpu/level.hpp"
#include "aha/backend/rope_angles.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// x (rows, heads, head_dim) rotated in place; row r sits at positions[r].
void rope_forward(float* x, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads,
                  int64_t head_dim);

// Backward of rope_forward, in place: dx (rows, heads, head_dim) holds d(out) on entry and
// d(inp) on exit (the rotation by -angle, the transpose of the forward rotation).
void rope_backward(float* dx, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads,
                   int64_t head_dim);

// rope_forward and rope_backward with the angles taken from `table` (every positions[r] must be
// below its row count): the same results, without trigonometry per call, threaded over rows.
void rope_forward_table(float* x, const RopeTable& table, const int64_t* positions, int64_t rows, int64_t heads,
                        int64_t head_dim);
void rope_backward_table(float* dx, const RopeTable& table, const int64_t* positions, int64_t rows, int64_t heads,
                         int64_t head_dim);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
