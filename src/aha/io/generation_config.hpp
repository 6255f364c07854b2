// The optional generation_config.json of a model directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"

namespace aha::io {

// The ids that end generation: generation_config.json's eos_token_id when the file has one,
// else config.json's (`config`).
std::vector<int64_t> eos_token_ids(const std::string& model_dir, const ModelConfig& config);

}  // namespace aha::io
