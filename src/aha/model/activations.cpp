#include "aha/model/activations.hpp"

#include <algorithm>

#include "aha/backend/rope_angles.hpp"
#include "aha/base/error.hpp"
#include "aha/model/rope_frequencies.hpp"

namespace aha::model {
namespace {

constexpr int64_t kLogitChunkFloats = int64_t{1} << 22;

std::vector<float> zeros(int64_t n) { return std::vector<float>(static_cast<size_t>(n)); }

LayerActivations plan_layer(const io::ModelConfig& c, int64_t rows) {
  const int64_t q_dim = c.num_attention_heads * c.head_dim;
  const int64_t kv_dim = c.num_key_value_heads * c.head_dim;
  const int64_t ff = c.intermediate_size;
  LayerActivations a;
  a.normed1 = zeros(rows * c.hidden_size);
  if (c.qk_norm) {
    a.q_lin = zeros(rows * q_dim);
    a.k_lin = zeros(rows * kv_dim);
  }
  a.q = zeros(rows * q_dim);
  a.k = zeros(rows * kv_dim);
  a.v = zeros(rows * kv_dim);
  a.att = zeros(rows * q_dim);
  a.lse = zeros(rows * c.num_attention_heads);
  a.mid = zeros(rows * c.hidden_size);
  a.normed2 = zeros(rows * c.hidden_size);
  a.gate = zeros(rows * ff);
  a.up = zeros(rows * ff);
  a.act = zeros(rows * ff);
  return a;
}

}  // namespace

Activations::Activations(const io::ModelConfig& c, int64_t batch_size, int64_t seq_len, bool checkpointing,
                         int64_t chunk_rows)
    : batch(batch_size), seq(seq_len), rows(batch_size * seq_len), gradient_checkpointing(checkpointing) {
  if (batch < 1 || seq < 1) fail("training batch must be at least 1 x 1, got {} x {}", batch, seq);
  if (chunk_rows < 0) fail("logit_chunk_rows must not be negative, got {}", chunk_rows);
  logit_chunk_rows = chunk_rows > 0 ? chunk_rows : std::max<int64_t>(1, kLogitChunkFloats / c.vocab_size);
  logit_chunk_rows = std::min(logit_chunk_rows, rows);
  positions.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) positions[r] = r % seq;
  inv_freq = rope_inv_freq_of(c);
  rope = backend::rope_table(inv_freq.data(), seq, c.head_dim);
  // Each buffer is built in place (zeroed pages from the allocator), not copied from a first one.
  for (int64_t l = 0; l <= c.num_hidden_layers; ++l) residual.push_back(zeros(rows * c.hidden_size));
  const int64_t kept = gradient_checkpointing ? 1 : c.num_hidden_layers;
  for (int64_t l = 0; l < kept; ++l) layers.push_back(plan_layer(c, rows));
  final_normed = zeros(rows * c.hidden_size);
  logits = zeros(logit_chunk_rows * c.vocab_size);
  losses = zeros(rows);

  // The gradient scratch has the shapes of one layer's activations.
  const int64_t q_dim = c.num_attention_heads * c.head_dim;
  const int64_t kv_dim = c.num_key_value_heads * c.head_dim;
  grad.residual = zeros(rows * c.hidden_size);
  grad.normed = zeros(rows * c.hidden_size);
  grad.q = zeros(rows * q_dim);
  grad.k = zeros(rows * kv_dim);
  grad.v = zeros(rows * kv_dim);
  grad.att = zeros(rows * q_dim);
  if (c.qk_norm) {
    grad.q_lin = zeros(rows * q_dim);
    grad.k_lin = zeros(rows * kv_dim);
  }
  grad.gate = zeros(rows * c.intermediate_size);
  grad.up = zeros(rows * c.intermediate_size);
  grad.act = zeros(rows * c.intermediate_size);
  grad.losses = losses;
}

}  // namespace aha::model
