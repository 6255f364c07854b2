#include "aha/rl/reward.hpp"

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/rl/rewards/builtin.hpp"

namespace aha::rl {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::unique_ptr<RewardFunction> make_reward(const std::string& name, const nlohmann::json& options) {
  if (name == "accuracy") return make_accuracy_reward(options);
  if (name == "format") return make_format_reward(options, false);
  if (name == "format_think_open") return make_format_reward(options, true);
  if (name == "countdown") return make_countdown_reward(options);
  if (name == "external") return make_external_reward(options);
  std::string nearest;
  size_t best = SIZE_MAX;
  for (const std::string& candidate : reward_names()) {
    const size_t d = edit_distance(name, candidate);
    if (d < best) {
      best = d;
      nearest = candidate;
    }
  }
  fail("unknown reward \"{}\" (did you mean \"{}\"? rewards: accuracy, format, format_think_open, countdown, external)",
       name, nearest);
}

std::vector<std::string> reward_names() { return {"accuracy", "format", "format_think_open", "countdown", "external"}; }

}  // namespace aha::rl
