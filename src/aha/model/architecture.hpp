// The registry of architectures: what each model_type's tensors are.
#pragma once

#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"
#include "aha/model/parameter_table.hpp"

namespace aha::model {

// One architecture family: the config.json model_types it serves and its parameter table.
struct Architecture {
  std::vector<std::string> model_types;
  std::vector<ParameterSpec> (*parameters)(const io::ModelConfig& config);
};

// Adds `architecture` to the registry (a later registration of a model_type wins); returns true,
// so that a file can register itself from a static initialiser.
bool register_architecture(const Architecture& architecture);

// The architecture registered for `model_type`; an Error naming the registered ones otherwise.
const Architecture& find_architecture(const std::string& model_type);

// The Llama family: llama, mistral, qwen2, qwen3 (model/llama.cpp).
Architecture llama_family();

}  // namespace aha::model
