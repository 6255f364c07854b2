// The Llama/Qwen decoder-only transformer: forward pass over a key/value cache, in fp32.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"
#include "aha/model/kv_cache.hpp"
#include "aha/model/weights.hpp"

namespace aha::model {

class Model {
 public:
  // Loads the model in the Hugging Face directory `dir`.
  explicit Model(const std::string& dir);
  // A model from an already loaded config and weights.
  Model(io::ModelConfig config, Weights weights);

  const io::ModelConfig& config() const { return config_; }
  const Weights& weights() const { return weights_; }

  // A cache sized for `capacity` positions of this model.
  KVCache new_cache(int64_t capacity) const { return KVCache(config_, capacity); }

  // Runs `tokens` at positions cache.length() onward, appending their keys and values to
  // `cache`. Writes logits (tokens.size(), vocab) to `logits`, or only the last row
  // (1, vocab) when `last_only`. Token ids out of the vocabulary are a bad-input Error.
  void forward(std::span<const int32_t> tokens, KVCache& cache, float* logits, bool last_only) const;

  // Logits (tokens.size(), vocab) of a fresh sequence: one prefill from position 0.
  std::vector<float> logits(std::span<const int32_t> tokens) const;

 private:
  void check_tokens(std::span<const int32_t> tokens, const KVCache& cache) const;
  void attention_block(float* x, int64_t layer, int64_t rows, KVCache& cache) const;
  void mlp_block(float* x, int64_t layer, int64_t rows) const;

  io::ModelConfig config_;
  Weights weights_;
  std::vector<double> inv_freq_;
};

}  // namespace aha::model
