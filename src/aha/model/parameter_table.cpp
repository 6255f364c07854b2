#include "aha/model/parameter_table.hpp"

#include "aha/model/architecture.hpp"
#include "aha/model/weights.hpp"

namespace aha::model {

std::vector<ParameterSpec> parameter_table(const io::ModelConfig& config) {
  return find_architecture(config.model_type).parameters(config);
}

Weights shaped_weights(const io::ModelConfig& config) {
  Weights w;
  w.config = config;
  w.layers.resize(static_cast<size_t>(config.num_hidden_layers));
  for (const ParameterSpec& p : parameter_table(config)) {
    const TensorSlot s = p.slot(w);
    s.values->assign(static_cast<size_t>(tensor::numel(p.shape)), p.init == Init::ones ? 1.0f : 0.0f);
    if (s.linear && p.shape.size() == 2) s.linear->out = p.shape[0], s.linear->in = p.shape[1];
  }
  return w;
}

}  // namespace aha::model
