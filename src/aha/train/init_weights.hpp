// Fresh weights for a model trained from scratch, initialised as transformers' Llama/Qwen
// _init_weights does: matrices and embeddings normal(0, initializer_range), biases 0, norms 1.
#pragma once

#include <cstdint>

#include "aha/io/hf_config.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/weights.hpp"

namespace aha::train {

// Seeded weights for `config`; each tensor draws from its own stream (seed, its HF name).
model::Weights init_weights(const io::ModelConfig& config, double initializer_range, uint64_t seed);

// Initialises adapters as PEFT does (init_lora_weights=True): A from nn.Linear's default,
// kaiming_uniform(a=sqrt(5)), i.e. uniform in ±1/sqrt(in); B zero, so training starts at the base
// model. Each A draws from its own stream (seed, its PEFT name).
void init_lora(model::Lora& lora, uint64_t seed);

}  // namespace aha::train
