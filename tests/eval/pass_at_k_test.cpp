// pass@k and maj@k against hand-computed values of 1 - C(n-c,k)/C(n,k) and of majority votes.
#include "aha/eval/pass_at_k.hpp"

#include <gtest/gtest.h>

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

TEST(MajorityVote, extracts_the_answer_tag_else_the_last_number) {
  EXPECT_EQ(extract_answer("<think>2+2 is 4</think> <answer> 4 </answer>"), "4");
  EXPECT_EQ(extract_answer("<answer>1</answer> then <answer>2</answer>"), "2");
  EXPECT_EQ(extract_answer("so 12 - 20 = -8."), "-8");
  EXPECT_EQ(extract_answer("pi is 3.14"), "3.14");
  EXPECT_EQ(extract_answer("  no digits here "), "no digits here");
}

}  // namespace
}  // namespace aha::eval
