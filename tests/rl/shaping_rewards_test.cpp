// The shaping rewards against values worked by hand from their published formulas: DAPO's soft
// overlong punishment (TRL's get_soft_overlong_punishment), Kimi 1.5's length reward (open-r1's
// len_reward) and the n-gram repetition penalty (open-r1's get_repetition_penalty_reward).
#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/reward.hpp"

namespace aha::rl {
namespace {

RewardInput tokens(int64_t n) {
  RewardInput in;
  in.completion = "x";
  in.completion_tokens = n;
  return in;
}

std::vector<double> scores_of(const std::string& name, const Json& options, const std::vector<RewardInput>& inputs) {
  return make_reward(name, options)->score(inputs);
}

TEST(SoftOverlong, is_zero_then_linear_to_minus_one_then_minus_one) {
  // max_completion_len 10, soft_punish_cache 4: 0 up to 6 tokens, (6 - L) / 4 for 6 < L <= 10, -1 past 10.
  const std::vector<double> s = scores_of("soft_overlong", {{"max_completion_len", 10}, {"soft_punish_cache", 4}},
                                          {tokens(5), tokens(6), tokens(7), tokens(9), tokens(10), tokens(11)});
  EXPECT_EQ(s, (std::vector<double>{0.0, 0.0, -0.25, -0.75, -1.0, -1.0}));
  // A cache of 0: no slope, only the hard limit.
  EXPECT_EQ(
      scores_of("soft_overlong", {{"max_completion_len", 10}, {"soft_punish_cache", 0}}, {tokens(10), tokens(11)}),
      (std::vector<double>{0.0, -1.0}));
}

TEST(SoftOverlong, needs_its_options_and_token_counts) {
  EXPECT_THROW(make_reward("soft_overlong", {{"soft_punish_cache", 4}}), Error);
  EXPECT_THROW(make_reward("soft_overlong", {{"max_completion_len", 10}}), Error);
  EXPECT_THROW(make_reward("soft_overlong", {{"max_completion_len", 10}, {"soft_punish_cache", 11}}), Error);
  EXPECT_THROW(make_reward("soft_overlong", {{"max_completion_len", 10.5}, {"soft_punish_cache", 1}}), Error);
  RewardInput unknown;
  unknown.completion = "x";
  EXPECT_THROW(scores_of("soft_overlong", {{"max_completion_len", 10}, {"soft_punish_cache", 4}}, {unknown}), Error);
}

TEST(Repetition, penalises_the_share_of_repeated_ngrams) {
  auto text = [](const std::string& s) { return RewardInput{"p", s, 0}; };
  // Bigrams of "a b a b": (a,b) (b,a) (a,b): 2 distinct of 3, so (1 - 2/3) · -1; "A a A a" is lower-cased to
  // four "a": 1 distinct of 3; tabs and newlines separate words; fewer words than n, or none, score 0.
  const std::vector<double> s =
      scores_of("repetition", {{"ngram_size", 2}, {"max_penalty", -1}},
                {text("a b a b"), text("A a A a"), text("a\tb\na  b"), text("one"), text("")});
  ASSERT_EQ(s.size(), 5u);
  EXPECT_DOUBLE_EQ(s[0], (1.0 - 2.0 / 3.0) * -1.0);
  EXPECT_DOUBLE_EQ(s[1], (1.0 - 1.0 / 3.0) * -1.0);
  EXPECT_DOUBLE_EQ(s[2], (1.0 - 2.0 / 3.0) * -1.0);
  EXPECT_EQ(s[3], 0.0);
  EXPECT_EQ(s[4], 0.0);
  // Defaults (open-r1's): trigrams and -1. "x y z x y z": xyz yzx zxy xyz, 3 distinct of 4.
  EXPECT_DOUBLE_EQ(scores_of("repetition", {}, {text("x y z x y z")})[0], (1.0 - 3.0 / 4.0) * -1.0);
  EXPECT_DOUBLE_EQ(scores_of("repetition", {{"max_penalty", -0.5}}, {text("x y z x y z")})[0],
                   (1.0 - 3.0 / 4.0) * -0.5);
  EXPECT_THROW(make_reward("repetition", {{"max_penalty", 0.5}}), Error);
  EXPECT_THROW(make_reward("repetition", {{"ngram_size", 0}}), Error);
}

TEST(Length, rewards_short_right_answers_within_each_prompts_group) {
  auto c = [](const std::string& prompt, const std::string& completion) { return RewardInput{prompt, completion, 4}; };
  // Group P: lengths 18, 24, 18, 28 characters, so min 18, max 28, λ = 0.5 - (len - 18) / 10.
  //   right, 18: λ = 0.5;  right, 24: λ = -0.1;  wrong, 18: min(0, 0.5) = 0;  wrong, 28: min(0, -0.5) = -0.5.
  // Group Q, one completion: max == min, so 0.
  // Group U: 18, 19 ("é" is one character, two bytes) and 20 characters: λ = 0.5, 0, -0.5, all right.
  const std::vector<double> s =
      scores_of("length", {},
                {c("P", "<answer>4</answer>"), c("P", "<answer>4</answer> ok ok"), c("P", "<answer>5</answer>"),
                 c("P", "<answer>5</answer> very long"), c("Q", "<answer>4</answer>"), c("U", "<answer>4</answer>"),
                 c("U", "<answer>4</answer>\xc3\xa9"), c("U", "<answer>4</answer>ab")});
  ASSERT_EQ(s.size(), 8u);
  EXPECT_DOUBLE_EQ(s[0], 0.5);
  EXPECT_DOUBLE_EQ(s[1], 0.5 - 6.0 / 10.0);
  EXPECT_DOUBLE_EQ(s[2], 0.0);
  EXPECT_DOUBLE_EQ(s[3], -0.5);
  EXPECT_DOUBLE_EQ(s[4], 0.0);
  EXPECT_DOUBLE_EQ(s[5], 0.5);
  EXPECT_DOUBLE_EQ(s[6], 0.0);
  EXPECT_DOUBLE_EQ(s[7], -0.5);
  EXPECT_THROW(make_reward("length", {{"correctness", "countdown"}}), Error);
  EXPECT_THROW(make_reward("length")->check_answer(Json::array()), Error);
}

}  // namespace
}  // namespace aha::rl
