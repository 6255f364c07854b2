// The progress reporter on a clock the test moves: a terminal bar rewritten in place with the
// rate and time left; plain lines at their cadence (every so many units, or every so many
// seconds) and one at the end, for logs that cannot rewrite.
#include "aha/base/progress.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace aha {
namespace {

// A FILE* whose text the test reads back.
class Captured {
 public:
  Captured() : file_(open_memstream(&buffer_, &size_)) {}
  ~Captured() {
    std::fclose(file_);
    std::free(buffer_);
  }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }

 private:
  char* buffer_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

struct Fixture {
  Captured out;
  double t = 0;  // the clock, in seconds
  ProgressOptions options(bool terminal) {
    return {.label = "sft", .unit = "steps", .out = out.file(), .terminal = terminal, .now = [this] { return t; }};
  }
};

TEST(Progress, a_terminal_bar_is_rewritten_in_place_with_the_rate_and_time_left) {
  Fixture f;
  ProgressReporter p(f.options(true));
  p.update(0, 1000);
  f.t = 80;
  p.update(400, 1000, {{"loss", 1.23}});
  f.t = 200;
  p.update(1000, 1000, {{"loss", 0.5}});
  const std::string bar0 = "\rsft  [........................]  0/1000 steps";
  const std::string bar400 = "\rsft  [#########...............]  400/1000 steps  loss 1.2300  5.00 steps/s  2m00s left";
  const std::string bar1000 =
      "\rsft  [########################]  1000/1000 steps  loss 0.5000  5.00 steps/s  done in 3m20s";
  EXPECT_EQ(f.out.text(), bar0 + bar400 + bar1000 + "\n");
  p.finish();  // the update that reached the total printed the final line
  EXPECT_EQ(f.out.text(), bar0 + bar400 + bar1000 + "\n");
}

TEST(Progress, a_terminal_bar_is_redrawn_at_most_ten_times_a_second_and_blanks_a_longer_one) {
  Fixture f;
  ProgressReporter p(f.options(true));
  p.update(1, 10, {{"loss", 1.0}, {"reward", 1.0}});
  f.t = 0.05;
  p.update(2, 10);  // too soon: not drawn
  f.t = 0.15;
  p.update(3, 10);
  const std::string text = f.out.text();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\r'), 2) << text;
  const std::string second = text.substr(text.rfind('\r'));
  EXPECT_EQ(second.find("3/10 steps  20.00 steps/s  0s left"), 34u) << second;
  // Spaces cover the end of the longer first bar.
  EXPECT_EQ(second.size(), text.rfind('\r')) << text;
  EXPECT_EQ(second.back(), ' ');
}

TEST(Progress, plain_lines_come_every_n_units_and_at_the_end_without_carriage_returns) {
  Fixture f;
  ProgressOptions o = f.options(false);
  o.every_units = 2;
  ProgressReporter p(o);
  for (int64_t step = 1; step <= 5; ++step) {
    f.t = static_cast<double>(step);
    p.update(step, 5, {{"loss", 0.5}});
  }
  EXPECT_EQ(f.out.text(),
            "sft: 2/5 steps (40%)  loss 0.5000  1.00 steps/s  3s left\n"
            "sft: 4/5 steps (80%)  loss 0.5000  1.00 steps/s  1s left\n"
            "sft: 5/5 steps (100%)  loss 0.5000  1.00 steps/s  done in 5s\n");
}

TEST(Progress, plain_lines_by_time_come_every_ten_seconds_and_finish_prints_the_last) {
  Fixture f;
  ProgressOptions o = f.options(false);
  o.unit = "completions";
  o.label = "eval";
  ProgressReporter p(o);
  p.update(0, 100);
  for (int64_t done = 1; done <= 23; ++done) {
    f.t = static_cast<double>(done) * 2;  // 2 s a completion
    p.update(done, 100);
  }
  p.finish();
  p.finish();
  EXPECT_EQ(f.out.text(),
            "eval: 5/100 completions (5%)  2.0 s/completion  3m10s left\n"
            "eval: 10/100 completions (10%)  2.0 s/completion  3m00s left\n"
            "eval: 15/100 completions (15%)  2.0 s/completion  2m50s left\n"
            "eval: 20/100 completions (20%)  2.0 s/completion  2m40s left\n"
            "eval: 23/100 completions (23%)  2.0 s/completion  done in 46s\n");
}

TEST(Progress, nothing_is_printed_for_work_that_never_reported) {
  Fixture f;
  {
    ProgressReporter p(f.options(true));
    p.finish();
  }
  EXPECT_EQ(f.out.text(), "");
}

TEST(Progress, a_resumed_run_counts_its_rate_from_where_it_started) {
  Fixture f;
  ProgressOptions o = f.options(false);
  o.every_units = 10;
  ProgressReporter p(o);
  f.t = 100;  // loading the checkpoint
  p.start(50);
  f.t = 102;
  p.update(60, 100);
  EXPECT_EQ(f.out.text(), "sft: 60/100 steps (60%)  5.00 steps/s  8s left\n");
}

TEST(Progress, an_unfinished_terminal_bar_ends_its_line_when_the_reporter_goes) {
  Fixture f;
  {
    ProgressReporter p(f.options(true));
    p.update(3, 10);
  }
  EXPECT_EQ(f.out.text(), "\rsft  [#######.................]  3/10 steps\n");
}

TEST(Progress, an_unknown_total_shows_the_count_and_rate_only) {
  EXPECT_EQ(progress_line("gen", "tokens", 40, 0, {}, 20, 2, false, false), "gen: 40 tokens  20.00 tokens/s");
  EXPECT_EQ(progress_line("gen", "tokens", 40, 0, {}, 20, 2, true, true), "gen  40 tokens  20.00 tokens/s  done in 2s");
}

TEST(Progress, durations_read_as_seconds_minutes_or_hours) {
  EXPECT_EQ(format_duration(0.4), "0s");
  EXPECT_EQ(format_duration(42), "42s");
  EXPECT_EQ(format_duration(118), "1m58s");
  EXPECT_EQ(format_duration(2 * 3600 + 3 * 60 + 10), "2h03m");
}

}  // namespace
}  // namespace aha
