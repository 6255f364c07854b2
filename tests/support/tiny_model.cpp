#include "support/tiny_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "aha/base/json.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/parameter_table.hpp"
#include "support/temp_dir.hpp"

namespace aha::test {
namespace {

tensor::Tensor random_tensor(tensor::Shape shape, std::mt19937& rng, float scale, float offset, tensor::DType dtype) {
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
  return Json{{"model_type", "llama"},
              {"hidden_size", 32},
              {"intermediate_size", 48},
              {"num_hidden_layers", 2},
              {"num_attention_heads", 4},
              {"num_key_value_heads", 2},
              {"vocab_size", 64},
              {"rms_norm_eps", 1e-5},
              {"rope_theta", 10000.0},
              {"tie_word_embeddings", false},
              {"max_position_embeddings", 128}};
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
  scaled["rope_scaling"] = {{"rope_type", "llama3"},
                            {"factor", 4.0},
                            {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0},
                            {"original_max_position_embeddings", 32}};
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
  // Embeddings normal(0, 1), matrices normal(0, 1/sqrt(in)), biases normal(0, 0.1), norm scales
  // 1 + normal(0, 0.1); drawn in the parameter table's order.
  for (const model::ParameterSpec& p : model::parameter_table(c)) {
    float scale = 0.1f, offset = 0.0f;
    if (p.name == "model.embed_tokens.weight") scale = 1.0f;
    else if (p.init == model::Init::normal) scale = 1.0f / std::sqrt(static_cast<float>(p.shape[1]));
    else if (p.init == model::Init::ones) offset = 1.0f;
    t[p.name] = random_tensor(p.shape, rng, scale, offset, dtype);
  }
  write_text(dir + "/config.json", config.dump(2));
  io::write_safetensors(dir + "/model.safetensors", t);
}

void add_logit_bias(const std::string& dir, const std::vector<float>& bias) {
  const std::string path = dir + "/model.safetensors";
  std::map<std::string, tensor::Tensor> out;
  {
    const io::SafetensorsFile file(path);
    const int64_t hidden = file.get("model.norm.weight").shape()[0];
    for (const std::string& name : file.names()) {
      const tensor::Tensor t = file.get(name);
      std::vector<float> v = t.to_f32();
      const auto cols = static_cast<size_t>(t.shape().back());
      if (name == "model.embed_tokens.weight") {
        // After RMSNorm a feature of 10 beside ~1 in the other 31 is about sqrt(hidden) whatever
        // the token and position: a constant input the LM head turns into a bias.
        for (size_t r = 0; r < v.size() / cols; ++r) v[r * cols] = 10.0f;
      } else if (name.ends_with("o_proj.weight") || name.ends_with("down_proj.weight")) {
        std::fill(v.begin(), v.begin() + cols, 0.0f);  // row 0: the layers leave feature 0 alone
      } else if (name == "lm_head.weight") {
        for (size_t r = 0; r < bias.size() && r < v.size() / cols; ++r)
          v[r * cols] = bias[r] / std::sqrt(static_cast<float>(hidden));
      }
      out[name] = tensor::Tensor::from_f32(t.shape(), v);
    }
  }
  io::write_safetensors(path, out);
}

}  // namespace aha::test
