#include "support/tiny_model.hpp"

#include <fmt/format.h>

#include <map>
#include <random>

#include "aha/base/json.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/io/safetensors.hpp"
#include "support/temp_dir.hpp"

namespace aha::test {
namespace {

tensor::Tensor random_tensor(tensor::Shape shape, std::mt19937& rng, float scale, float offset,
                             tensor::DType dtype) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(static_cast<size_t>(tensor::numel(shape)));
  for (float& v : values) v = offset + normal(rng);
  if (dtype == tensor::DType::F32) return tensor::Tensor::from_f32(std::move(shape), values);
  std::vector<uint8_t> bytes(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t b = dtype == tensor::DType::BF16 ? tensor::f32_to_bf16(values[i]) : tensor::f32_to_f16(values[i]);
    bytes[2 * i] = static_cast<uint8_t>(b & 0xff);
    bytes[2 * i + 1] = static_cast<uint8_t>(b >> 8);
  }
  return tensor::Tensor::from_bytes(dtype, std::move(shape), std::move(bytes));
}

}  // namespace

Json tiny_llama_config() {
  return Json{{"model_type", "llama"},       {"hidden_size", 32},        {"intermediate_size", 48},
              {"num_hidden_layers", 2},      {"num_attention_heads", 4}, {"num_key_value_heads", 2},
              {"vocab_size", 64},            {"rms_norm_eps", 1e-5},     {"rope_theta", 10000.0},
              {"tie_word_embeddings", false}, {"max_position_embeddings", 128}};
}

std::vector<std::pair<std::string, Json>> tiny_model_variants() {
  std::vector<std::pair<std::string, Json>> out;
  const Json llama = tiny_llama_config();
  out.emplace_back("llama_gqa", llama);
  Json tied = llama;
  tied["tie_word_embeddings"] = true;
  tied["num_key_value_heads"] = 4;
  out.emplace_back("llama_tied_mha", tied);
  Json scaled = llama;
  scaled["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 4.0}, {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 32}};
  scaled["attention_bias"] = true;
  scaled["mlp_bias"] = true;
  out.emplace_back("llama3_scaled_biases", scaled);
  Json qwen2 = llama;
  qwen2["model_type"] = "qwen2";
  qwen2["num_attention_heads"] = 6;
  qwen2["hidden_size"] = 36;
  out.emplace_back("qwen2", qwen2);
  Json qwen3 = llama;
  qwen3["model_type"] = "qwen3";
  qwen3["head_dim"] = 12;
  qwen3["tie_word_embeddings"] = true;
  out.emplace_back("qwen3", qwen3);
  return out;
}

void write_tiny_model(const std::string& dir, const Json& config, unsigned seed, tensor::DType dtype) {
  io::ModelConfig c = io::parse_model_config(config, "config.json");
  std::mt19937 rng(seed);
  std::map<std::string, tensor::Tensor> t;
  const int64_t h = c.hidden_size, hd = c.head_dim, ff = c.intermediate_size;
  const int64_t q = c.num_attention_heads * hd, kv = c.num_key_value_heads * hd;
  auto add = [&](const std::string& name, tensor::Shape shape, float scale, float offset = 0.0f) {
    t[name] = random_tensor(std::move(shape), rng, scale, offset, dtype);
  };
  auto linear = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
    add(name + ".weight", {out, in}, 1.0f / std::sqrt(static_cast<float>(in)));
    if (bias) add(name + ".bias", {out}, 0.1f);
  };
  add("model.embed_tokens.weight", {c.vocab_size, h}, 1.0f);
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = fmt::format("model.layers.{}.", i);
    add(p + "input_layernorm.weight", {h}, 0.1f, 1.0f);
    add(p + "post_attention_layernorm.weight", {h}, 0.1f, 1.0f);
    linear(p + "self_attn.q_proj", h, q, c.attention_bias);
    linear(p + "self_attn.k_proj", h, kv, c.attention_bias);
    linear(p + "self_attn.v_proj", h, kv, c.attention_bias);
    linear(p + "self_attn.o_proj", q, h, c.attention_out_bias);
    if (c.qk_norm) {
      add(p + "self_attn.q_norm.weight", {hd}, 0.1f, 1.0f);
      add(p + "self_attn.k_norm.weight", {hd}, 0.1f, 1.0f);
    }
    linear(p + "mlp.gate_proj", h, ff, c.mlp_bias);
    linear(p + "mlp.up_proj", h, ff, c.mlp_bias);
    linear(p + "mlp.down_proj", ff, h, c.mlp_bias);
  }
  add("model.norm.weight", {h}, 0.1f, 1.0f);
  if (!c.tie_word_embeddings) linear("lm_head", h, c.vocab_size, false);
  write_text(dir + "/config.json", config.dump(2));
  io::write_safetensors(dir + "/model.safetensors", t);
}

}  // namespace aha::test
