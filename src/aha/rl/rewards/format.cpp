// `format` and `format_think_open`: 1 when the completion has DeepSeek-R1's structure
// "<think> reasoning </think> <answer> answer </answer>", else 0.
#include <string_view>

#include "aha/base/text.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/options.hpp"

namespace aha::rl {
namespace {

bool has_tag(std::string_view text) {
  for (std::string_view tag : {"<think>", "</think>", "<answer>", "</answer>"})
    if (text.find(tag) != std::string_view::npos) return true;
  return false;
}

// [<think>] reasoning </think> <answer> answer </answer>, with whitespace allowed around the
// blocks, no other tag inside them, an answer that is not blank and nothing after it.
bool has_r1_structure(std::string_view completion, bool think_open) {
  std::string_view s = trim(completion);
  if (!think_open) {
    if (s.substr(0, 7) != "<think>") return false;
    s.remove_prefix(7);
  }
  const size_t think_end = s.find("</think>");
  if (think_end == std::string_view::npos || has_tag(s.substr(0, think_end))) return false;
  s = trim(s.substr(think_end + 8));
  if (s.substr(0, 8) != "<answer>") return false;
  s.remove_prefix(8);
  const size_t answer_end = s.find("</answer>");
  if (answer_end == std::string_view::npos) return false;
  const std::string_view answer = s.substr(0, answer_end);
  if (has_tag(answer) || trim(answer).empty()) return false;
  return trim(s.substr(answer_end + 9)).empty();
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
