// `length`: Kimi 1.5's length reward (Kimi Team 2025, section 2.3.3), as open-r1's len_reward:
// with len the completion's length in characters (Unicode code points, as Python's len) and
// min_len, max_len the shortest and longest of its group, λ = 0.5 - (len - min_len) / (max_len -
// min_len); a correct completion scores λ, a wrong one min(0, λ), and every completion 0 when all
// have the same length. open-r1 takes min_len and max_len over all the completions of one reward
// call (a process's batch); aha over the completions of the same prompt (Kimi's group), so that a
// score does not depend on how completions are batched. Correctness is `accuracy_lenient`'s (or
// `accuracy`'s with option "correctness": "accuracy").
#include <algorithm>
#include <map>

#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/options.hpp"

namespace aha::rl {
namespace {

// Code points in UTF-8 `text`: the bytes that do not continue a sequence.
double characters(const std::string& text) {
  double n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

class LengthReward : public RewardFunction {
 public:
  explicit LengthReward(std::unique_ptr<RewardFunction> correctness) : correctness_(std::move(correctness)) {}

  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    const std::vector<double> correct = correctness_->score(inputs);
    std::map<std::string, std::pair<double, double>> range;  // prompt -> (min_len, max_len)
    for (const RewardInput& input : inputs) {
      const double len = characters(input.completion);
      auto [at, fresh] = range.try_emplace(input.prompt, len, len);
      if (!fresh) at->second = {std::min(at->second.first, len), std::max(at->second.second, len)};
    }
    std::vector<double> scores;
    scores.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const auto [min_len, max_len] = range.at(inputs[i].prompt);
      if (max_len == min_len) {
        scores.push_back(0.0);
        continue;
      }
      const double lambda = 0.5 - (characters(inputs[i].completion) - min_len) / (max_len - min_len);
      scores.push_back(correct[i] >= 1.0 ? lambda : std::min(0.0, lambda));
    }
    return scores;
  }

  void check_answer(const nlohmann::json& answer) const override { correctness_->check_answer(answer); }
  std::string vote_key(const std::string& completion) const override { return correctness_->vote_key(completion); }

 private:
  std::unique_ptr<RewardFunction> correctness_;
  std::string name_ = "length";
};

}  // namespace

std::unique_ptr<RewardFunction> make_length_reward(const nlohmann::json& options) {
  check_option_keys(options, "length", {"correctness"});
  const std::string correctness =
      choice_option(options, "length", "correctness", "accuracy_lenient", {"accuracy_lenient", "accuracy"});
  return std::make_unique<LengthReward>(make_accuracy_reward({}, correctness == "accuracy"));
}

}  // namespace aha::rl
