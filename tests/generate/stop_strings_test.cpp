#include "aha/generate/stop_strings.hpp"

#include <gtest/gtest.h>

namespace aha::generate {
namespace {

TEST(StopStrings, holds_back_a_possible_start_and_cuts_at_the_stop) {
  StopMatcher m({"</answer>", "\n\n"});
  EXPECT_EQ(m.feed("The answer is 4"), "The answer is 4");
  EXPECT_EQ(m.feed("2</ans"), "2");
  EXPECT_EQ(m.feed("wer> trailing"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.feed("more"), "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopStrings, releases_held_text_that_turned_out_harmless) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.feed("ab ST"), "ab ");
  EXPECT_EQ(m.feed("OOD"), "STOOD");
  EXPECT_EQ(m.feed("S"), "");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.flush(), "S");
}

TEST(StopStrings, earliest_stop_wins_and_empty_stops_are_ignored) {
  StopMatcher m({"b", "", "a"});
  EXPECT_EQ(m.feed("xxab"), "xx");
  EXPECT_TRUE(m.stopped());
}

}  // namespace
}  // namespace aha::generate
