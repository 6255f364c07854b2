// The demo's noisy teacher: right as often as asked, and its mistakes are exactly the ones it
// documents (a step early, or one step the wrong way), written out here by hand.
#include "aha/tasks/counting_teacher.hpp"

#include <gtest/gtest.h>

#include <map>

#include "aha/base/error.hpp"

namespace aha::tasks {
namespace {

const std::string kSteps = "7 + 3 = 10\n10 - 4 = 6\n6 + 2 = 8";

TEST(NoisyTeacher, makes_only_its_two_kinds_of_mistake_at_the_asked_rate) {
  const std::map<std::string, std::string> allowed = {{kSteps, "8"},
                                                      {"7 + 3 = 10\n10 - 4 = 6", "6"},           // stops a step early
                                                      {"7 - 3 = 4\n4 - 4 = 0\n0 + 2 = 2", "2"},  // step 1 the wrong way
                                                      {"7 + 3 = 10\n10 + 4 = 14\n14 + 2 = 16", "16"},  // step 2
                                                      {"7 + 3 = 10\n10 - 4 = 6\n6 - 2 = 4", "4"}};     // step 3
  RandomStream rng(5, "test");
  std::map<std::string, int> seen;
  int correct = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const TeacherSolution s = noisy_solution(kSteps, 0.5, rng);
    ASSERT_EQ(allowed.count(s.reasoning), 1u) << s.reasoning;
    EXPECT_EQ(s.answer, allowed.at(s.reasoning));
    EXPECT_EQ(s.correct, s.answer == "8");
    correct += s.correct;
    ++seen[s.reasoning];
  }
  EXPECT_NEAR(correct / double(n), 0.5, 0.03);
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_NEAR(seen["7 + 3 = 10\n10 - 4 = 6"] / double(n), 0.25, 0.03);  // half the mistakes
  EXPECT_NEAR(seen["7 + 3 = 10\n10 + 4 = 14\n14 + 2 = 16"] / double(n), 0.25 / 3, 0.02);
}

TEST(NoisyTeacher, is_always_right_at_error_rate_zero_and_rejects_other_text) {
  RandomStream rng(1, "test");
  for (int i = 0; i < 100; ++i) {
    const TeacherSolution s = noisy_solution(kSteps, 0.0, rng);
    EXPECT_EQ(s.reasoning, kSteps);
    EXPECT_TRUE(s.correct);
  }
  EXPECT_THROW(noisy_solution("7 * 3 = 21\n21 + 1 = 22", 0.5, rng), Error);
  EXPECT_THROW(noisy_solution("seven plus three", 0.5, rng), Error);
}

}  // namespace
}  // namespace aha::tasks
