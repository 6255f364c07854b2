// The Llama family (llama, mistral, qwen2, qwen3): one decoder layer shape with optional biases
// (qwen2's q/k/v, llama's attention_bias and mlp_bias) and Qwen3's per-head q/k RMSNorm.
#include <fmt/format.h>

#include "aha/model/architecture.hpp"
#include "aha/model/weights.hpp"

namespace aha::model {
namespace {

// The tensors of a Llama-family model, in the order of its checkpoints' indices.
std::vector<ParameterSpec> llama_parameters(const io::ModelConfig& c) {
  const int64_t h = c.hidden_size, hd = c.head_dim, ff = c.intermediate_size;
  const int64_t q = c.num_attention_heads * hd, kv = c.num_key_value_heads * hd;
  std::vector<ParameterSpec> t;
  t.push_back({"model.embed_tokens.weight", {c.vocab_size, h}, Init::normal, -1, kNotLoraTarget, [](Weights& w) {
                 return TensorSlot{&w.embed_tokens, nullptr, &w.embed_tokens_bf16};
               }});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = fmt::format("model.layers.{}.", i);
    auto norm = [&](const std::string& name, int64_t n, std::vector<float> LayerWeights::*member) {
      t.push_back({p + name, {n}, Init::ones, i, kNotLoraTarget, [i, member](Weights& w) {
                     return TensorSlot{&(w.layers[i].*member), nullptr};
                   }});
    };
    // An nn.Linear (in -> out): its weight (out, in), LoRA-targetable, and its bias (out) if any.
    auto linear = [&](const std::string& name, int64_t in, int64_t out, bool bias, Linear LayerWeights::*member,
                      int module) {
      t.push_back({p + name + ".weight", {out, in}, Init::normal, i, module, [i, member](Weights& w) {
                     Linear& l = w.layers[i].*member;
                     return TensorSlot{&l.weight, &l, &l.weight_bf16};
                   }});
      if (!bias) return;
      t.push_back({p + name + ".bias", {out}, Init::zeros, i, kNotLoraTarget, [i, member](Weights& w) {
                     Linear& l = w.layers[i].*member;
                     return TensorSlot{&l.bias, &l};
                   }});
    };
    norm("input_layernorm.weight", h, &LayerWeights::input_norm);
    norm("post_attention_layernorm.weight", h, &LayerWeights::post_attention_norm);
    linear("self_attn.q_proj", h, q, c.attention_bias, &LayerWeights::q_proj, q_proj);
    linear("self_attn.k_proj", h, kv, c.attention_bias, &LayerWeights::k_proj, k_proj);
    linear("self_attn.v_proj", h, kv, c.attention_bias, &LayerWeights::v_proj, v_proj);
    linear("self_attn.o_proj", q, h, c.attention_out_bias, &LayerWeights::o_proj, o_proj);
    if (c.qk_norm) {
      norm("self_attn.q_norm.weight", hd, &LayerWeights::q_norm);
      norm("self_attn.k_norm.weight", hd, &LayerWeights::k_norm);
    }
    linear("mlp.gate_proj", h, ff, c.mlp_bias, &LayerWeights::gate_proj, gate_proj);
    linear("mlp.up_proj", h, ff, c.mlp_bias, &LayerWeights::up_proj, up_proj);
    linear("mlp.down_proj", ff, h, c.mlp_bias, &LayerWeights::down_proj, down_proj);
  }
  t.push_back({"model.norm.weight", {h}, Init::ones, -1, kNotLoraTarget, [](Weights& w) {
                 return TensorSlot{&w.final_norm, nullptr};
               }});
  if (!c.tie_word_embeddings)
    t.push_back({"lm_head.weight", {c.vocab_size, h}, Init::normal, -1, kNotLoraTarget, [](Weights& w) {
                   return TensorSlot{&w.lm_head.weight, &w.lm_head, &w.lm_head.weight_bf16};
                 }});
  return t;
}

}  // namespace

Architecture llama_family() { return {{"llama", "mistral", "qwen2", "qwen3"}, llama_parameters}; }

}  // namespace aha::model
