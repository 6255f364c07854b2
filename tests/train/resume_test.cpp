// kill -9 loses nothing: `aha pretrain` killed at several moments and resumed each time ends
// with a model bit-identical to an uninterrupted run's, and no checkpoint is ever half-written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "aha/io/safetensors.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

pid_t start_pretrain(const std::string& config, const std::string& output_dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    const std::string set = "output_dir=" + output_dir;
    execl(AHA_BINARY, "aha", "pretrain", "--config", config.c_str(), "--set", set.c_str(), "--threads", "2", "--resume",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Polls until `ready` holds (then kills the child with SIGKILL) or the child exits by itself.
// Returns true when it killed.
bool kill_when(pid_t pid, const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) {
      kill(pid, SIGKILL);
      wait_exit(pid);
      return true;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(100us);
  }
  kill(pid, SIGKILL);
  wait_exit(pid);
  return false;
}

bool has_entry(const std::string& dir, const std::string& prefix) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

int64_t last_logged_step(const std::string& output_dir) {
  std::istringstream in(testing::slurp(output_dir + "/metrics.jsonl"));
  int64_t step = 0;
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_object()) step = std::max<int64_t>(step, j.value("step", int64_t{0}));
  }
  return step;
}

// Every checkpoint-<n> directory holds all its files, and they parse.
void expect_complete_checkpoints(const std::string& output_dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(output_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("checkpoint-", 0) != 0) continue;
    for (const char* file : {"config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json",
                             "rng_state.json", "data_state.json", "tokenizer.json"})
      EXPECT_TRUE(fs::exists(e.path() / file)) << name << " lacks " << file;
    EXPECT_NO_THROW(io::SafetensorsFile((e.path() / "model.safetensors").string())) << name;
    EXPECT_NO_THROW(read_json_file((e.path() / "trainer_state.json").string())) << name;
  }
}

TEST(Resume, resume_after_kill_is_bit_identical) {
  test::TempDir dir;
  const std::string config = testing::write_arithmetic_config(
      dir.path().string(),
      "dataset_num_examples: 3000\nmax_steps: 60\nsave_steps: 4\nsave_total_limit: 3\nlogging_steps: 1\n"
      "warmup_steps: 5\n",
      32);
  const std::string reference = dir.file("reference"), resumed = dir.file("resumed");
  ASSERT_EQ(wait_exit(start_pretrain(config, reference)), 0);

  // Before the first checkpoint.
  EXPECT_TRUE(kill_when(start_pretrain(config, resumed),
                        [&] { return last_logged_step(resumed) >= 1 && !has_entry(resumed, "checkpoint-"); }));
  expect_complete_checkpoints(resumed);
  // Between checkpoints: a step after a complete checkpoint.
  EXPECT_TRUE(kill_when(start_pretrain(config, resumed),
                        [&] { return has_entry(resumed, "checkpoint-") && last_logged_step(resumed) % 4 == 2; }));
  expect_complete_checkpoints(resumed);
  // During checkpoint writes: as soon as a temporary checkpoint directory appears.
  int caught_mid_write = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const bool killed =
        kill_when(start_pretrain(config, resumed), [&] { return has_entry(resumed, ".tmp-checkpoint-"); });
    if (killed && has_entry(resumed, ".tmp-checkpoint-")) ++caught_mid_write;
    expect_complete_checkpoints(resumed);
  }
  RecordProperty("kills_during_checkpoint_write", caught_mid_write);
  EXPECT_GE(caught_mid_write, 1);
  ASSERT_EQ(wait_exit(start_pretrain(config, resumed)), 0);
  EXPECT_FALSE(has_entry(resumed, ".tmp-checkpoint-"));

  const std::string a = testing::slurp(reference + "/model.safetensors");
  const std::string b = testing::slurp(resumed + "/model.safetensors");
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b) << "the resumed model differs from the uninterrupted run's";
  EXPECT_EQ(last_logged_step(resumed), 60);
  // The metrics of the repeated steps were replaced, not duplicated: the same losses, in order.
  const auto ref_lines = testing::read_json_lines(reference + "/metrics.jsonl");
  const auto res_lines = testing::read_json_lines(resumed + "/metrics.jsonl");
  ASSERT_EQ(ref_lines.size(), res_lines.size());
  for (size_t i = 0; i < ref_lines.size(); ++i) {
    EXPECT_EQ(ref_lines[i]["step"], res_lines[i]["step"]);
    EXPECT_EQ(ref_lines[i]["loss"], res_lines[i]["loss"]) << "line " << i;
  }
  // A further --resume finds the run complete and leaves the model and provenance.json alone.
  const std::string provenance = testing::slurp(resumed + "/provenance.json");
  ASSERT_FALSE(provenance.empty());
  ASSERT_EQ(wait_exit(start_pretrain(config, resumed)), 0);
  EXPECT_TRUE(testing::slurp(resumed + "/model.safetensors") == a);
  EXPECT_EQ(testing::slurp(resumed + "/provenance.json"), provenance);
}

}  // namespace
}  // namespace aha::train
