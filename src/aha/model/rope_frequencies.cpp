#include "aha/model/rope_frequencies.hpp"

#include "aha/backend/rope_angles.hpp"

namespace aha::model {

std::vector<double> rope_inv_freq_of(const io::ModelConfig& c) {
  backend::RopeLlama3 scaling;
  if (c.rope_scaling.kind == "llama3") {
    scaling.factor = c.rope_scaling.factor;
    scaling.low_freq_factor = c.rope_scaling.low_freq_factor;
    scaling.high_freq_factor = c.rope_scaling.high_freq_factor;
    scaling.original_max_position_embeddings = static_cast<double>(c.rope_scaling.original_max_position_embeddings);
  }
  return backend::rope_inv_freq(c.head_dim, c.rope_theta, scaling);
}

}  // namespace aha::model
