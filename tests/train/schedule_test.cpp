// Learning-rate schedules against transformers' get_scheduler formulas.
#include "aha/train/schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace aha::train {
namespace {

TEST(Schedule, warmup_then_linear_decay_to_zero) {
  EXPECT_EQ(warmup_steps_for(0, 0.1, 100), 10);
  EXPECT_EQ(warmup_steps_for(3, 0.1, 100), 3);  // warmup_steps wins
  EXPECT_DOUBLE_EQ(lr_multiplier("linear", 0, 10, 100), 0.0);
  EXPECT_DOUBLE_EQ(lr_multiplier("linear", 5, 10, 100), 0.5);
  EXPECT_DOUBLE_EQ(lr_multiplier("linear", 10, 10, 100), 1.0);
  EXPECT_DOUBLE_EQ(lr_multiplier("linear", 55, 10, 100), 0.5);
  EXPECT_DOUBLE_EQ(lr_multiplier("linear", 100, 10, 100), 0.0);
}

TEST(Schedule, cosine_and_constants) {
  EXPECT_DOUBLE_EQ(lr_multiplier("cosine", 10, 10, 110), 1.0);
  EXPECT_NEAR(lr_multiplier("cosine", 60, 10, 110), 0.5, 1e-12);
  EXPECT_NEAR(lr_multiplier("cosine", 35, 10, 110), 0.5 * (1 + std::cos(std::numbers::pi / 4)), 1e-12);
  EXPECT_DOUBLE_EQ(lr_multiplier("constant", 0, 10, 100), 1.0);
  EXPECT_DOUBLE_EQ(lr_multiplier("constant_with_warmup", 2, 10, 100), 0.2);
  EXPECT_DOUBLE_EQ(lr_multiplier("constant_with_warmup", 90, 10, 100), 1.0);
}

}  // namespace
}  // namespace aha::train
