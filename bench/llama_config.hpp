// The model shape the training benchmarks share: a Llama with untied embeddings.
#pragma once

#include <cstdint>

#include "aha/io/hf_config.hpp"

namespace aha::bench {

// A Llama config: `heads` of dim / heads, `kv_heads` for keys and values, untied embeddings.
inline io::ModelConfig llama_config(int64_t dim, int64_t layers, int64_t heads, int64_t kv_heads, int64_t ffn,
                                    int64_t vocab) {
  io::ModelConfig c;
  c.model_type = "llama";
  c.hidden_size = dim;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.num_key_value_heads = kv_heads;
  c.head_dim = dim / heads;
  c.intermediate_size = ffn;
  c.vocab_size = vocab;
  c.max_position_embeddings = 2048;
  c.rms_norm_eps = 1e-5;
  c.tie_word_embeddings = false;
  return c;
}

}  // namespace aha::bench
