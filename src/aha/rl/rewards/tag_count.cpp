// `tag_count`: a shaping reward for learning R1's format from scratch, as open-r1's
// tag_count_reward: 0.25 for each of <think>, </think>, <answer>, </answer> that the completion
// holds exactly once. It says nothing of order or content; `format` and `accuracy` do.
#include <string_view>

#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/options.hpp"
#include "aha/rl/rewards/r1_structure.hpp"

namespace aha::rl {
namespace {

size_t occurrences(std::string_view text, std::string_view tag) {
  size_t n = 0;
  for (size_t at = text.find(tag); at != std::string_view::npos; at = text.find(tag, at + tag.size())) ++n;
  return n;
}

class TagCountReward : public RewardFunction {
 public:
  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    std::vector<double> scores;
    scores.reserve(inputs.size());
    for (const RewardInput& input : inputs) {
      double s = 0;
      for (std::string_view tag : kR1Tags)
        if (occurrences(input.completion, tag) == 1) s += 0.25;
      scores.push_back(s);
    }
    return scores;
  }

 private:
  std::string name_ = "tag_count";
};

}  // namespace

std::unique_ptr<RewardFunction> make_tag_count_reward(const nlohmann::json& options) {
  check_option_keys(options, "tag_count", {});
  return std::make_unique<TagCountReward>();
}

}  // namespace aha::rl
