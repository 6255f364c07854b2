// `format` and `format_think_open`: 1 when the completion has DeepSeek-R1's structure
// "<think> reasoning </think> <answer> answer </answer>", else 0.
#include <string_view>

#include "aha/base/text.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/options.hpp"
#include "aha/rl/rewards/r1_structure.hpp"

namespace aha::rl {
namespace {

// R1's structure with an answer that is not blank.
bool has_r1_structure(std::string_view completion, bool think_open) {
  const auto answer = r1_answer_block(completion, think_open ? ThinkOpening::in_prompt : ThinkOpening::in_completion);
  return answer && !trim(*answer).empty();
}

class FormatReward : public RewardFunction {
 public:
  explicit FormatReward(bool think_open)
      : think_open_(think_open), name_(think_open ? "format_think_open" : "format") {}

  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    std::vector<double> scores;
    scores.reserve(inputs.size());
    for (const RewardInput& input : inputs)
      scores.push_back(has_r1_structure(input.completion, think_open_) ? 1.0 : 0.0);
    return scores;
  }

 private:
  bool think_open_;
  std::string name_;
};

}  // namespace

std::unique_ptr<RewardFunction> make_format_reward(const nlohmann::json& options, bool think_open) {
  check_option_keys(options, think_open ? "format_think_open" : "format", {});
  return std::make_unique<FormatReward>(think_open);
}

}  // namespace aha::rl
