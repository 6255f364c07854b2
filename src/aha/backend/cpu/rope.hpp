// Rotary position embeddings in Hugging Face's rotate-half layout: the pairs are
// (x[i], x[i + d/2]) for i < d/2, rotated by position · inv_freq[i].
#pragma once

#include <cstdint>
#include <vector>

namespace aha::backend::cpu {

// Parameters of llama3-style frequency scaling (factor 0 means no scaling).
struct RopeLlama3 {
  double factor = 0.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  double original_max_position_embeddings = 8192.0;
};

// The d/2 inverse frequencies theta^(-2i/d), with llama3 scaling applied when given.
std::vector<double> rope_inv_freq(int64_t head_dim, double theta, const RopeLlama3& scaling);

// x (rows, heads, head_dim) rotated in place; row r sits at positions[r].
void rope_forward(float* x, const int64_t* positions, const double* inv_freq, int64_t rows,
                  int64_t heads, int64_t head_dim);

// Backward of rope_forward, in place: dx (rows, heads, head_dim) holds d(out) on entry and
// d(inp) on exit (the rotation by -angle, the transpose of the forward rotation).
void rope_backward(float* dx, const int64_t* positions, const double* inv_freq, int64_t rows,
                   int64_t heads, int64_t head_dim);

// cos and sin (positions, head_dim/2) of p · inv_freq[i] for p = 0 .. positions-1, computed in
// double and rounded to float exactly as rope_forward computes them.
struct RopeTable {
  int64_t half = 0;
  std::vector<float> cos, sin;
};
RopeTable rope_table(const double* inv_freq, int64_t positions, int64_t head_dim);

// rope_forward and rope_backward with the angles taken from `table` (every positions[r] must be
// below its row count): the same results, without trigonometry per call, threaded over rows.
void rope_forward_table(float* x, const RopeTable& table, const int64_t* positions, int64_t rows,
                        int64_t heads, int64_t head_dim);
void rope_backward_table(float* dx, const RopeTable& table, const int64_t* positions,
                         int64_t rows, int64_t heads, int64_t head_dim);

}  // namespace aha::backend::cpu
