#include "aha/model/weights.hpp"

#include "aha/base/error.hpp"
#include "aha/model/adapter.hpp"
#include "aha/model/architecture.hpp"
#include "aha/model/parameter_table.hpp"

namespace aha::model {

Weights load_weights(const io::ModelDir& dir) {
  find_architecture(dir.config().model_type, dir.config_path());  // an unknown model_type names config.json
  Weights w = shaped_weights(dir.config());
  for (const ParameterSpec& p : parameter_table(dir.config())) {
    // Each tensor must have exactly the table's shape and a float dtype; it is read as fp32.
    tensor::Tensor t = dir.get(p.name);
    if (t.shape() != p.shape)
      fail("{}: tensor '{}' has shape {}, expected {}", dir.file_of(p.name), p.name, tensor::shape_string(t.shape()),
           tensor::shape_string(p.shape));
    if (!tensor::is_float_dtype(t.dtype()))
      fail("{}: tensor '{}' has dtype {}, expected F32, F16 or BF16", dir.file_of(p.name), p.name,
           tensor::dtype_name(t.dtype()));
    *p.slot(w).values = t.to_f32();
  }
  if (dir.adapter()) merge_lora(w, load_adapter(dir));
  return w;
}

const std::vector<float>& lm_head_matrix(const Weights& weights) {
  return weights.lm_head.weight.empty() ? weights.embed_tokens : weights.lm_head.weight;
}

}  // namespace aha::model
