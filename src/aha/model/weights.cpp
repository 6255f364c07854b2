#include "aha/model/weights.hpp"

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

Weights load_weights(const io::ModelDir& dir) {
  find_architecture(dir.config().model_type, dir.config_path());  // an unknown model_type names config.json
  Weights w = shaped_weights(dir.config());
  for (const ParameterSpec& p : parameter_table(dir.config())) {
    *p.slot(w).values = read_parameter(dir, p).to_f32();
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

const std::vector<float>& lm_head_matrix(const Weights& weights) {
  return weights.lm_head.weight.empty() ? weights.embed_tokens : weights.lm_head.weight;
}

}  // namespace aha::model
