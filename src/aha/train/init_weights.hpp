// Fresh weights for a model trained from scratch, initialised as transformers' Llama/Qwen
// _init_weights does: matrices and embeddings normal(0, initializer_range), biases 0, norms 1.
#pragma once

#include <cstdint>

#include "aha/io/hf_config.hpp"
#include "aha/model/weights.hpp"

namespace aha::train {

// Seeded weights for `config`; each tensor draws from its own stream (seed, its HF name).
model::Weights init_weights(const io::ModelConfig& config, double initializer_range, uint64_t seed);

}  // namespace aha::train
