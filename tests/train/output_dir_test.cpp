// Nothing in an output_dir is overwritten without asking: training refuses a directory that holds
// files but no checkpoint (also with --resume) or checkpoints without --resume, unless
// overwrite_output_dir / --overwrite; a second run on a directory in use stops at once; a
// checkpoint's replacement keeps a complete checkpoint at every moment, and what an interrupted
// save left is recovered or cleaned when the next run starts.
#include "aha/train/output_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "aha/base/error.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

namespace fs = std::filesystem;

// An earlier model directory: the files a finished run leaves once its checkpoints are deleted.
void write_finished_model(const std::string& dir) {
  fs::create_directories(dir);
  test::write_text(dir + "/model.safetensors", "weights someone trained");
  test::write_text(dir + "/provenance.json", "{\"note\": \"their provenance\"}\n");
  test::write_text(dir + "/metrics.jsonl", "{\"step\": 1, \"loss\": 2.5}\n");
}

// A checkpoint directory holding one file `marker`.
void write_checkpoint(const std::string& dir, const std::string& marker) {
  fs::create_directories(dir);
  test::write_text(dir + "/trainer_state.json", marker);
}

std::string claim_error(const std::string& dir, ResumeMode mode) {
  try {
    claim_output_dir(dir, mode, false, {});
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  return "";
}

TEST(OutputDir, files_without_a_checkpoint_are_refused_unchanged_unless_overwrite) {
  test::TempDir tmp;
  const std::string out = tmp.file("out");
  write_finished_model(out);
  const auto before = testing::snapshot(out);
  for (ResumeMode mode : {ResumeMode::none, ResumeMode::newest}) {
    const std::string error = claim_error(out, mode);
    EXPECT_NE(error.find("output_dir " + out + " holds files (metrics.jsonl, model.safetensors, provenance.json)"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("--overwrite"), std::string::npos) << error;
    EXPECT_EQ(testing::snapshot(out), before);
  }
  const FileLock lock = claim_output_dir(out, ResumeMode::none, true, {});
  EXPECT_TRUE(lock.locked());
  EXPECT_TRUE(fs::exists(out + "/" + kRunLockName));
  EXPECT_EQ(testing::slurp(out + "/model.safetensors"), "weights someone trained");  // replaced by the run, later
}

TEST(OutputDir, an_empty_or_missing_directory_is_taken) {
  test::TempDir tmp;
  fs::create_directories(tmp.file("empty"));
  EXPECT_TRUE(claim_output_dir(tmp.file("empty"), ResumeMode::none, false, {}).locked());
  EXPECT_TRUE(claim_output_dir(tmp.file("new/deeper"), ResumeMode::newest, false, {}).locked());
}

TEST(OutputDir, checkpoints_without_resume_are_refused_and_overwrite_deletes_them) {
  test::TempDir tmp;
  const std::string out = tmp.file("out");
  write_finished_model(out);
  write_checkpoint(out + "/checkpoint-4", "four");
  const auto before = testing::snapshot(out);
  const std::string error = claim_error(out, ResumeMode::none);
  EXPECT_NE(error.find("already holds checkpoint-4: pass --resume"), std::string::npos) << error;
  EXPECT_EQ(testing::snapshot(out), before);
  { EXPECT_TRUE(claim_output_dir(out, ResumeMode::newest, false, {}).locked()); }
  EXPECT_TRUE(fs::exists(out + "/checkpoint-4"));
  std::string said;
  const FileLock lock = claim_output_dir(out, ResumeMode::none, true, [&](const std::string& s) { said = s; });
  EXPECT_FALSE(fs::exists(out + "/checkpoint-4"));
  EXPECT_NE(said.find("deleted the checkpoints"), std::string::npos) << said;
}

TEST(OutputDir, a_run_stopped_before_its_first_checkpoint_is_started_again_but_a_lookalike_is_refused) {
  test::TempDir tmp;
  const std::string out = tmp.file("out");
  fs::create_directories(out);
  test::write_text(out + "/config.yaml", "output_dir: out\n");
  test::write_text(out + "/metrics.jsonl", "{\"step\": 1}\n");
  // Without the lock file no aha run made the directory: config.yaml may be the user's own.
  EXPECT_NE(claim_error(out, ResumeMode::newest).find("holds files (config.yaml, metrics.jsonl)"), std::string::npos);
  { EXPECT_TRUE(claim_output_dir(out, ResumeMode::none, true, {}).locked()); }
  EXPECT_TRUE(claim_output_dir(out, ResumeMode::newest, false, {}).locked());
  EXPECT_TRUE(claim_output_dir(out, ResumeMode::none, false, {}).locked());
}

TEST(OutputDir, a_directory_another_run_holds_is_refused_naming_it) {
  test::TempDir tmp;
  const std::string out = tmp.file("out");
  const FileLock first = claim_output_dir(out, ResumeMode::none, false, {});
  ASSERT_TRUE(first.locked());
  for (bool overwrite : {false, true}) {
    try {
      claim_output_dir(out, ResumeMode::newest, overwrite, {});
      ADD_FAILURE() << "a second claim was granted";
    } catch (const Error& e) {
      EXPECT_NE(
          std::string(e.what()).find(fmt::format("output_dir {}: another aha run (pid {}) is using it", out, getpid())),
          std::string::npos)
          << e.what();
    }
  }
}

TEST(Checkpoint, replacing_a_checkpoint_keeps_the_old_one_until_the_new_one_is_in_place) {
  test::TempDir tmp;
  const std::string out = tmp.file("out");
  write_checkpoint(out + "/checkpoint-4", "old");
  write_checkpoint(out + "/new", "new");
  replace_directory(out + "/new", out + "/checkpoint-4");
  EXPECT_EQ(testing::slurp(out + "/checkpoint-4/trainer_state.json"), "new");
  EXPECT_EQ(testing::snapshot(out).size(), 2u) << "a directory set aside or the temporary was left";
  replace_directory(out + "/checkpoint-4", out + "/checkpoint-8");  // no earlier one: a rename
  EXPECT_EQ(testing::slurp(out + "/checkpoint-8/trainer_state.json"), "new");
}

// A save killed after it set checkpoint-4 aside and before its replacement arrived, another killed
// after its replacement of checkpoint-8 arrived, a half-written temporary checkpoint and a temporary
// file: resuming ignores them, and the next run's start restores or deletes each.
TEST(Checkpoint, what_an_interrupted_save_left_is_ignored_then_recovered_at_start) {
  test::TempDir tmp;
  const std::string out = tmp.file("out");
  write_checkpoint(out + "/checkpoint-4.old-999999", "four");
  write_checkpoint(out + "/checkpoint-8", "eight, replacement");
  write_checkpoint(out + "/checkpoint-8.old-999999", "eight, replaced");
  write_checkpoint(out + "/.tmp-checkpoint-12-999999", "half");
  test::write_text(out + "/.model.safetensors.tmp-999999-0", "half a model");
  EXPECT_EQ(newest_checkpoint(out), out + "/checkpoint-8");
  fs::remove_all(out + "/checkpoint-8");
  EXPECT_EQ(newest_checkpoint(out), std::nullopt) << "a checkpoint set aside is not resumed from";
  write_checkpoint(out + "/checkpoint-8", "eight, replacement");

  const FileLock lock = claim_output_dir(out, ResumeMode::newest, false, {});
  EXPECT_EQ(testing::slurp(out + "/checkpoint-4/trainer_state.json"), "four");
  EXPECT_EQ(testing::slurp(out + "/checkpoint-8/trainer_state.json"), "eight, replacement");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{kRunLockName, "checkpoint-4", "checkpoint-8"}));
}

}  // namespace
}  // namespace aha::train
