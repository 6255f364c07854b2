// The registry of architectures: what each model_type's tensors are.
#pragma once

#include <string>
#include <vector>

#include "aha/backend/ops.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/model/parameter_table.hpp"

namespace aha::model {

// The gated activation of a Llama-shaped MLP, act = f(gate) · up: an op of the backend table
// and its backward.
using GatedForward = void (*backend::Ops::*)(float* out, const float* gate, const float* up, int64_t n);
using GatedBackward = void (*backend::Ops::*)(float* dgate, float* dup, const float* dout, const float* gate,
                                              const float* up, int64_t n);

// One architecture family: the config.json model_types it serves, its parameter table and the
// choices its decoder layers make (model/training.cpp and model/decoder.cpp run them).
struct Architecture {
  std::vector<std::string> model_types;
  std::vector<ParameterSpec> (*parameters)(const io::ModelConfig& config);
  GatedForward mlp_activation = &backend::Ops::swiglu_forward;
  GatedBackward mlp_activation_backward = &backend::Ops::swiglu_backward;
  // The factor on the token embeddings (Gemma's √hidden_size); nullptr: none.
  float (*embedding_scale)(const io::ModelConfig& config) = nullptr;
};

// Adds `architecture` to the registry (a later registration of a model_type wins); returns true,
// so that a file can register itself from a static initialiser.
bool register_architecture(const Architecture& architecture);

// The architecture registered for `model_type`; an Error naming the registered ones otherwise.
const Architecture& find_architecture(const std::string& model_type);

// find_architecture(model_type) for a model being loaded: the Error also names `origin`, the
// config.json the model_type came from.
const Architecture& find_architecture(const std::string& model_type, const std::string& origin);

// The Llama family: llama, mistral, qwen2, qwen3 (model/llama.cpp).
Architecture llama_family();

}  // namespace aha::model
