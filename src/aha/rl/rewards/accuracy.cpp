// `accuracy`: 1 when the completion's final answer states the reference number, else 0.
#include <fmt/format.h>

#include <cmath>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/math_answer.hpp"
#include "aha/rl/rewards/options.hpp"

namespace aha::rl {
namespace {

// The reference as text: a string as it is, a number written exactly (integers in full, other
// doubles in their shortest round-trip form).
std::string reference_text(const nlohmann::json& answer) {
  if (answer.is_string()) return answer.get<std::string>();
  if (answer.is_number_integer()) return answer.dump();
  if (answer.is_number_float()) {
    const double x = answer.get<double>();
    if (std::isfinite(x) && std::abs(x) < 1e15 && x == std::trunc(x)) return fmt::format("{}", static_cast<int64_t>(x));
    return fmt::format("{}", x);
  }
  fail("reward accuracy: the answer must be a number or a string, got {}", json_type_name(answer));
}

class AccuracyReward : public RewardFunction {
 public:
  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    std::vector<double> scores;
    scores.reserve(inputs.size());
    for (const RewardInput& input : inputs) {
      const std::string reference = reference_text(input.answer);
      const auto given = extract_final_answer(input.completion);
      scores.push_back(given && math_answers_equal(*given, reference) ? 1.0 : 0.0);
    }
    return scores;
  }

  void check_answer(const nlohmann::json& answer) const override {
    if (reference_text(answer).find_first_not_of(" \t\r\n") == std::string::npos)
      fail("reward accuracy: the answer is empty");
  }

 private:
  std::string name_ = "accuracy";
};

}  // namespace

std::unique_ptr<RewardFunction> make_accuracy_reward(const nlohmann::json& options) {
  check_option_keys(options, "accuracy", {});
  return std::make_unique<AccuracyReward>();
}

}  // namespace aha::rl
