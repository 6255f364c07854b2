#include "aha/rl/grpo_eval.hpp"

#include <fmt/format.h>

#include "aha/base/file.hpp"

namespace aha::rl {

bool greater_is_better(const GrpoConfig& c) {
  return c.greater_is_better.value_or(!c.metric_for_best_model.ends_with("loss"));
}

std::optional<int64_t> best_checkpoint_step(const GrpoConfig& c, const Json& log_history) {
  std::optional<int64_t> best_step;
  double best = 0;
  const bool greater = greater_is_better(c);
  for (const Json& line : log_history) {
    if (!line.contains(c.metric_for_best_model) || !line[c.metric_for_best_model].is_number()) continue;
    const auto step = line["step"].get<int64_t>();
    const double value = line[c.metric_for_best_model].get<double>();
    if (!is_file(fmt::format("{}/checkpoint-{}/trainer_state.json", c.output_dir, step))) continue;
    if (!best_step || (greater ? value > best : value < best)) best_step = step, best = value;
  }
  return best_step;
}

}  // namespace aha::rl
