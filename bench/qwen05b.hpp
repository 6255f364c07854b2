// Qwen2.5-0.5B's exact configuration (its config.json), and a model directory of it with random
// weights stored in bf16, for the benches that measure aha at a real model's size.
#pragma once

#include <cstdint>
#include <string>

#include "aha/base/json.hpp"
#include "aha/io/hf_config.hpp"

namespace aha::bench {

// Qwen2.5-0.5B's config.json: qwen2, hidden 896, 24 layers, 14 heads / 2 KV heads of 64, FFN 4864,
// vocab 151,936, tied embeddings, q/k/v biases, rope_theta 1e6, rms_norm_eps 1e-6 (~494M parameters).
Json qwen25_05b_config_json();

// The same configuration, parsed as aha reads config.json.
io::ModelConfig qwen25_05b_config();

// Writes a new model directory `dir` (an error if it exists): `config` as config.json, weights
// initialised as transformers does (normal(0, 0.02), norms 1, biases 0; seeded) stored as BF16 in
// model.safetensors, and a byte-level tokenizer.json of 256 ids (the rest of the vocabulary is
// padding, which aha never samples; the config's EOS id lies there, so generation runs to its
// length limit). With `full_vocabulary` the tokenizer has an id for every row of the vocabulary
// (merges of bytes 128..255 only, so ASCII text encodes as with the byte tokenizer), for binaries
// that cannot run on padded ids (aha before issue #14's item 5). Written under a temporary name and
// renamed when complete.
void write_random_model_dir(const std::string& dir, const Json& config, uint64_t seed, bool full_vocabulary = false);

}  // namespace aha::bench
