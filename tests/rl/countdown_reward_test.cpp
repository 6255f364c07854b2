// The countdown expression parser and reward: exact arithmetic, each number once, and rejection
// of everything that is not such an expression.
#include "aha/tasks/countdown_expression.hpp"

#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/reward.hpp"

namespace aha::rl {
using tasks::CountdownExpression;
using tasks::parse_countdown_expression;
namespace {

TEST(CountdownExpression, evaluates_with_precedence_and_exact_fractions) {
  auto value = [](std::string_view text) {
    const CountdownExpression e = parse_countdown_expression(text);
    return e.value ? to_string(*e.value) : "error: " + e.error;
  };
  EXPECT_EQ(value("1 + 2 * 3"), "7");
  EXPECT_EQ(value("(1 + 2) * 3"), "9");
  EXPECT_EQ(value("10 - 4 - 3"), "3");  // left-associative
  EXPECT_EQ(value("48 / 4 / 2"), "6");  // left-associative
  EXPECT_EQ(value("7 / 2"), "7/2");     // no integer truncation
  EXPECT_EQ(value("8 / (3 - 8 / 3)"), "24");
  EXPECT_EQ(value(" ( ( 5 ) )\n"), "5");
  EXPECT_EQ(value("2 / (3 - 3)"), "error: division by zero at offset 11");
  EXPECT_EQ(parse_countdown_expression("12 + 3 * 4").literals, (std::vector<int64_t>{12, 3, 4}));
}

TEST(CountdownExpression, rejects_what_is_not_an_arithmetic_expression) {
  for (std::string_view bad :
       {"",
        " ",
        "1 +",
        "+ 1",
        "-1 + 2",
        "(1 + 2",
        "1 + 2)",
        "2 ** 3",
        "2 ^ 3",
        "2 % 3",
        "2 x 3",
        "2 \xc3\x97 3",
        "2.5 * 2",
        "1e3",
        "05 + 1",
        "1 2",
        "()",
        "abs(3)",
        "__import__('os')",
        "3 = 3",
        "1234567890 + 1",
        "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))"
        "))))))))))))))))))))))))"}) {
    const CountdownExpression e = parse_countdown_expression(bad);
    EXPECT_FALSE(e.value.has_value()) << bad;
    EXPECT_FALSE(e.error.empty()) << bad;
  }
}

std::vector<double> score(const std::vector<std::string>& completions, const Json& options = Json::object()) {
  auto reward = make_reward("countdown", options);
  const Json answer = {{"target", 24}, {"numbers", {2, 5, 3, 4}}};
  std::vector<RewardInput> inputs;
  for (const std::string& c : completions) inputs.push_back({"", c, answer});
  return reward->score(inputs);
}

TEST(CountdownReward, scores_one_only_for_each_number_once_reaching_the_target) {
  EXPECT_EQ(score({"<think>4*3=12, 12*2=24, 5?</think> <answer>(5 - 3) * 4 * 3</answer>",  // 3 twice, 2 missing
                   "<answer>(5 - 2 + 3) * 4</answer>",                                     // right
                   "<answer>4 * (5 + 3 - 2)</answer>",                                     // right, other order
                   "<answer>2 * 5 + 3 * 4</answer>",                                       // 22, wrong value
                   "<answer>(5 - 2 + 3) * 4 * 1</answer>",                                 // extra number
                   "<answer>(5 - 2) * 4 * 3 - 12</answer>",                                // 12 is not given
                   "<answer>(5 - 2) * 8</answer>",                                         // missing numbers
                   "<answer>24</answer>",                                                  // merged: 2 and 4
                   "<answer>(25 - 3) + 4 - 2</answer>",                                    // merged: 2 and 5
                   "<answer>(5 - 2 + 3) * 4 = 24</answer>",                                // not only an expression
                   "<answer>(5 - 2 + 3) x 4</answer>",                                     // other operator
                   "(5 - 2 + 3) * 4",                                                      // no answer block
                   "<answer>(5 - 2 + 3) * 4</answer> <answer>5 * 4</answer>",              // the last block counts
                   "<answer>(5 - 2 + 3) * 4 / (3 - 3)</answer>"}),                         // division by zero
            (std::vector<double>{0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(CountdownReward, format_score_rewards_a_failing_answer_block_but_not_its_absence) {
  EXPECT_EQ(score({"<answer>2 * 5 + 3 * 4</answer>", "no block", "<answer>4 * (5 + 3 - 2)</answer>"},
                  {{"format_score", 0.1}}),
            (std::vector<double>{0.1, 0, 1}));
}

TEST(CountdownReward, exact_arithmetic_accepts_fractional_intermediates) {
  auto reward = make_reward("countdown");
  const Json answer = {{"target", 24}, {"numbers", {3, 3, 8, 8}}};
  EXPECT_EQ(reward->score({{"", "<answer>8 / (3 - 8 / 3)</answer>", answer}}), std::vector<double>{1});
}

TEST(CountdownReward, malformed_reference_answers_are_bad_input) {
  auto reward = make_reward("countdown");
  for (const Json& bad : {Json(24), Json{{"target", 24}}, Json{{"target", "24"}, {"numbers", {1}}},
                          Json{{"target", 24}, {"numbers", Json::array()}}, Json{{"target", 24}, {"numbers", {1.5}}},
                          Json{{"target", 24}, {"numbers", {-1}}}}) {
    EXPECT_THROW(reward->check_answer(bad), Error) << bad.dump();
    EXPECT_THROW(reward->score({{"", "<answer>1</answer>", bad}}), Error) << bad.dump();
  }
}

}  // namespace
}  // namespace aha::rl
