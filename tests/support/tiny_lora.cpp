#include "support/tiny_lora.hpp"

#include <random>

namespace aha::test {

model::Lora random_lora(const io::ModelConfig& config, const std::vector<std::string>& targets, unsigned seed,
                        double dropout) {
  model::LoraSettings s;
  s.r = 3;
  s.alpha = 5.0;
  s.dropout = dropout;
  s.target_modules = model::resolve_lora_targets(targets, "test");
  model::Lora lora = model::zero_lora(config, s);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  for (const model::Parameter& p : model::lora_parameters(lora))
    for (float& v : *p.values) v = u(rng);
  return lora;
}

}  // namespace aha::test
