// `soft_overlong`: DAPO's soft overlong punishment (Yu et al. 2025, eq. 13), as TRL's
// get_soft_overlong_punishment(max_completion_len, soft_punish_cache): 0 up to
// max_completion_len - soft_punish_cache tokens, then falling linearly to -1 at
// max_completion_len, and -1 beyond it. Lengths are completion tokens, EOS included.
#include <cmath>

#include "aha/base/error.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/options.hpp"

namespace aha::rl {
namespace {

class SoftOverlongReward : public RewardFunction {
 public:
  SoftOverlongReward(double max_len, double cache) : max_len_(max_len), cache_(cache) {}

  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    std::vector<double> scores;
    scores.reserve(inputs.size());
    for (const RewardInput& input : inputs) {
      if (input.completion_tokens < 0)
        fail("reward soft_overlong: the completion's token count is unknown (give \"completion_ids\")");
      const auto length = static_cast<double>(input.completion_tokens);
      if (length <= max_len_ - cache_) scores.push_back(0.0);
      else if (length <= max_len_) scores.push_back((max_len_ - cache_ - length) / cache_);
      else scores.push_back(-1.0);
    }
    return scores;
  }

 private:
  double max_len_, cache_;
  std::string name_ = "soft_overlong";
};

// A whole-number option that must be given.
double required_count(const nlohmann::json& options, const std::string& key, double low, double high) {
  if (!options.is_object() || !options.contains(key)) fail("reward soft_overlong: option \"{}\" is required", key);
  const double x = number_option(options, "soft_overlong", key, 0, low, high);
  if (x != std::floor(x)) fail("reward soft_overlong: option \"{}\" is {}, expected a whole number", key, x);
  return x;
}

}  // namespace

std::unique_ptr<RewardFunction> make_soft_overlong_reward(const nlohmann::json& options) {
  check_option_keys(options, "soft_overlong", {"max_completion_len", "soft_punish_cache"});
  const double max_len = required_count(options, "max_completion_len", 1, 1e9);
  const double cache = required_count(options, "soft_punish_cache", 0, max_len);
  return std::make_unique<SoftOverlongReward>(max_len, cache);
}

}  // namespace aha::rl
