#include "aha/train/init_weights.hpp"

#include <cmath>

#include "aha/base/random.hpp"
#include "aha/model/gradients.hpp"

namespace aha::train {
namespace {

model::Linear linear(int64_t in, int64_t out, bool bias) {
  model::Linear l{in, out, std::vector<float>(static_cast<size_t>(in * out)), {}};
  if (bias) l.bias.assign(static_cast<size_t>(out), 0.0f);
  return l;
}

// Every tensor with its shapes but no values yet (norms 1, biases 0).
model::Weights shaped_weights(const io::ModelConfig& c) {
  const int64_t h = c.hidden_size, hd = c.head_dim, ff = c.intermediate_size;
  const int64_t q = c.num_attention_heads * hd, kv = c.num_key_value_heads * hd;
  model::Weights w;
  w.embed_tokens.resize(static_cast<size_t>(c.vocab_size * h));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    model::LayerWeights l;
    l.input_norm.assign(static_cast<size_t>(h), 1.0f);
    l.post_attention_norm.assign(static_cast<size_t>(h), 1.0f);
    if (c.qk_norm) l.q_norm.assign(static_cast<size_t>(hd), 1.0f), l.k_norm.assign(static_cast<size_t>(hd), 1.0f);
    l.q_proj = linear(h, q, c.attention_bias);
    l.k_proj = linear(h, kv, c.attention_bias);
    l.v_proj = linear(h, kv, c.attention_bias);
    l.o_proj = linear(q, h, c.attention_out_bias);
    l.gate_proj = linear(h, ff, c.mlp_bias);
    l.up_proj = linear(h, ff, c.mlp_bias);
    l.down_proj = linear(ff, h, c.mlp_bias);
    w.layers.push_back(std::move(l));
  }
  w.final_norm.assign(static_cast<size_t>(h), 1.0f);
  if (!c.tie_word_embeddings) w.lm_head = linear(h, c.vocab_size, false);
  return w;
}

}  // namespace

model::Weights init_weights(const io::ModelConfig& config, double initializer_range, uint64_t seed) {
  model::Weights w = shaped_weights(config);
  for (const model::Parameter& p : model::parameters(w)) {
    if (p.shape.size() < 2) continue;  // norms and biases keep 1 and 0
    RandomStream stream(seed, "init:" + p.name);
    for (float& x : *p.values) x = static_cast<float>(initializer_range * stream.normal());
  }
  return w;
}

void init_lora(model::Lora& lora, uint64_t seed) {
  model::zero_lora_values(lora);
  for (const model::Parameter& p : model::lora_parameters(lora)) {
    if (p.name.find(".lora_A.") == std::string::npos) continue;
    // kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain · sqrt(3 / fan_in) = 1/sqrt(fan_in).
    const double bound = 1.0 / std::sqrt(static_cast<double>(p.shape[1]));
    RandomStream stream(seed, "init:" + p.name);
    for (float& x : *p.values) x = static_cast<float>(bound * (2.0 * stream.uniform() - 1.0));
  }
}

}  // namespace aha::train
