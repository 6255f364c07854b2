#include "aha/model/weights.hpp"

#include <cstring>

#include "aha/base/error.hpp"
#include "aha/model/adapter.hpp"
#include "aha/model/architecture.hpp"
#include "aha/model/parameter_table.hpp"

namespace aha::model {

tensor::Tensor read_parameter(const io::ModelDir& dir, const ParameterSpec& p) {
  tensor::Tensor t = dir.get(p.name);
  if (t.shape() != p.shape)
    fail("{}: tensor '{}' has shape {}, expected {}", dir.file_of(p.name), p.name, tensor::shape_string(t.shape()),
         tensor::shape_string(p.shape));
  if (!tensor::is_float_dtype(t.dtype()))
    fail("{}: tensor '{}' has dtype {}, expected F32, F16 or BF16", dir.file_of(p.name), p.name,
         tensor::dtype_name(t.dtype()));
  return t;
}

Weights load_weights(const io::ModelDir& dir, bool hold_bf16) {
  find_architecture(dir.config().model_type, dir.config_path());  // an unknown model_type names config.json
  Weights w = shaped_weights(dir.config());
  const bool hold = hold_bf16 && !dir.adapter();  // an adapter is merged into fp32 values
  for (const ParameterSpec& p : parameter_table(dir.config())) {
    const tensor::Tensor t = read_parameter(dir, p);
    const TensorSlot s = p.slot(w);
    if (hold && s.bf16 && t.dtype() == tensor::DType::BF16) {
      s.bf16->resize(static_cast<size_t>(t.numel()));
      std::memcpy(s.bf16->data(), t.data(), s.bf16->size() * sizeof(uint16_t));
      std::vector<float>().swap(*s.values);
    } else {
      *s.values = t.to_f32();
    }
    dir.release(p.name);
  }
  if (dir.adapter()) merge_lora(w, load_adapter(dir));
  return w;
}

Weights load_weights_but_matrices(const io::ModelDir& dir) {
  if (dir.adapter()) fail_internal("load_weights_but_matrices: an adapter directory");
  find_architecture(dir.config().model_type, dir.config_path());
  Weights w;
  w.config = dir.config();
  w.layers.resize(static_cast<size_t>(dir.config().num_hidden_layers));
  for (const ParameterSpec& p : parameter_table(dir.config())) {
    const tensor::Tensor t = read_parameter(dir, p);
    const TensorSlot s = p.slot(w);
    if (p.shape.size() != 2) *s.values = t.to_f32();
    else if (s.linear) s.linear->out = p.shape[0], s.linear->in = p.shape[1];
  }
  return w;
}

bool holds_bf16(const Weights& w) {
  if (!w.embed_tokens_bf16.empty() || !w.lm_head.weight_bf16.empty()) return true;
  for (const LayerWeights& l : w.layers)
    for (const Linear* x : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      if (!x->weight_bf16.empty()) return true;
  return false;
}

const std::vector<float>& lm_head_matrix(const Weights& weights) {
  return tied_head(weights) ? weights.embed_tokens : weights.lm_head.weight;
}

const std::vector<uint16_t>& lm_head_bf16(const Weights& weights) {
  return tied_head(weights) ? weights.embed_tokens_bf16 : weights.lm_head.weight_bf16;
}

}  // namespace aha::model
