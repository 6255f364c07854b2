// One AdamW update of one tensor, as torch.optim.AdamW (single-tensor, no amsgrad) computes it.
#pragma once

#include <cstdint>

#include "aha/backend/adamw_step.hpp"
#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// In place over w, m, v (n), from g (n): w *= decay; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
// w −= step_size · m / (sqrt(v) / bias2_sqrt + eps). Vector lanes and the scalar tail compute the
// same operations in the same order, so results depend neither on n's alignment nor on the
// thread count.
void adamw_update(float* w, float* m, float* v, const float* g, int64_t n, const AdamWStep& s);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
