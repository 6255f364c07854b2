// An architecture's tensors, written once: each one's Hugging Face name, shape, initialisation,
// whether LoRA may adapt it, and where it lives in Weights. Loading, saving, initialisation,
// gradients and LoRA all read this table; no other list of an architecture's tensors exists.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"
#include "aha/tensor/tensor.hpp"

namespace aha::model {

struct Linear;
struct Weights;

// The linear layers LoRA can adapt, under PEFT's module names ("q_proj", ..., "down_proj").
enum LoraModule { q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj };
constexpr int kLoraModules = 7;
constexpr int kNotLoraTarget = -1;

// How a freshly trained model initialises a tensor (transformers' _init_weights): normal(0,
// initializer_range), zeros (biases) or ones (norm scales).
enum class Init { normal, zeros, ones };

// Where a tensor lives in a Weights (or Gradients): its values, the nn.Linear whose weight or bias
// it is (nullptr for embeddings and norms) and, for a matrix that may be held in bf16 bits
// instead (load_weights), where those go (nullptr: always fp32).
struct TensorSlot {
  std::vector<float>* values;
  Linear* linear;
  std::vector<uint16_t>* bf16 = nullptr;
};

// One tensor of an architecture.
struct ParameterSpec {
  std::string name;     // "model.layers.0.self_attn.q_proj.weight"
  tensor::Shape shape;  // (out, in) for matrices, (n) for norms and biases
  Init init;
  int64_t layer;    // decoder layer, -1 outside the layers
  int lora_module;  // the LoraModule this is the weight of, kNotLoraTarget otherwise
  std::function<TensorSlot(Weights&)> slot;

  // The slot of a tensor of `w` that is only read: it locates the tensor; nothing is written
  // through it.
  TensorSlot read_slot(const Weights& w) const { return slot(const_cast<Weights&>(w)); }
};

// The tensors of a model with `config`, in a fixed order (embedding, layers, final norm, head);
// the architecture is chosen by config.model_type.
std::vector<ParameterSpec> parameter_table(const io::ModelConfig& config);

// Weights for `config` with every tensor of its table allocated: norms 1, everything else 0.
Weights shaped_weights(const io::ModelConfig& config);

}  // namespace aha::model
