// `accuracy` and `accuracy_lenient`: 1 when the completion's final answer states the reference,
// else 0; math_answer.hpp has the strict and the lenient reading.
#include <fmt/format.h>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/math_answer.hpp"
#include "aha/rl/rewards/options.hpp"

namespace aha::rl {
namespace {

// `x` in plain decimal notation from its shortest round-trip form: 1e-07 becomes "0.0000001",
// 2.5e+20 "250000000000000000000" (math_answer reads no exponents).
std::string plain_decimal(double x) {
  const std::string s = fmt::format("{}", x);
  const size_t e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e);
  const bool negative = !mantissa.empty() && mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  int exponent = std::stoi(s.substr(e + 1));
  if (const size_t point = mantissa.find('.'); point != std::string::npos) {
    exponent -= static_cast<int>(mantissa.size() - point - 1);
    mantissa.erase(point, 1);
  }
  std::string digits = mantissa;
  if (exponent >= 0) {
    digits.append(static_cast<size_t>(exponent), '0');
  } else {
    const size_t shift = static_cast<size_t>(-exponent);
    if (digits.size() <= shift) digits.insert(0, shift - digits.size() + 1, '0');
    digits.insert(digits.size() - shift, 1, '.');
  }
  if (negative) digits.insert(0, 1, '-');
  return digits;
}

// The reference as text: a string as it is, a number written exactly (integers in full, other
// doubles in their shortest round-trip form, without exponent).
std::string reference_text(const nlohmann::json& answer, const std::string& reward) {
  if (answer.is_string()) return answer.get<std::string>();
  if (answer.is_number_integer()) return answer.dump();
  if (answer.is_number_float()) return plain_decimal(answer.get<double>());
  fail("reward {}: the answer must be a number or a string, got {}", reward, json_type_name(answer));
}

class AccuracyReward : public RewardFunction {
 public:
  explicit AccuracyReward(bool strict) : strict_(strict), name_(strict ? "accuracy" : "accuracy_lenient") {}

  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    std::vector<double> scores;
    scores.reserve(inputs.size());
    for (const RewardInput& input : inputs) {
      const std::string reference = reference_text(input.answer, name_);
      bool right = false;
      if (strict_) {
        const auto given = strict_final_answer(input.completion);
        right = given && strict_answer_matches(*given, reference);
      } else {
        const auto given = extract_final_answer(input.completion);
        right = given && math_answers_equal(*given, reference);
      }
      scores.push_back(right ? 1.0 : 0.0);
    }
    return scores;
  }

  void check_answer(const nlohmann::json& answer) const override {
    if (reference_text(answer, name_).find_first_not_of(" \t\r\n") == std::string::npos)
      fail("reward {}: the answer is empty", name_);
  }

  // The value this reward reads, so that maj@k votes on what is scored; "" when there is none.
  std::string vote_key(const std::string& completion) const override {
    const auto given = strict_ ? strict_final_answer(completion) : lenient_final_answer(completion);
    return given ? given->key : "";
  }

 private:
  bool strict_;
  std::string name_;
};

}  // namespace

std::unique_ptr<RewardFunction> make_accuracy_reward(const nlohmann::json& options, bool strict) {
  check_option_keys(options, strict ? "accuracy" : "accuracy_lenient", {});
  return std::make_unique<AccuracyReward>(strict);
}

}  // namespace aha::rl
