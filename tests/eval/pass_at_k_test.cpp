// pass@k and maj@k against hand-computed values of 1 - C(n-c,k)/C(n,k) and of majority votes, and
// the vote keys the rewards give maj@k.
#include "aha/eval/pass_at_k.hpp"

#include <gtest/gtest.h>

#include "aha/rl/reward.hpp"

namespace aha::eval {
namespace {

TEST(PassAtK, matches_the_binomial_formula_on_hand_computed_cases) {
  EXPECT_DOUBLE_EQ(pass_at_k(2, 1, 1), 0.5);                    // 1 - 1/2
  EXPECT_DOUBLE_EQ(pass_at_k(4, 1, 2), 0.5);                    // 1 - C(3,2)/C(4,2) = 1 - 3/6
  EXPECT_NEAR(pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-15);  // C(7,5)=21, C(10,5)=252
  EXPECT_NEAR(pass_at_k(8, 2, 3), 1.0 - 20.0 / 56.0, 1e-15);    // C(6,3)=20, C(8,3)=56
  // C(197,100)/C(200,100) = (100·99·98)/(200·199·198): binomials this large overflow doubles'
  // exact range, the product form does not.
  EXPECT_NEAR(pass_at_k(200, 3, 100), 1.0 - (100.0 * 99 * 98) / (200.0 * 199 * 198), 1e-14);
}

TEST(PassAtK, is_zero_without_passes_and_one_when_every_k_subset_passes) {
  EXPECT_EQ(pass_at_k(16, 0, 1), 0.0);
  EXPECT_EQ(pass_at_k(16, 0, 16), 0.0);
  EXPECT_EQ(pass_at_k(16, 16, 1), 1.0);
  EXPECT_EQ(pass_at_k(8, 2, 7), 1.0);  // 6 failures cannot fill 7 draws
}

TEST(PassAtK, pass_at_1_is_the_fraction_of_passing_samples) {
  for (int c = 0; c <= 7; ++c) EXPECT_NEAR(pass_at_k(7, c, 1), c / 7.0, 1e-15);
}

TEST(MajorityVote, takes_the_most_frequent_answer_and_breaks_ties_by_first_seen) {
  // "4" twice (passing), "5" once: the vote is 4, which passed.
  EXPECT_TRUE(majority_passes({"5", "4", "4"}, {false, true, true}, 3));
  // Among the first two, "5" and "4" tie: "5" was seen first and failed.
  EXPECT_FALSE(majority_passes({"5", "4", "4"}, {false, true, true}, 2));
  EXPECT_TRUE(majority_passes({"7", "7", "1", "1", "1"}, {true, true, false, false, false}, 4));
  EXPECT_FALSE(majority_passes({"7", "7", "1", "1", "1"}, {true, true, false, false, false}, 5));
}

TEST(MajorityVote, rewards_without_an_answer_reading_vote_on_the_answer_tag_else_the_last_number) {
  const auto format = rl::make_reward("format");
  EXPECT_EQ(format->vote_key("<think>2+2 is 4</think> <answer> 4 </answer>"), "4");
  EXPECT_EQ(format->vote_key("<answer>1</answer> then <answer>2</answer>"), "2");
  EXPECT_EQ(format->vote_key("<answer> 7 and more"), "7 and more");
  EXPECT_EQ(format->vote_key("so 12 - 20 = -8."), "-8");
  EXPECT_EQ(format->vote_key("pi is 3.14"), "3.14");
  EXPECT_EQ(format->vote_key("  no digits here "), "no digits here");
  // Raw text: the same number written two ways is two answers.
  EXPECT_NE(format->vote_key("<answer>5</answer>"), format->vote_key("<answer>5.0</answer>"));
}

// The vote keys and pass flags `reward` gives `completions` (reference 5), and their maj@k.
bool majority_of(rl::RewardFunction& reward, const std::vector<std::string>& completions) {
  std::vector<rl::RewardInput> inputs;
  std::vector<std::string> keys;
  for (const std::string& c : completions) {
    inputs.push_back({"", c, 5});
    keys.push_back(reward.vote_key(c));
  }
  std::vector<bool> passed;
  for (double r : reward.score(inputs)) passed.push_back(r == 1.0);
  return majority_passes(keys, passed, static_cast<int64_t>(completions.size()));
}

std::string r1(const std::string& answer) { return "<think>adding</think> <answer>" + answer + "</answer>"; }

TEST(MajorityVote, accuracy_votes_on_the_value_it_scores) {
  const auto strict = rl::make_reward("accuracy"), lenient = rl::make_reward("accuracy_lenient");
  for (const char* five : {"5", "5.0", "$5", " \\boxed{5} ", "10/2", "$5$"})
    EXPECT_EQ(strict->vote_key(r1(five)), "5") << five;
  EXPECT_EQ(strict->vote_key(r1("-6/8")), "-3/4");
  EXPECT_EQ(strict->vote_key(r1("50 \\%")), "50%");
  EXPECT_EQ(strict->vote_key(r1("Paris ")), "paris");  // not one value: its text
  EXPECT_EQ(strict->vote_key(r1("x = 5")), "x = 5");
  EXPECT_EQ(strict->vote_key("<answer>5</answer>"), "");  // no </think>: no answer
  EXPECT_EQ(strict->vote_key(r1(" ")), "");
  EXPECT_EQ(lenient->vote_key("so x = 5.0"), "5");
  EXPECT_EQ(lenient->vote_key("<answer>Paris.</answer>"), "paris");
  EXPECT_EQ(lenient->vote_key("<answer>No  idea</answer>"), "no idea");
  EXPECT_EQ(lenient->vote_key("no idea"), "");
  EXPECT_EQ(lenient->vote_key(""), "");

  // "4" twice against 5 written three ways: the values elect 5; raw text would elect "4".
  const std::vector<std::string> split = {r1("4"), r1("4"), r1("5"), r1("5.0"), r1("$5")};
  EXPECT_TRUE(majority_of(*strict, split));
  EXPECT_TRUE(majority_of(*lenient, split));
  std::vector<std::string> raw;
  for (const std::string& c : split) raw.push_back(rl::make_reward("format")->vote_key(c));
  EXPECT_FALSE(majority_passes(raw, {false, false, true, true, true}, 5));
  // Completions without a valid answer vote together as "no answer" (""), and that majority fails;
  // leniently all five state 5.
  const std::vector<std::string> unsure = {"5", "<answer>5</answer>", "<think>5", r1("5"), r1("5.0")};
  EXPECT_FALSE(majority_of(*strict, unsure));
  EXPECT_TRUE(majority_of(*lenient, unsure));
}

}  // namespace
}  // namespace aha::eval
