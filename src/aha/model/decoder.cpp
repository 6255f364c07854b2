#include "aha/model/decoder.hpp"

#include "aha/base/error.hpp"
#include "aha/tensor/attention.hpp"
#include "aha/tensor/embedding.hpp"
#include "aha/tensor/matmul.hpp"
#include "aha/tensor/rmsnorm.hpp"
#include "aha/tensor/rope.hpp"
#include "aha/tensor/swiglu.hpp"

namespace aha::model {
namespace {

using namespace aha::tensor;

void linear(float* out, const float* inp, const Linear& l, int64_t rows) {
  matmul_forward(out, inp, l.weight.data(), l.bias.empty() ? nullptr : l.bias.data(), rows, l.in,
                 l.out);
}

std::vector<double> inv_freq_of(const io::ModelConfig& c) {
  RopeLlama3 scaling;
  if (c.rope_scaling.kind == "llama3") {
    scaling.factor = c.rope_scaling.factor;
    scaling.low_freq_factor = c.rope_scaling.low_freq_factor;
    scaling.high_freq_factor = c.rope_scaling.high_freq_factor;
    scaling.original_max_position_embeddings =
        static_cast<double>(c.rope_scaling.original_max_position_embeddings);
  }
  return rope_inv_freq(c.head_dim, c.rope_theta, scaling);
}

}  // namespace

Model::Model(const std::string& dir) {
  io::ModelDir files(dir);
  config_ = files.config();
  weights_ = load_weights(files);
  inv_freq_ = inv_freq_of(config_);
}

Model::Model(io::ModelConfig config, Weights weights)
    : config_(std::move(config)), weights_(std::move(weights)), inv_freq_(inv_freq_of(config_)) {}

void Model::check_tokens(std::span<const int32_t> tokens, const KVCache& cache) const {
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= config_.vocab_size)
      fail("token id {} at position {} is outside the vocabulary (size {})", tokens[i],
           cache.length() + static_cast<int64_t>(i), config_.vocab_size);
  const int64_t end = cache.length() + static_cast<int64_t>(tokens.size());
  if (end > cache.capacity())
    fail("sequence of {} tokens does not fit the context size {}", end, cache.capacity());
  if (config_.sliding_window > 0 && end > config_.sliding_window)
    fail("sequence of {} tokens exceeds the model's sliding_window ({}), which aha does not implement",
         end, config_.sliding_window);
}

// x (rows, hidden) += o_proj(attention(rope(q), rope(k), v)) over the cache.
void Model::attention_block(float* x, int64_t layer, int64_t rows, KVCache& cache) const {
  const LayerWeights& w = weights_.layers[layer];
  const io::ModelConfig& c = config_;
  const int64_t h = c.hidden_size, hd = c.head_dim, heads = c.num_attention_heads;
  const int64_t kv_heads = c.num_key_value_heads, past = cache.length();
  const float eps = static_cast<float>(c.rms_norm_eps);

  std::vector<float> normed(rows * h), q(rows * heads * hd), att(rows * heads * hd), out(rows * h);
  float* k = cache.keys(layer) + past * kv_heads * hd;
  float* v = cache.values(layer) + past * kv_heads * hd;
  rmsnorm_forward(normed.data(), x, w.input_norm.data(), rows, h, eps);
  linear(q.data(), normed.data(), w.q_proj, rows);
  linear(k, normed.data(), w.k_proj, rows);
  linear(v, normed.data(), w.v_proj, rows);
  if (c.qk_norm) {
    rmsnorm_forward(q.data(), q.data(), w.q_norm.data(), rows * heads, hd, eps);
    rmsnorm_forward(k, k, w.k_norm.data(), rows * kv_heads, hd, eps);
  }
  std::vector<int64_t> positions(rows);
  for (int64_t r = 0; r < rows; ++r) positions[r] = past + r;
  rope_forward(q.data(), positions.data(), inv_freq_.data(), rows, heads, hd);
  rope_forward(k, positions.data(), inv_freq_.data(), rows, kv_heads, hd);
  attention_forward(att.data(), q.data(), cache.keys(layer), cache.values(layer), rows, past, heads,
                    kv_heads, hd);
  linear(out.data(), att.data(), w.o_proj, rows);
  for (int64_t i = 0; i < rows * h; ++i) x[i] += out[i];
}

// x (rows, hidden) += down_proj(silu(gate_proj(n)) * up_proj(n)), n = rmsnorm(x).
void Model::mlp_block(float* x, int64_t layer, int64_t rows) const {
  const LayerWeights& w = weights_.layers[layer];
  const int64_t h = config_.hidden_size, ff = config_.intermediate_size;
  std::vector<float> normed(rows * h), gate(rows * ff), up(rows * ff), out(rows * h);
  rmsnorm_forward(normed.data(), x, w.post_attention_norm.data(), rows, h,
                  static_cast<float>(config_.rms_norm_eps));
  linear(gate.data(), normed.data(), w.gate_proj, rows);
  linear(up.data(), normed.data(), w.up_proj, rows);
  swiglu_forward(gate.data(), gate.data(), up.data(), rows * ff);
  linear(out.data(), gate.data(), w.down_proj, rows);
  for (int64_t i = 0; i < rows * h; ++i) x[i] += out[i];
}

void Model::forward(std::span<const int32_t> tokens, KVCache& cache, float* logits,
                    bool last_only) const {
  check_tokens(tokens, cache);
  const int64_t rows = static_cast<int64_t>(tokens.size()), h = config_.hidden_size;
  if (rows == 0) return;
  std::vector<float> x(rows * h);
  embedding_forward(x.data(), tokens.data(), weights_.embed_tokens.data(), rows, h);
  for (int64_t layer = 0; layer < config_.num_hidden_layers; ++layer) {
    attention_block(x.data(), layer, rows, cache);
    mlp_block(x.data(), layer, rows);
  }
  cache.advance(rows);
  const int64_t first = last_only ? rows - 1 : 0, out_rows = rows - first;
  std::vector<float> normed(out_rows * h);
  rmsnorm_forward(normed.data(), x.data() + first * h, weights_.final_norm.data(), out_rows, h,
                  static_cast<float>(config_.rms_norm_eps));
  matmul_forward(logits, normed.data(), lm_head_matrix(weights_).data(), nullptr, out_rows, h,
                 config_.vocab_size);
}

std::vector<float> Model::logits(std::span<const int32_t> tokens) const {
  KVCache cache = new_cache(std::max<int64_t>(1, static_cast<int64_t>(tokens.size())));
  std::vector<float> out(tokens.size() * static_cast<size_t>(config_.vocab_size));
  forward(tokens, cache, out.data(), false);
  return out;
}

}  // namespace aha::model
