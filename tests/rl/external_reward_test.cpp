// `external`: a user's program over JSON lines, with time and resource limits; every way the
// program can fail is scored on_error and reported, and the caller survives it. As root (in CI),
// aha runs the programs as nobody: the test's directory and scripts are open to every user.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/reward.hpp"
#include "tests/support/temp_dir.hpp"

namespace aha::rl {
namespace {

class ExternalReward : public ::testing::Test {
 protected:
  ExternalReward() { std::filesystem::permissions(dir.path(), std::filesystem::perms::all); }

  // An executable script `name` with `body` in the test's directory.
  std::string script(const std::string& name, const std::string& body) {
    const std::string path = dir.file(name);
    test::write_text(path, body);
    using std::filesystem::perms;
    std::filesystem::permissions(
        path, perms::owner_all | perms::group_read | perms::group_exec | perms::others_read | perms::others_exec);
    return path;
  }

  std::unique_ptr<RewardFunction> reward(const std::string& body, Json options = Json::object()) {
    options["command"] = script("score", body);
    return make_reward("external", options);
  }

  static std::vector<RewardInput> inputs(size_t n) {
    std::vector<RewardInput> v;
    for (size_t i = 0; i < n; ++i) {
      std::string prompt = "p";
      prompt += std::to_string(i);
      v.push_back({prompt, std::string(i + 1, 'c'), Json{{"k", i}}});
    }
    return v;
  }

  // The one warning the last score() left; fails the test when there is not exactly one.
  static std::string warning(RewardFunction& r) {
    const std::vector<std::string> w = r.take_warnings();
    EXPECT_EQ(w.size(), 1u);
    return w.empty() ? "" : w[0];
  }

  test::TempDir dir;
};

const char* kPython = "#!/usr/bin/python3\n";

TEST_F(ExternalReward, a_working_program_sees_every_field_and_scores_in_order) {
  auto r = reward(std::string(kPython) +
                  "import sys, json\n"
                  "for line in sys.stdin:\n"
                  "    q = json.loads(line)\n"
                  "    print(len(q['prompt']) + 10 * len(q['completion']) + 100 * q['answer']['k'], flush=True)\n");
  EXPECT_EQ(r->name(), "external");
  EXPECT_EQ(r->score(inputs(3)), (std::vector<double>{12, 122, 232}));
  EXPECT_TRUE(r->take_warnings().empty());
  EXPECT_TRUE(r->score({}).empty());
}

TEST_F(ExternalReward, the_dataset_rows_other_fields_sit_beside_prompt_completion_and_answer) {
  auto r = reward(std::string(kPython) +
                  "import sys, json\n"
                  "for line in sys.stdin:\n"
                  "    q = json.loads(line)\n"
                  "    print(100 * q['answer']['k'] + 10 * q['level'] + len(q['tags']), flush=True)\n");
  std::vector<RewardInput> in = inputs(2);
  // A column named like one of aha's fields does not replace it.
  in[0].columns = {{"level", 3}, {"tags", {"a", "b"}}, {"answer", {{"k", 9}}}};
  in[1].columns = {{"level", 5}, {"tags", Json::array()}};
  EXPECT_EQ(r->score(in), (std::vector<double>{32, 150}));
  EXPECT_TRUE(r->take_warnings().empty());
}

TEST_F(ExternalReward, quoted_command_words_reach_the_program_without_a_shell) {
  const std::string echo = script("echo_args", "#!/bin/sh\nread line\necho \"$#\"\n");
  auto r = make_reward("external", {{"command", echo + " 'a b' \"c $HOME\" d\\ e"}});
  EXPECT_EQ(r->score(inputs(1)), std::vector<double>{3});
}

TEST_F(ExternalReward, a_crash_keeps_earlier_answers_and_reports_signal_and_stderr) {
  auto r = reward("#!/bin/sh\nread line\necho 0.5\necho 'about to crash' >&2\nkill -SEGV $$\n", {{"on_error", -1}});
  EXPECT_EQ(r->score(inputs(3)), (std::vector<double>{0.5, -1, -1}));
  const std::string w = warning(*r);
  EXPECT_NE(w.find("killed by signal 11"), std::string::npos) << w;
  EXPECT_NE(w.find("about to crash"), std::string::npos) << w;
  EXPECT_NE(w.find("2 of 3 completions scored on_error=-1"), std::string::npos) << w;
}

TEST_F(ExternalReward, a_hang_is_killed_after_timeout) {
  auto r = reward("#!/bin/sh\nread line\necho 1\nsleep 60\n", {{"timeout_s", 0.3}});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(r->score(inputs(2)), (std::vector<double>{1, 0}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  const std::string w = warning(*r);
  EXPECT_NE(w.find("no answer within 0.3 s (after 1 of 2 answers)"), std::string::npos) << w;
}

TEST_F(ExternalReward, no_output_is_reported) {
  auto r = reward("#!/bin/sh\ncat >/dev/null\n", {{"on_error", 0.25}});
  EXPECT_EQ(r->score(inputs(2)), (std::vector<double>{0.25, 0.25}));
  EXPECT_NE(warning(*r).find("closed its output after 0 of 2 answers; exit status 0"), std::string::npos);
}

TEST_F(ExternalReward, text_instead_of_numbers_scores_on_error_line_by_line) {
  auto r = reward("#!/bin/sh\necho 'I think it is right'\necho 0.75\necho NaN\necho '[1]'\n");
  EXPECT_EQ(r->score(inputs(4)), (std::vector<double>{0, 0.75, 0, 0}));
  const std::string w = warning(*r);
  EXPECT_NE(w.find("line 1 is not a number: \"I think it is right\""), std::string::npos) << w;
  EXPECT_NE(w.find("3 of 4 completions"), std::string::npos) << w;
}

TEST_F(ExternalReward, a_failing_exit_status_after_all_answers_keeps_them_and_warns) {
  auto r = reward("#!/bin/sh\necho 1\necho 2\necho oops >&2\nexit 3\n");
  EXPECT_EQ(r->score(inputs(2)), (std::vector<double>{1, 2}));
  const std::string w = warning(*r);
  EXPECT_NE(w.find("exit status 3"), std::string::npos) << w;
  EXPECT_NE(w.find("0 of 2 completions"), std::string::npos) << w;
}

TEST_F(ExternalReward, a_program_that_never_reads_stdin_does_not_kill_the_caller_with_sigpipe) {
  auto r = reward("#!/bin/sh\necho 1\necho 1\n");
  std::vector<RewardInput> big = inputs(2);
  for (RewardInput& in : big) in.completion.assign(1 << 20, 'x');  // far more than a pipe holds
  EXPECT_EQ(r->score(big), (std::vector<double>{1, 1}));
}

TEST_F(ExternalReward, a_program_answering_line_by_line_streams_more_than_a_pipe_holds) {
  auto r = reward(std::string(kPython) +
                  "import sys, json\n"
                  "for line in sys.stdin:\n"
                  "    print(len(json.loads(line)['completion']), flush=True)\n");
  std::vector<RewardInput> many = inputs(300);
  std::vector<double> expected;
  for (size_t i = 0; i < many.size(); ++i) {
    many[i].completion.assign(10000 + i, 'y');  // 3 MB in all, answered as it arrives
    expected.push_back(static_cast<double>(10000 + i));
  }
  EXPECT_EQ(r->score(many), expected);
  EXPECT_TRUE(r->take_warnings().empty());
}

TEST_F(ExternalReward, the_callers_signal_mask_is_left_as_it_was) {
  sigset_t before, after;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  auto r = reward("#!/bin/sh\nexit 0\n");
  std::vector<RewardInput> big = inputs(1);
  big[0].completion.assign(1 << 20, 'x');  // the write usually fails with EPIPE
  EXPECT_EQ(r->score(big), std::vector<double>{0});
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  for (int s = 1; s < 32; ++s) EXPECT_EQ(sigismember(&before, s), sigismember(&after, s)) << s;
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST_F(ExternalReward, the_memory_limit_applies_to_the_program) {
  auto r = reward(std::string(kPython) + "import sys\nsys.stdin.readline()\nx = bytearray(2 << 30)\nprint(1)\n",
                  {{"memory_mb", 200}});
  EXPECT_EQ(r->score(inputs(1)), std::vector<double>{0});
  EXPECT_NE(warning(*r).find("MemoryError"), std::string::npos);
}

TEST_F(ExternalReward, the_file_size_limit_applies_to_the_program) {
  const std::string big = dir.file("big");
  auto r = reward("#!/bin/sh\nhead -c 3000000 /dev/zero > " + big + " || echo 'write failed' >&2\necho 1\n",
                  {{"file_size_mb", 1}});
  EXPECT_EQ(r->score(inputs(1)), std::vector<double>{1});
  EXPECT_LE(std::filesystem::file_size(big), 1u << 20);
  EXPECT_TRUE(r->take_warnings().empty());  // the script itself exits 0
}

TEST_F(ExternalReward, the_cpu_limit_stops_a_busy_program) {
  auto r = reward("#!/bin/sh\nwhile :; do :; done\n", {{"cpu_s", 1}, {"timeout_s", 30}});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(r->score(inputs(1)), std::vector<double>{0});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_NE(warning(*r).find("killed by signal"), std::string::npos);
}

TEST_F(ExternalReward, processes_the_program_leaves_behind_are_killed) {
  const std::string pid_file = dir.file("pid");
  auto r = reward("#!/bin/sh\nsleep 60 &\necho $! > " + pid_file + "\necho 1\n");
  EXPECT_EQ(r->score(inputs(1)), std::vector<double>{1});
  pid_t pid = 0;
  std::ifstream(pid_file) >> pid;
  ASSERT_GT(pid, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = kill(pid, 0) != 0 && errno == ESRCH;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "pid " << pid;
}

TEST_F(ExternalReward, concurrent_programs_do_not_hold_each_others_pipes) {
  // `quick` closes its output at once; `slow`, started meanwhile from another thread, runs on. Its
  // keeper must not keep a copy of quick's output pipe, or quick would seem to hang until slow ends.
  auto quick = reward("#!/bin/sh\nsleep 0.3\n", {{"timeout_s", 5}});
  auto slow = make_reward("external", {{"command", script("slow", "#!/bin/sh\nsleep 1.5\necho 1\n")}});
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration quick_took{};
  std::thread first([&] {
    EXPECT_EQ(quick->score(inputs(1)), std::vector<double>{0});
    quick_took = std::chrono::steady_clock::now() - start;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(slow->score(inputs(1)), std::vector<double>{1});
  first.join();
  EXPECT_LT(quick_took, std::chrono::milliseconds(1200));
  EXPECT_NE(warning(*quick).find("closed its output after 0 of 1 answers"), std::string::npos);
}

TEST_F(ExternalReward, a_fork_bomb_is_bounded_by_max_processes) {
  auto r = reward(std::string(kPython) +
                      "import os, sys, time\n"
                      "sys.stdin.read()\n"
                      "forked = 0\n"
                      "for _ in range(100):\n"
                      "    try:\n"
                      "        pid = os.fork()\n"
                      "    except OSError:\n"
                      "        break\n"
                      "    if pid == 0:\n"
                      "        time.sleep(30)\n"
                      "        os._exit(0)\n"
                      "    forked += 1\n"
                      "print(forked, flush=True)\n",
                  {{"max_processes", 5}});
  const auto start = std::chrono::steady_clock::now();
  const std::vector<double> scores = r->score(inputs(1));
  ASSERT_EQ(scores.size(), 1u);
  // 4 children beside the program itself; RLIMIT_NPROC counts the user's other processes when the
  // program starts, so others of that user ending meanwhile (parallel tests) may leave a few more.
  EXPECT_GE(scores[0], 1);
  EXPECT_LE(scores[0], 4 + 8);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // the sleepers were killed
}

TEST_F(ExternalReward, a_program_that_cannot_start_says_so) {
  const std::string path = script("not_executable", "#!/bin/sh\necho 1\n");
  auto r = make_reward("external", {{"command", path}});
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::others_read);
  EXPECT_EQ(r->score(inputs(1)), std::vector<double>{0});
  EXPECT_NE(warning(*r).find("cannot run " + path), std::string::npos);
}

TEST_F(ExternalReward, as_root_a_program_nobody_may_run_is_refused_up_front) {
  if (geteuid() != 0) GTEST_SKIP() << "aha runs programs as nobody only when it runs as root";
  const std::string path = script("private", "#!/bin/sh\necho 1\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  try {
    make_reward("external", {{"command", path}});
    FAIL() << "a program only root may run was accepted";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("so it runs reward programs as user nobody (uid 65534), who cannot execute " + path),
        std::string::npos)
        << e.what();
  }
}

// Whether `sandbox: bwrap` cannot run here (bwrap missing, or no namespaces in this container).
bool bwrap_unavailable(const Error& e) {
  const std::string what = e.what();
  return what.find("bwrap is not on PATH") != std::string::npos ||
         what.find("bwrap cannot make a sandbox here") != std::string::npos;
}

TEST_F(ExternalReward, the_bwrap_sandbox_has_no_network_a_read_only_root_and_a_private_tmp) {
  const std::string outside = "/var/tmp/aha-bwrap-" + std::to_string(getpid());
  // One answer per check: network interfaces, a write outside /tmp, a write in /tmp, processes seen.
  const Json options = {{"command",
                         {"sh", "-c",
                          "cat >/dev/null; tail -n +3 /proc/net/dev | wc -l; (echo x >" + outside +
                              ") 2>/dev/null && echo 1 || echo 0; echo y >/tmp/y && wc -c </tmp/y; ls /proc | grep -c "
                              "'^[0-9]'"}},
                        {"sandbox", "bwrap"}};
  std::unique_ptr<RewardFunction> r;
  try {
    r = make_reward("external", options);
  } catch (const Error& e) {
    if (bwrap_unavailable(e)) GTEST_SKIP() << e.what();
    throw;
  }
  const std::vector<double> scores = r->score(inputs(4));
  ASSERT_EQ(scores.size(), 4u);
  EXPECT_EQ(scores[0], 1);  // loopback only
  EXPECT_EQ(scores[1], 0);
  EXPECT_FALSE(std::filesystem::exists(outside));
  EXPECT_EQ(scores[2], 2);
  EXPECT_LE(scores[3], 6);  // bwrap, sh, ls and grep: no process of the host
  EXPECT_TRUE(r->take_warnings().empty());
}

TEST_F(ExternalReward, the_bwrap_sandbox_refuses_a_program_in_tmp) {
  try {
    make_reward("external", {{"command", script("in_tmp", "#!/bin/sh\necho 1\n")}, {"sandbox", "bwrap"}});
    FAIL() << "a program in /tmp was accepted";
  } catch (const Error& e) {
    if (bwrap_unavailable(e)) GTEST_SKIP() << e.what();
    EXPECT_NE(std::string(e.what()).find("lies in /tmp"), std::string::npos) << e.what();
  }
}

TEST_F(ExternalReward, bad_options_are_bad_input) {
  EXPECT_THROW(make_reward("external"), Error);
  EXPECT_THROW(make_reward("external", {{"command", ""}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "no-such-program-anywhere"}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh 'unbalanced"}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", {"sh", 1}}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"timeout", 3}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"timeout_s", -1}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"pass_env", "PATH"}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"pass_env", {"PATH", 3}}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"pass_env", {"A=B"}}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"pass_env", {"1A"}}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"pass_env", {""}}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"sandbox", "docker"}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"sandbox", true}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"max_processes", 2.5}}), Error);
  EXPECT_THROW(make_reward("external", {{"command", "sh"}, {"max_processes", -1}}), Error);
  EXPECT_NO_THROW(make_reward("external", {{"command", "sh"}, {"pass_env", {"PYTHONPATH", "_x1"}}}));
}

}  // namespace
}  // namespace aha::rl
