// `aha pretrain` and its output_dir from the command line: a directory holding someone's model is
// refused (exit 2, one line, nothing changed), also with --resume; --overwrite and
// overwrite_output_dir: true train there; a run on a directory another run holds exits 2; a
// resume after a save interrupted mid-replacement recovers the checkpoint set aside.
#include <gtest/gtest.h>

#include <filesystem>

#include "aha/base/file.hpp"
#include "aha/train/output_dir.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

namespace fs = std::filesystem;

struct PretrainRun {
  test::TempDir dir;
  std::string out = dir.file("out");
  std::string config =
      testing::write_arithmetic_config(dir.path().string(), "max_steps: 4\nsave_steps: 2\nlogging_steps: 1\n", 32);
  test::RunResult pretrain(const std::string& args) const {
    return test::run_aha("pretrain --threads 1 --config " + config + " " + args);
  }
};

void expect_one_line(const test::RunResult& r) {
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
}

TEST(OutputDirCli, training_into_a_model_directory_exits_2_and_changes_nothing_unless_overwrite) {
  PretrainRun run;
  fs::create_directories(run.out);
  test::write_text(run.out + "/model.safetensors", "weights someone trained");
  test::write_text(run.out + "/provenance.json", "{}\n");
  test::write_text(run.out + "/metrics.jsonl", "{\"step\": 7, \"loss\": 1.5}\n");
  const auto before = testing::snapshot(run.out);
  for (const char* args : {"", "--resume"}) {
    const test::RunResult r = run.pretrain(args);
    EXPECT_EQ(r.status, 2) << args << ": " << r.err;
    EXPECT_NE(r.err.find("output_dir " + run.out + " holds files"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
    expect_one_line(r);
    EXPECT_EQ(testing::snapshot(run.out), before) << args;
  }
  const test::RunResult r = run.pretrain("--overwrite");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(testing::slurp(run.out + "/model.safetensors"), "weights someone trained");
  EXPECT_EQ(testing::read_json_lines(run.out + "/metrics.jsonl").size(), 4u);
  EXPECT_NE(testing::slurp(run.out + "/config.yaml").find("overwrite_output_dir: true"), std::string::npos);
  // The run's own checkpoints are not deleted by a later run without --resume or --overwrite.
  const auto done = testing::snapshot(run.out);
  const test::RunResult again = run.pretrain("");
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("already holds checkpoint-4: pass --resume"), std::string::npos) << again.err;
  EXPECT_EQ(testing::snapshot(run.out), done);
}

TEST(OutputDirCli, overwrite_output_dir_in_the_config_trains_afresh_over_earlier_checkpoints) {
  PretrainRun run;
  ASSERT_EQ(run.pretrain("").status, 0);
  ASSERT_TRUE(fs::exists(run.out + "/checkpoint-4"));
  const test::RunResult r = run.pretrain("--set overwrite_output_dir=true --set max_steps=2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("deleted the checkpoints of the earlier run"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(run.out + "/checkpoint-2"));
  EXPECT_FALSE(fs::exists(run.out + "/checkpoint-4")) << "a later --resume would take the old run's checkpoint";
}

TEST(OutputDirCli, a_second_run_on_an_output_dir_in_use_exits_2) {
  PretrainRun run;
  fs::create_directories(run.out);
  // Another process (this test) holds the run's lock, as a run in progress does.
  const FileLock held = FileLock::try_lock(run.out + "/" + kRunLockName, true);
  ASSERT_TRUE(held.locked());
  held.record_holder(run.out + "/" + kRunLockName);
  for (const char* args : {"", "--resume", "--overwrite"}) {
    const test::RunResult r = run.pretrain(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(fmt::format("output_dir {}: another aha run (pid {}) is using it", run.out, getpid())),
              std::string::npos)
        << r.err;
    expect_one_line(r);
  }
  EXPECT_FALSE(fs::exists(run.out + "/config.yaml"));
}

TEST(OutputDirCli, a_resume_after_a_save_killed_mid_replacement_recovers_the_checkpoint_and_cleans_up) {
  PretrainRun run;
  ASSERT_EQ(run.pretrain("").status, 0);
  const std::string state = testing::slurp(run.out + "/checkpoint-4/trainer_state.json");
  // Killed after checkpoint-4 went aside for its replacement, with the replacement half written.
  fs::rename(run.out + "/checkpoint-4", run.out + "/checkpoint-4.old-999999");
  fs::create_directories(run.out + "/.tmp-checkpoint-4-999999");
  test::write_text(run.out + "/.tmp-checkpoint-4-999999/config.json", "{");
  test::write_text(run.out + "/.model.safetensors.tmp-999999-3", "half");
  const test::RunResult r = run.pretrain("--resume");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("already complete (step 4)"), std::string::npos) << r.err;
  EXPECT_EQ(testing::slurp(run.out + "/checkpoint-4/trainer_state.json"), state);
  for (const auto& e : fs::directory_iterator(run.out)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name.find(".old-") == std::string::npos && name.find(".tmp-") == std::string::npos) << name;
  }
}

}  // namespace
}  // namespace aha::train
