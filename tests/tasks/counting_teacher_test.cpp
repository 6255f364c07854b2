// The demo's warm-up teacher: its one mistake (the first "-" step read as "+") at the asked rate
// on problems that have a "-" step, never on problems that only add; the wrong counts written out
// here by hand.
#include "aha/tasks/counting_teacher.hpp"

#include <gtest/gtest.h>

#include <map>

#include "aha/base/error.hpp"

namespace aha::tasks {
namespace {

const std::string kSteps = "7 + 3 = 10\n10 - 4 = 6\n6 - 2 = 4";

TEST(CountingTeacher, misreads_only_the_first_take_away_step_at_the_asked_rate) {
  const std::map<std::string, std::string> allowed = {
      {kSteps, "4"}, {"7 + 3 = 10\n10 + 4 = 14\n14 - 2 = 12", "12"}};  // step 2 added, step 3 as given
  RandomStream rng(5, "test");
  std::map<std::string, int> seen;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const TeacherSolution s = teacher_solution(kSteps, 0.6, rng);
    ASSERT_EQ(allowed.count(s.reasoning), 1u) << s.reasoning;
    EXPECT_EQ(s.answer, allowed.at(s.reasoning));
    EXPECT_EQ(s.correct, s.answer == "4");
    EXPECT_EQ(s.misread, !s.correct);
    ++seen[s.reasoning];
  }
  EXPECT_NEAR(seen[kSteps] / double(n), 0.4, 0.03);
}

TEST(CountingTeacher, is_right_on_problems_that_only_add_and_at_rate_zero_and_rejects_other_text) {
  RandomStream rng(1, "test");
  const std::string adds = "1 + 3 = 4\n4 + 4 = 8\n8 + 2 = 10";
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(teacher_solution(adds, 1.0, rng).reasoning, adds);
    const TeacherSolution s = teacher_solution(kSteps, 0.0, rng);
    EXPECT_EQ(s.reasoning, kSteps);
    EXPECT_TRUE(s.correct);
  }
  EXPECT_THROW(teacher_solution("7 * 3 = 21\n21 + 1 = 22", 0.5, rng), Error);
  EXPECT_THROW(teacher_solution("seven plus three", 0.5, rng), Error);
}

}  // namespace
}  // namespace aha::tasks
