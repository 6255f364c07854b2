// The training loop's progress through a reporter: the start of a (resumed) run restarts the
// rate's clock, each step shows the loss and, for GRPO, the mean reward.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include <vector>

#include "aha/train/run_loop.hpp"
#include "aha/train/trainer.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

TEST(TrainProgress, a_resumed_run_shows_its_steps_with_loss_and_reward_at_this_process_rate) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  double t = 0;
  ProgressReporter reporter(
      {.label = "grpo", .unit = "steps", .out = out, .every_units = 1, .now = [&t] { return t; }});
  const auto progress = report_progress(reporter);
  t = 30;  // loading the model and the checkpoint
  progress({.step = 8, .max_steps = 10, .first_step = 8});
  t = 32;
  progress({.step = 9, .max_steps = 10, .loss = 0.25, .first_step = 8});
  t = 34;
  progress({.step = 10, .max_steps = 10, .loss = 0.125, .reward = 0.75, .first_step = 8});
  std::fclose(out);
  EXPECT_EQ(std::string(buffer, size),
            "grpo: 9/10 steps (90%)  loss 0.2500  2.0 s/step  2s left\n"
            "grpo: 10/10 steps (100%)  loss 0.1250  reward 0.750  2.0 s/step  done in 4s\n");
  std::free(buffer);
}

// A run bounded by time has no step count to count down to: its max_steps is not reported as the
// total, even when (as here) the steps run out first.
TEST(TrainProgress, a_run_bounded_by_time_reports_no_total) {
  test::TempDir dir;
  const std::string config_path =
      testing::write_arithmetic_config(dir.path().string(), "max_steps: 2\nsave_steps: 1000\n");
  std::vector<Progress> seen;
  RunOptions o;
  o.progress = [&](const Progress& p) { seen.push_back(p); };
  o.max_seconds = 1e9;
  run_training(load_train_config(config_path, TrainMode::pretrain, {}), o);
  ASSERT_EQ(seen.size(), 3u);  // the start and two steps
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].step, static_cast<int64_t>(i));
    EXPECT_EQ(seen[i].max_steps, 0);
  }
}

// max_seconds stops a run after the first step that ends that long into training, so a budget
// smaller than one step still makes one step.
TEST(TrainProgress, a_run_bounded_by_time_makes_at_least_one_step) {
  test::TempDir dir;
  const std::string config_path =
      testing::write_arithmetic_config(dir.path().string(), "max_steps: 1000\nsave_steps: 1000\n");
  RunOptions o;
  o.max_seconds = 1e-9;
  EXPECT_EQ(run_training(load_train_config(config_path, TrainMode::pretrain, {}), o).global_step, 1);
}

}  // namespace
}  // namespace aha::train
