// Learning-rate schedules as transformers' get_scheduler computes them: linear warm-up, then
// linear decay, cosine decay or a constant rate.
#pragma once

#include <cstdint>
#include <string>

namespace aha::train {

// Warm-up steps: warmup_steps when positive, else ceil(warmup_ratio · total_steps).
int64_t warmup_steps_for(int64_t warmup_steps, double warmup_ratio, int64_t total_steps);

// The multiplier of the base learning rate at 0-based `step` for `kind` ("linear", "cosine",
// "constant", "constant_with_warmup").
double lr_multiplier(const std::string& kind, int64_t step, int64_t warmup, int64_t total_steps);

}  // namespace aha::train
