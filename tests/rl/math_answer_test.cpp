// Final-answer extraction and math comparison of the lenient reading (`accuracy_lenient`), against
// hand-worked cases and every GSM8K test solution (data/gsm8k/test.jsonl); accuracy_strict_test.cpp
// has the strict one.
#include "aha/rl/rewards/math_answer.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/reward.hpp"

namespace aha::rl {
namespace {

std::string extracted(std::string_view completion) { return extract_final_answer(completion).value_or("<none>"); }

TEST(MathAnswer, extraction_prefers_answer_tags_then_boxed_then_hashes_then_last_number) {
  EXPECT_EQ(extracted("<answer>1</answer> \\boxed{2}\n#### 3\n4"), "1");
  EXPECT_EQ(extracted("<answer>1</answer> then <answer> 5 </answer> 4"), "5");
  EXPECT_EQ(extracted("\\boxed{2} \\boxed{\\frac{1}{2}}\n#### 3\n4"), "\\frac{1}{2}");
  EXPECT_EQ(extracted("so #### 9 is not a line start\n#### 3\n4"), "3");
  EXPECT_EQ(extracted("12 apples and 7 pears, 19 fruit."), "19");
  EXPECT_EQ(extracted("no number here"), "<none>");
  // An unclosed tag or unbalanced box is not an answer; the next rule applies.
  EXPECT_EQ(extracted("<answer>8 and 9"), "9");
  EXPECT_EQ(extracted("\\boxed{3 and 4 #### 5"), "5");
}

// The lenient reading drops final periods from a text answer ("Yes." votes with "yes"), but an
// answer of periods alone stays an answer, as the strict reading has it (found by the math_answer
// fuzz target: "<answer>.</answer>" had a strict answer and no lenient one).
TEST(MathAnswer, the_lenient_key_drops_final_periods_unless_nothing_else_is_left) {
  const std::string_view dot = "<think>a</think> <answer>.</answer>";
  ASSERT_TRUE(strict_final_answer(dot));
  EXPECT_EQ(strict_final_answer(dot)->key, ".");
  ASSERT_TRUE(lenient_final_answer(dot));
  EXPECT_EQ(lenient_final_answer(dot)->key, ".");
  EXPECT_EQ(lenient_final_answer("<answer> Yes. </answer>")->key, "yes");
  EXPECT_EQ(lenient_final_answer("<answer>..</answer>")->key, "..");
  EXPECT_FALSE(lenient_final_answer("<answer>  </answer>"));
}

TEST(MathAnswer, numbers_parse_exactly) {
  auto value = [](std::string_view text) {
    auto v = parse_math_answer(text);
    return v ? to_string(v->value) + (v->percent ? "%" : "") : std::string("<none>");
  };
  EXPECT_EQ(value("42"), "42");
  EXPECT_EQ(value("-42"), "-42");
  EXPECT_EQ(value("+7"), "7");
  EXPECT_EQ(value("1,234,567"), "1234567");
  EXPECT_EQ(value("1{,}000"), "1000");
  EXPECT_EQ(value("$1,234.50"), "2469/2");
  EXPECT_EQ(value("0.125"), "1/8");
  EXPECT_EQ(value(".5"), "1/2");
  EXPECT_EQ(value("3/4"), "3/4");
  EXPECT_EQ(value("-6/8"), "-3/4");
  EXPECT_EQ(value("\\frac{3}{4}"), "3/4");
  EXPECT_EQ(value("\\dfrac{10}{4}"), "5/2");
  EXPECT_EQ(value("-\\tfrac{1}{3}"), "-1/3");
  EXPECT_EQ(value("\\frac34"), "3/4");
  EXPECT_EQ(value("50\\%"), "50%");
  EXPECT_EQ(value("12.5 %"), "25/2%");
  EXPECT_EQ(value("18 dollars"), "18");
  EXPECT_EQ(value("\\$18.00"), "18");
  EXPECT_EQ(value("5\\,\\text{cm}"), "5");
  EXPECT_EQ(value("\xe2\x88\x92"
                  "3"),
            "-3");
  EXPECT_EQ(value("x = -5"), "-5");
  EXPECT_EQ(value("the answer is -5"), "-5");
  EXPECT_EQ(value("10 - 3"), "3");  // a minus between numbers is an operator, not a sign
  EXPECT_EQ(value("3/0"), "0");     // no such fraction: the last number left is its 0
  EXPECT_EQ(value("1,23"), "23");   // not a thousands group
  EXPECT_EQ(value("no digits"), "<none>");
  EXPECT_EQ(value(std::string(40, '9')), "<none>");  // too long to be exact
}

TEST(MathAnswer, equality_is_numeric) {
  EXPECT_TRUE(math_answers_equal("18.0", "18"));
  EXPECT_TRUE(math_answers_equal("\\frac{1}{2}", "0.5"));
  EXPECT_TRUE(math_answers_equal("2,125", "2125"));
  EXPECT_TRUE(math_answers_equal("$70,000", "70000"));
  EXPECT_TRUE(math_answers_equal("50%", "50"));
  EXPECT_TRUE(math_answers_equal("50%", "0.5"));
  EXPECT_TRUE(math_answers_equal("0.5", "50%"));
  EXPECT_TRUE(math_answers_equal("Paris", " paris. "));
  EXPECT_FALSE(math_answers_equal("18", "-18"));
  EXPECT_FALSE(math_answers_equal("0.333", "1/3"));
  EXPECT_FALSE(math_answers_equal("50%", "5"));
  EXPECT_FALSE(math_answers_equal("eighteen", "18"));
  EXPECT_FALSE(math_answers_equal("", ""));
}

TEST(AccuracyReward, lenient_scores_completions_against_string_and_number_answers) {
  auto reward = make_reward("accuracy_lenient");
  EXPECT_EQ(reward->name(), "accuracy_lenient");
  const std::vector<RewardInput> inputs = {
      {"", "<think>6*3=18</think> <answer>18</answer>", "18"},
      {"", "<think>6*3=18</think> <answer>17</answer>", "18"},
      {"", "The result is \\boxed{0.75}.", 0.75},
      {"", "It is 3/4 of the cake, so 12", 12},
      {"", "nothing", 12},
      {"", "<answer>1e3</answer>", 1000},  // no exponent notation: the last number is 3
      {"", "<answer>0.0000001</answer>", 1e-7},
      {"", "<answer>-250,000,000,000,000,000,000</answer>", -2.5e20},
      {"", "<answer>0.0000002</answer>", 1e-7},
  };
  EXPECT_EQ(reward->score(inputs), (std::vector<double>{1, 0, 1, 1, 0, 0, 1, 1, 0}));
  EXPECT_THROW(reward->score({{"", "1", nullptr}}), Error);
  EXPECT_THROW(reward->check_answer(Json::array()), Error);
  EXPECT_THROW(reward->check_answer(" "), Error);
  EXPECT_NO_THROW(reward->check_answer(3));
}

// Every GSM8K test solution, given as the completion, scores 1 leniently against its own "#### N";
// with the final number changed it scores 0.
TEST(AccuracyReward, every_gsm8k_test_solution_scores_one_leniently_and_a_corrupted_one_zero) {
  std::ifstream file(AHA_SOURCE_DIR "/data/gsm8k/test.jsonl");
  ASSERT_TRUE(file) << "missing data/gsm8k/test.jsonl";
  auto reward = make_reward("accuracy_lenient");
  std::vector<RewardInput> right, wrong;
  std::string line;
  while (std::getline(file, line)) {
    const Json row = Json::parse(line);
    const std::string solution = row.at("answer");
    const size_t hashes = solution.rfind("#### ");
    ASSERT_NE(hashes, std::string::npos) << line;
    std::string number = solution.substr(hashes + 5);
    right.push_back({row.at("question"), solution, number});
    // Corrupt the final number: its last digit moves by one.
    std::string corrupted = solution;
    char& digit = corrupted[corrupted.find_last_of("0123456789")];
    digit = digit == '9' ? '8' : static_cast<char>(digit + 1);
    wrong.push_back({row.at("question"), corrupted, number});
  }
  ASSERT_EQ(right.size(), 1319u);
  const std::vector<double> ones = reward->score(right), zeros = reward->score(wrong);
  for (size_t i = 0; i < right.size(); ++i) {
    EXPECT_EQ(ones[i], 1.0) << "row " << i + 1 << ": " << right[i].completion;
    EXPECT_EQ(zeros[i], 0.0) << "row " << i + 1 << ": " << wrong[i].completion;
  }
}

}  // namespace
}  // namespace aha::rl
