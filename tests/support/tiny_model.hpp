// Random tiny models in Hugging Face layout, for tests.
#pragma once

#include <string>

#include "aha/base/json.hpp"
#include "aha/tensor/dtype.hpp"

namespace aha::test {

// A small llama config (GQA 4:2, untied) that tests can modify before writing.
Json tiny_llama_config();

// Writes config.json and model.safetensors with seeded random weights for `config` into `dir`.
void write_tiny_model(const std::string& dir, const Json& config, unsigned seed,
                      tensor::DType dtype = tensor::DType::F32);

}  // namespace aha::test
