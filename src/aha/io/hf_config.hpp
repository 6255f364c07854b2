// The model configuration read from a Hugging Face config.json (llama, mistral, qwen2, qwen3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/json_fwd.hpp"

namespace aha::io {

// RoPE frequency scaling; `kind` is "default" or "llama3" (transformers' rope_type names).
struct RopeScaling {
  std::string kind = "default";
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  std::string model_type;  // "llama", "mistral", "qwen2" or "qwen3"
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t intermediate_size = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  int64_t sliding_window = 0;  // 0: full attention
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // biases on q/k/v (and o for llama)
  bool attention_out_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;  // Qwen3's per-head RMSNorm of queries and keys
  std::vector<int64_t> eos_token_ids;
  int64_t bos_token_id = -1;
};

// Builds a ModelConfig from parsed config.json; `origin` names the file in errors.
ModelConfig parse_model_config(const Json& json, const std::string& origin);

// Reads and parses the config.json at `path`.
ModelConfig read_model_config(const std::string& path);

}  // namespace aha::io
