// The RoPE inverse frequencies a model's config calls for.
#pragma once

#include <vector>

#include "aha/io/hf_config.hpp"

namespace aha::model {

// The head_dim/2 inverse frequencies of config `c`, with its llama3 scaling when it has one.
std::vector<double> rope_inv_freq_of(const io::ModelConfig& c);

}  // namespace aha::model
