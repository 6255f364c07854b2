// Random tiny models in Hugging Face layout, for tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/tensor/dtype.hpp"

namespace aha::test {

// A small llama config (GQA 4:2, untied) that tests can modify before writing.
Json tiny_llama_config();

// One config of each supported architecture variant, named: llama with GQA, llama tied with
// full multi-head attention, llama3 rope scaling with attention and MLP biases, qwen2 (biases,
// GQA ratio 3), qwen3 (q/k norms, explicit head_dim, tied).
std::vector<std::pair<std::string, Json>> tiny_model_variants();

// Writes config.json and model.safetensors with seeded random weights for `config` into `dir`.
void write_tiny_model(const std::string& dir, const Json& config, unsigned seed,
                      tensor::DType dtype = tensor::DType::F32);

// Rewrites the untied F32 llama-style model in `dir` (from write_tiny_model) so that id i's logit
// gains about bias[i] at every position: hidden feature 0 becomes a constant (its embedding column
// large, no layer writing to it) and the LM head reads that feature with weights bias / sqrt(hidden).
void add_logit_bias(const std::string& dir, const std::vector<float>& bias);

}  // namespace aha::test
