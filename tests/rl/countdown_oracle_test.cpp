// `aha reward --fn countdown` against an independent verifier (tests/oracle/countdown_reference.py:
// Python's ast parser and exact fractions) on seeded random answers and their mutations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "aha/base/file.hpp"
#include "tests/support/temp_dir.hpp"

namespace aha::test {
namespace {

TEST(CountdownOracle, aha_reward_agrees_with_pythons_parser_and_fractions) {
  TempDir dir;
  const std::string cases = dir.file("cases.jsonl"), expected = dir.file("expected.txt");
  const std::string command = "/usr/bin/python3 " AHA_SOURCE_DIR
                              "/tests/oracle/countdown_reference.py --count 3000 "
                              "--seed 1 --cases " +
                              cases + " --expected " + expected;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const RunResult r = run_aha("reward --fn countdown < " + cases);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string want = read_file(expected);
  EXPECT_EQ(r.out, want);
  // The cases exercise both outcomes in quantity.
  const auto ones = std::count(want.begin(), want.end(), '1');
  EXPECT_GT(ones, 500);
  EXPECT_LT(ones, 2500);
}

}  // namespace
}  // namespace aha::test
