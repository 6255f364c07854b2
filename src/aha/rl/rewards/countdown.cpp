// `countdown` (TinyZero's task): 1 when the expression in the completion's last <answer> block
// uses each given number exactly once and equals the target; `format_score` (default 0; TinyZero
// uses 0.1) when there is an answer block that fails; 0 without one.
#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/options.hpp"
#include "aha/tasks/countdown_expression.hpp"

namespace aha::rl {
namespace {

constexpr int64_t kMaxNumber = 999999999;  // the longest literal the parser reads has 9 digits

struct CountdownAnswer {
  int64_t target = 0;
  std::vector<int64_t> numbers;
};

int64_t integer_field(const nlohmann::json& value, const char* what) {
  if (!value.is_number_integer())
    fail("reward countdown: \"{}\" must hold integers, got {}", what, json_type_name(value));
  const int64_t x = value.get<int64_t>();
  if (x < 0 || x > kMaxNumber) fail("reward countdown: \"{}\" holds {}, expected 0 .. {}", what, x, kMaxNumber);
  return x;
}

CountdownAnswer parse_answer(const nlohmann::json& answer) {
  if (!answer.is_object() || !answer.contains("target") || !answer.contains("numbers"))
    fail("reward countdown: the answer must be {{\"target\": T, \"numbers\": [...]}}, got {}", json_type_name(answer));
  CountdownAnswer out;
  const nlohmann::json& target = answer.at("target");
  if (!target.is_number_integer())
    fail("reward countdown: \"target\" must be an integer, got {}", json_type_name(target));
  out.target = target.get<int64_t>();
  const nlohmann::json& numbers = answer.at("numbers");
  if (!numbers.is_array() || numbers.empty())
    fail("reward countdown: \"numbers\" must be a non-empty array, got {}", json_type_name(numbers));
  for (const nlohmann::json& n : numbers) out.numbers.push_back(integer_field(n, "numbers"));
  return out;
}

class CountdownReward : public RewardFunction {
 public:
  explicit CountdownReward(double format_score) : format_score_(format_score) {}

  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    std::vector<double> scores;
    scores.reserve(inputs.size());
    for (const RewardInput& input : inputs) scores.push_back(score_one(input));
    return scores;
  }

  void check_answer(const nlohmann::json& answer) const override { parse_answer(answer); }

 private:
  double score_one(const RewardInput& input) const {
    const CountdownAnswer answer = parse_answer(input.answer);
    const std::string& text = input.completion;
    const size_t close = text.rfind("</answer>");
    const size_t open = close == std::string::npos ? std::string::npos : text.rfind("<answer>", close);
    if (open == std::string::npos) return 0.0;
    const tasks::CountdownExpression expression =
        tasks::parse_countdown_expression(std::string_view(text).substr(open + 8, close - open - 8));
    return tasks::countdown_solves(expression, answer.numbers, answer.target) ? 1.0 : format_score_;
  }

  double format_score_;
  std::string name_ = "countdown";
};

}  // namespace

std::unique_ptr<RewardFunction> make_countdown_reward(const nlohmann::json& options) {
  check_option_keys(options, "countdown", {"format_score"});
  return std::make_unique<CountdownReward>(number_option(options, "countdown", "format_score", 0.0, 0.0, 1.0));
}

}  // namespace aha::rl
