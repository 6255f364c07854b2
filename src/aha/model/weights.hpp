// The weights of a Llama/Qwen decoder in fp32, loaded from a model directory.
#pragma once

#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"
#include "aha/io/model_dir.hpp"

namespace aha::model {

// An nn.Linear: weight (out, in) row-major, bias (out) or empty. A frozen weight may be held in
// its bf16 bits instead (weight_bf16; weight is then empty): see load_weights.
struct Linear {
  int64_t in = 0, out = 0;
  std::vector<float> weight;
  std::vector<float> bias;
  std::vector<uint16_t> weight_bf16;
};

struct LayerWeights {
  std::vector<float> input_norm;           // (hidden)
  std::vector<float> post_attention_norm;  // (hidden)
  std::vector<float> q_norm, k_norm;       // (head_dim), Qwen3 only
  Linear q_proj, k_proj, v_proj, o_proj;
  Linear gate_proj, up_proj, down_proj;
};

// Every tensor of a model, as its architecture's parameter table (parameter_table.hpp) lays
// them out; which of them exist follows `config`.
struct Weights {
  io::ModelConfig config;                   // the architecture and sizes these tensors follow
  std::vector<float> embed_tokens;          // (vocab, hidden)
  std::vector<uint16_t> embed_tokens_bf16;  // the same held in bf16 bits instead (load_weights)
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;  // (hidden)
  Linear lm_head;                 // empty weight when tied to embed_tokens
};

struct ParameterSpec;

// Loads every tensor the config calls for, checking names and shapes; F32, F16 and BF16. For an
// adapter directory: the base model's weights with (alpha/r)·B·A added to each adapted linear.
// With `hold_bf16`, every matrix stored in BF16 stays in its bf16 bits (TensorSlot::bf16, the
// fp32 values left empty), exactly as stored: for a frozen base that only mixed-precision
// products read (LoRA with bf16: true, model/training.hpp), which round their weights to bf16
// anyway. Norms, biases, matrices stored otherwise and an adapter directory's merged weights
// are fp32 as always.
Weights load_weights(const io::ModelDir& dir, bool hold_bf16 = false);

// load_weights without the matrices (the 2-D tensors stay empty; their Linear's sizes are set),
// for a model that reads them from `dir` itself; not for an adapter directory.
Weights load_weights_but_matrices(const io::ModelDir& dir);

// Tensor p.name of `dir`, checked against the table's shape and for a float dtype.
tensor::Tensor read_parameter(const io::ModelDir& dir, const ParameterSpec& p);

// True when any matrix of `weights` is held in bf16 bits.
bool holds_bf16(const Weights& weights);

// The LM head's Linear is empty (out = 0) when the head is tied to embed_tokens.
inline bool tied_head(const Weights& weights) { return weights.lm_head.out == 0; }

// The LM head matrix (vocab, hidden): lm_head, or embed_tokens when tied; in fp32 (empty when
// held in bf16) and in bf16 bits (empty unless held so).
const std::vector<float>& lm_head_matrix(const Weights& weights);
const std::vector<uint16_t>& lm_head_bf16(const Weights& weights);

}  // namespace aha::model
