// RoPE's angles, computed once on the host for any backend: the inverse frequencies of a config
// and the cos/sin table of positions 0 .. n-1 that the rope ops of the table read.
#pragma once

#include <cstdint>
#include <vector>

namespace aha::backend {

// Parameters of llama3-style frequency scaling (factor 0 means no scaling).
struct RopeLlama3 {
  double factor = 0.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  double original_max_position_embeddings = 8192.0;
};

// The d/2 inverse frequencies theta^(-2i/d), with llama3 scaling applied when given.
std::vector<double> rope_inv_freq(int64_t head_dim, double theta, const RopeLlama3& scaling);

// cos and sin (positions, head_dim/2) of p · inv_freq[i] for p = 0 .. positions-1, computed in
// double and rounded to float exactly as cpu::rope_forward computes them.
struct RopeTable {
  int64_t half = 0;
  std::vector<float> cos, sin;
};
RopeTable rope_table(const double* inv_freq, int64_t positions, int64_t head_dim);

}  // namespace aha::backend
