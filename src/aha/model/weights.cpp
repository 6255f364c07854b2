#include "aha/model/weights.hpp"

#include <fmt/format.h>

#include "aha/base/error.hpp"
#include "aha/model/adapter.hpp"

namespace aha::model {
namespace {

// Reads tensor `name`, which must have exactly `shape` and a float dtype, as fp32.
std::vector<float> load(const io::ModelDir& dir, const std::string& name, const tensor::Shape& shape) {
  tensor::Tensor t = dir.get(name);
  if (t.shape() != shape)
    fail("{}: tensor '{}' has shape {}, expected {}", dir.file_of(name), name,
         tensor::shape_string(t.shape()), tensor::shape_string(shape));
  if (!tensor::is_float_dtype(t.dtype()))
    fail("{}: tensor '{}' has dtype {}, expected F32, F16 or BF16", dir.file_of(name), name,
         tensor::dtype_name(t.dtype()));
  return t.to_f32();
}

Linear load_linear(const io::ModelDir& dir, const std::string& prefix, int64_t in, int64_t out,
                   bool bias) {
  Linear l;
  l.in = in;
  l.out = out;
  l.weight = load(dir, prefix + ".weight", {out, in});
  if (bias) l.bias = load(dir, prefix + ".bias", {out});
  return l;
}

}  // namespace

Weights load_weights(const io::ModelDir& dir) {
  const io::ModelConfig& c = dir.config();
  const int64_t h = c.hidden_size, hd = c.head_dim;
  const int64_t q_dim = c.num_attention_heads * hd, kv_dim = c.num_key_value_heads * hd;
  Weights w;
  w.embed_tokens = load(dir, "model.embed_tokens.weight", {c.vocab_size, h});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = fmt::format("model.layers.{}.", i);
    LayerWeights l;
    l.input_norm = load(dir, p + "input_layernorm.weight", {h});
    l.post_attention_norm = load(dir, p + "post_attention_layernorm.weight", {h});
    l.q_proj = load_linear(dir, p + "self_attn.q_proj", h, q_dim, c.attention_bias);
    l.k_proj = load_linear(dir, p + "self_attn.k_proj", h, kv_dim, c.attention_bias);
    l.v_proj = load_linear(dir, p + "self_attn.v_proj", h, kv_dim, c.attention_bias);
    l.o_proj = load_linear(dir, p + "self_attn.o_proj", q_dim, h, c.attention_out_bias);
    if (c.qk_norm) {
      l.q_norm = load(dir, p + "self_attn.q_norm.weight", {hd});
      l.k_norm = load(dir, p + "self_attn.k_norm.weight", {hd});
    }
    l.gate_proj = load_linear(dir, p + "mlp.gate_proj", h, c.intermediate_size, c.mlp_bias);
    l.up_proj = load_linear(dir, p + "mlp.up_proj", h, c.intermediate_size, c.mlp_bias);
    l.down_proj = load_linear(dir, p + "mlp.down_proj", c.intermediate_size, h, c.mlp_bias);
    w.layers.push_back(std::move(l));
  }
  w.final_norm = load(dir, "model.norm.weight", {h});
  if (!c.tie_word_embeddings) w.lm_head = load_linear(dir, "lm_head", h, c.vocab_size, false);
  if (dir.adapter()) merge_lora(w, load_adapter(dir));
  return w;
}

const std::vector<float>& lm_head_matrix(const Weights& weights) {
  return weights.lm_head.weight.empty() ? weights.embed_tokens : weights.lm_head.weight;
}

}  // namespace aha::model
