// LoRA (Hu et al. 2021) as PEFT computes it: an adapted nn.Linear gives
// y = W x + (alpha / r) · B (A (dropout(x))), with A (r, in), B (out, r) and W frozen.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"
#include "aha/model/gradients.hpp"
#include "aha/model/parameter_table.hpp"
#include "aha/model/weights.hpp"
#include "aha/tensor/tensor.hpp"

namespace aha::model {

// PEFT's target_modules resolved to module names: each of q_proj, k_proj, v_proj, o_proj, gate_proj,
// up_proj and down_proj, or "all-linear" (every one of them; PEFT's all-linear leaves out lm_head
// too). Unknown names are an Error.
std::vector<std::string> resolve_lora_targets(const std::vector<std::string>& names, const std::string& origin);

struct LoraSettings {
  int64_t r = 8;  // PEFT's defaults: r 8, lora_alpha 8, dropout 0
  double alpha = 8.0;
  double dropout = 0.0;                     // probability of zeroing an input element
  bool use_rslora = false;                  // scale alpha / sqrt(r) instead of alpha / r
  std::vector<std::string> target_modules;  // resolved names
  // The factor of B·A: alpha / r (or alpha / sqrt(r) with use_rslora).
  float scale() const;
};

// One adapted nn.Linear: a = A (r, in), b = B (out, r) row-major; empty when not targeted.
struct LoraLinear {
  int64_t in = 0, out = 0, r = 0;
  std::vector<float> a, b;
  std::string base;  // the adapted linear's HF name, "model.layers.0.self_attn.q_proj"
};

struct Lora {
  LoraSettings settings;
  std::vector<std::array<LoraLinear, kLoraModules>> layers;  // [layer][LoraModule]
};

// Adapters for the settings' target modules of every layer of a model with `config`, all zero;
// the LoRA-targetable weights of its parameter table give their shapes.
Lora zero_lora(const io::ModelConfig& config, const LoraSettings& settings);

// Sets every adapter tensor to zero, keeping the shapes (for gradients).
void zero_lora_values(Lora& lora);

// Every adapter tensor under PEFT's name ("base_model.model.model.layers.0.self_attn.q_proj.
// lora_A.weight", shape (r, in); ".lora_B.weight", shape (out, r)), layer by layer, A before B.
std::vector<Parameter> lora_parameters(Lora& lora);

// lora_parameters as F32 tensors, for adapter_model.safetensors.
std::map<std::string, tensor::Tensor> lora_tensors(const Lora& lora);

// Fills `lora` (shaped by zero_lora) from tensors under PEFT's names; `get(name)` returns the
// tensor or throws. Shapes and dtypes are checked; `origin` names the file in errors.
void read_lora_tensors(Lora& lora, const std::function<tensor::Tensor(const std::string&)>& get,
                       const std::string& origin);

// The adapter `lora` holds for the parameter `p`, or null (not a LoRA target, or not adapted).
const LoraLinear* adapter_for(const Lora& lora, const ParameterSpec& p);

// W += scale · B·A for every adapted linear of `weights` (the model then computes base + adapter).
void merge_lora(Weights& weights, const Lora& lora);

// weight (l.out, l.in) += scale · B·A of the one adapter `l`, each element summed in double.
void merge_lora_linear(std::vector<float>& weight, const LoraLinear& l, double scale);

// Dropout of one adapted linear in one forward: element i of the input is zeroed when
// hash(seed, i) < p, the others scaled by 1 / (1 - p), as nn.Dropout in training mode.
struct LoraDropout {
  double p = 0.0;
  uint64_t seed = 0;  // distinct for every (micro-batch, layer, module)
};

// out (rows, l.out) += scale · B·A·dropout(inp (rows, l.in)).
void lora_forward(float* out, const float* inp, const LoraLinear& l, float scale, int64_t rows,
                  const LoraDropout& dropout);

// Backward of lora_forward: dinp (rows, in) += d/d(inp), grad.a (r, in) and grad.b (out, r) +=
// their gradients. The dropout mask is drawn again from its seed, not stored.
void lora_backward(float* dinp, LoraLinear& grad, const float* dout, const float* inp, const LoraLinear& l, float scale,
                   int64_t rows, const LoraDropout& dropout);

// The seed of the dropout of `module` of `layer`, from the micro-batch's seed.
uint64_t lora_dropout_seed(uint64_t micro_batch_seed, int64_t layer, int module);

}  // namespace aha::model
