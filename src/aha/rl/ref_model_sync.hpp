// TR-DPO's reference-model update as TRL's SyncRefModelCallback applies it to GRPO
// (sync_ref_model): every ref_model_sync_steps optimizer steps the KL reference moves towards the
// policy, π_ref ← α·π_θ + (1 − α)·π_ref, tensor by tensor.
#pragma once

#include <cstdint>

#include "aha/model/weights.hpp"

namespace aha::rl {

// reference ← alpha · policy + (1 − alpha) · reference for every tensor (fp32; the two must have
// the same tensors).
void mix_reference(model::Weights& reference, model::Weights& policy, double alpha);

// True when the step that has just made `global_step` steps in all syncs the reference.
inline bool syncs_reference(bool sync_ref_model, int64_t global_step, int64_t sync_steps) {
  return sync_ref_model && global_step % sync_steps == 0;
}

}  // namespace aha::rl
