#include "aha/train/init_weights.hpp"

#include <cmath>

#include "aha/base/random.hpp"
#include "aha/model/gradients.hpp"
#include "aha/model/parameter_table.hpp"

namespace aha::train {

model::Weights init_weights(const io::ModelConfig& config, double initializer_range, uint64_t seed) {
  model::Weights w = model::shaped_weights(config);  // norms 1, biases 0
  for (const model::ParameterSpec& p : model::parameter_table(config)) {
    if (p.init != model::Init::normal) continue;
    RandomStream stream(seed, "init:" + p.name);
    for (float& x : *p.slot(w).values) x = static_cast<float>(initializer_range * stream.normal());
  }
  return w;
}

void init_lora(model::Lora& lora, uint64_t seed) {
  model::zero_lora_values(lora);
  for (const model::Parameter& p : model::lora_parameters(lora)) {
    if (p.name.find(".lora_A.") == std::string::npos) continue;
    // kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain · sqrt(3 / fan_in) = 1/sqrt(fan_in).
    const double bound = 1.0 / std::sqrt(static_cast<double>(p.shape[1]));
    RandomStream stream(seed, "init:" + p.name);
    for (float& x : *p.values) x = static_cast<float>(bound * (2.0 * stream.uniform() - 1.0));
  }
}

}  // namespace aha::train
