// Random LoRA adapters for tests.
#pragma once

#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"
#include "aha/model/lora.hpp"

namespace aha::test {

// Adapters (r 3, alpha 5) on `targets` of a model with `config`, A and B both uniform in
// [-0.3, 0.3] from `seed` (B is zero at PEFT's init, which would leave the model unchanged and
// make A's gradient zero).
model::Lora random_lora(const io::ModelConfig& config, const std::vector<std::string>& targets, unsigned seed,
                        double dropout = 0.0);

}  // namespace aha::test
