#include "aha/rl/reward.hpp"

#include "aha/base/error.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/train/config_reader.hpp"

namespace aha::rl {

std::unique_ptr<RewardFunction> make_reward(const std::string& name, const nlohmann::json& options) {
  if (name == "accuracy") return make_accuracy_reward(options);
  if (name == "format") return make_format_reward(options, false);
  if (name == "format_think_open") return make_format_reward(options, true);
  if (name == "countdown") return make_countdown_reward(options);
  if (name == "external") return make_external_reward(options);
  const std::string nearest = train::nearest_key(name, reward_names());
  if (nearest.empty())
    fail("unknown reward \"{}\" (rewards: accuracy, format, format_think_open, countdown, external)", name);
  fail("unknown reward \"{}\" (did you mean \"{}\"? rewards: accuracy, format, format_think_open, countdown, external)",
       name, nearest);
}

std::vector<std::string> reward_names() { return {"accuracy", "format", "format_think_open", "countdown", "external"}; }

}  // namespace aha::rl
