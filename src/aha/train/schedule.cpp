#include "aha/train/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "aha/base/error.hpp"

namespace aha::train {

int64_t warmup_steps_for(int64_t warmup_steps, double warmup_ratio, int64_t total_steps) {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(warmup_ratio * static_cast<double>(total_steps)));
}

double lr_multiplier(const std::string& kind, int64_t step, int64_t warmup, int64_t total_steps) {
  if (kind == "constant") return 1.0;
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  if (kind == "constant_with_warmup") return 1.0;
  const double progress =
      static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, total_steps - warmup));
  if (kind == "linear") return std::max(0.0, 1.0 - progress);
  if (kind == "cosine") return std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
  fail_internal("unknown lr_scheduler_type " + kind);
}

}  // namespace aha::train
