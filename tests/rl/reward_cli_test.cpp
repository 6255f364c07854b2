// `aha reward`: JSON lines in, one number a line out; bad lines are one error line naming the line.
// As root (in CI), aha runs external programs as nobody: the test's directory is open to every user.
#include <signal.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.hpp"

namespace aha::test {
namespace {

class RewardCli : public ::testing::Test {
 protected:
  RewardCli() { std::filesystem::permissions(dir.path(), std::filesystem::perms::all); }

  RunResult run(const std::string& args, const std::string& input) {
    write_text(dir.file("in.jsonl"), input);
    return run_aha("reward " + args + " < " + dir.file("in.jsonl"));
  }
  TempDir dir;
};

TEST_F(RewardCli, scores_each_line_in_order) {
  const RunResult r =
      run("--fn accuracy_lenient",
          "{\"completion\": \"<answer>1,000</answer>\", \"answer\": 1000}\n"
          "{\"completion\": \"so \\\\boxed{\\\\frac{1}{4}}\", \"answer\": \"0.25\", \"prompt\": \"p\"}\n"
          "{\"completion\": \"#### 7\", \"answer\": \"8\"}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n1\n0\n");
  EXPECT_EQ(r.err, "");
  // The strict accuracy wants the answer block after </think>, holding one value.
  const RunResult strict =
      run("--fn accuracy",
          "{\"completion\": \"<answer>1,000</answer>\", \"answer\": 1000}\n"
          "{\"completion\": \"<think>10^3</think> <answer>1,000</answer>\", \"answer\": 1000}\n"
          "{\"completion\": \"<think>10^3</think> <answer>999 or 1,000</answer>\", \"answer\": 1000}\n");
  EXPECT_EQ(strict.status, 0) << strict.err;
  EXPECT_EQ(strict.out, "0\n1\n0\n");
}

TEST_F(RewardCli, options_reach_the_reward) {
  const RunResult r =
      run("--fn countdown --options '{\"format_score\": 0.1}'",
          "{\"completion\": \"<answer>1 + 2</answer>\", \"answer\": {\"target\": 4, \"numbers\": [1, 2]}}\n"
          "{\"completion\": \"<answer>2 * (1 + 1)</answer>\", \"answer\": {\"target\": 4, \"numbers\": [1, 1, 2]}}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0.1\n1\n");
}

TEST_F(RewardCli, extra_fields_reach_an_external_program_and_completion_ids_give_the_token_count) {
  const std::string program = dir.file("level.py");
  write_text(program,
             "#!/usr/bin/python3\nimport sys, json\nfor line in sys.stdin:\n    q = json.loads(line)\n"
             "    print(q['level'] * 10 + len(q.get('completion_ids', [])), flush=True)\n");
  std::filesystem::permissions(program, std::filesystem::perms::all);
  const RunResult r = run("--fn external --options '{\"command\": \"" + program + "\"}'",
                          "{\"completion\": \"a\", \"level\": 4}\n{\"completion\": \"b\", \"level\": 1, "
                          "\"completion_ids\": [5, 6]}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  // completion_ids is aha's field, not a column: the program does not see it.
  EXPECT_EQ(r.out, "40\n10\n");
  // soft_overlong with max_completion_len 4 and cache 2: 3 tokens score (2 - 3) / 2.
  const RunResult overlong = run("--fn soft_overlong --options '{\"max_completion_len\": 4, \"soft_punish_cache\": 2}'",
                                 "{\"completion\": \"a\", \"completion_ids\": [1, 2, 3]}\n");
  EXPECT_EQ(overlong.status, 0) << overlong.err;
  EXPECT_EQ(overlong.out, "-0.5\n");
  const RunResult missing = run("--fn soft_overlong --options '{\"max_completion_len\": 4, \"soft_punish_cache\": 2}'",
                                "{\"completion\": \"a\"}\n");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("stdin line 1: \"completion_ids\" is missing"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.out, "");
}

TEST_F(RewardCli, a_malformed_line_is_one_error_line_with_its_number_and_no_scores) {
  const std::string good = "{\"completion\": \"<think>a</think><answer>1</answer>\"}\n";
  struct Case {
    std::string input, error;
  } cases[] = {
      {good + "{\"completion\": \"x\"\n", "aha: stdin line 2: not valid JSON"},
      {good + good + "[1]\n", "aha: stdin line 3: expected a JSON object, found array"},
      {"{\"answer\": 1}\n", "aha: stdin line 1: \"completion\" must be a string (missing)"},
      {good + "{\"completion\": 5}\n", "aha: stdin line 2: \"completion\" must be a string"},
      {good + "\n", "aha: stdin line 2: empty line"},
  };
  for (const Case& c : cases) {
    const RunResult r = run("--fn format", c.input);
    EXPECT_EQ(r.status, 2) << c.input;
    EXPECT_EQ(r.out, "") << c.input;
    EXPECT_EQ(r.err.substr(0, c.error.size()), c.error) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  }
}

TEST_F(RewardCli, a_bad_reference_answer_names_its_line) {
  const RunResult r = run("--fn countdown",
                          "{\"completion\": \"<answer>1</answer>\", \"answer\": {\"target\": 1, \"numbers\": [1]}}\n"
                          "{\"completion\": \"<answer>1</answer>\", \"answer\": 1}\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(
      r.err,
      "aha: stdin line 2: reward countdown: the answer must be {\"target\": T, \"numbers\": [...]}, got number\n");
}

TEST_F(RewardCli, unknown_rewards_and_bad_options_are_usage_errors) {
  RunResult r = run("--fn acuracy", "");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("did you mean \"accuracy\""), std::string::npos) << r.err;
  r = run("--fn accuracy --options '{bad'", "");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--options: not valid JSON"), std::string::npos) << r.err;
}

TEST_F(RewardCli, a_failing_external_program_warns_on_stderr_and_scores_on_error) {
  write_text(dir.file("crash.sh"), "#!/bin/sh\necho 'bad things' >&2\nexit 9\n");
  const RunResult r =
      run("--fn external --options '{\"command\": [\"sh\", \"" + dir.file("crash.sh") + "\"], \"on_error\": -0.5}'",
          "{\"completion\": \"a\"}\n{\"completion\": \"b\"}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "-0.5\n-0.5\n");
  EXPECT_NE(r.err.find("warning: reward external (sh): it closed its output after 0 of 2 answers; exit status 9"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("stderr: bad things"), std::string::npos) << r.err;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(RewardCli, an_external_program_sees_only_the_allowed_environment_and_pass_env) {
  write_text(dir.file("env.sh"), "#!/bin/sh\nenv > " + dir.file("env") + "\ncat >/dev/null\necho 1\n");
  setenv("AHA_TEST_SECRET", "s3cret", 1);
  setenv("AHA_TEST_PASSED", "yes", 1);
  const RunResult r = run("--fn external --options '{\"command\": [\"sh\", \"" + dir.file("env.sh") +
                              "\"], \"pass_env\": [\"AHA_TEST_PASSED\", \"AHA_TEST_UNSET\"]}'",
                          "{\"completion\": \"a\"}\n");
  unsetenv("AHA_TEST_SECRET");
  unsetenv("AHA_TEST_PASSED");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n") << r.err;
  // The allow-list, pass_env, and PWD, which sh itself sets.
  const std::set<std::string> allowed = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "AHA_TEST_PASSED", "PWD"};
  std::istringstream env(read_text(dir.file("env")));
  std::set<std::string> seen;
  for (std::string line; std::getline(env, line);) {
    const std::string name = line.substr(0, line.find('='));
    EXPECT_TRUE(allowed.count(name)) << line;
    seen.insert(name);
  }
  EXPECT_TRUE(seen.count("PATH"));
  EXPECT_TRUE(seen.count("AHA_TEST_PASSED"));
  EXPECT_NE(read_text(dir.file("env")).find("AHA_TEST_PASSED=yes\n"), std::string::npos);
}

TEST_F(RewardCli, a_descendant_that_leaves_the_session_is_killed_with_the_program) {
  const std::string pid = dir.file("pid"), marker = dir.file("marker");
  write_text(dir.file("escape.sh"), "#!/bin/sh\nsetsid sh -c 'echo $$ > " + pid + "; sleep 1; echo x > " + marker +
                                        "' </dev/null >/dev/null 2>&1 &\nwhile [ ! -s " + pid +
                                        " ]; do sleep 0.02; done\ncat >/dev/null\necho 1\n");
  const RunResult r = run("--fn external --options '{\"command\": [\"sh\", \"" + dir.file("escape.sh") + "\"]}'",
                          "{\"completion\": \"a\"}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n") << r.err;
  pid_t escaped = 0;
  std::ifstream(pid) >> escaped;
  ASSERT_GT(escaped, 0);
  EXPECT_TRUE(kill(escaped, 0) != 0 && errno == ESRCH) << "pid " << escaped << " outlived aha reward";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(RewardCli, bad_external_sandbox_options_are_one_error_line) {
  struct Case {
    std::string options, error;
  } cases[] = {
      {"\"pass_env\": [\"PATH\", \"MY VAR\"]",
       "aha: reward external: option \"pass_env\" holds \"MY VAR\", expected variable names ([A-Za-z_][A-Za-z0-9_]*)"},
      {"\"pass_env\": \"PATH\"", "aha: reward external: option \"pass_env\" must be an array of strings, got string"},
      {"\"sandbox\": \"docker\"",
       "aha: reward external: option \"sandbox\" is \"docker\", expected one of \"none\", \"bwrap\""},
      {"\"max_processes\": 2.5", "aha: reward external: option \"max_processes\" is 2.5, expected a whole number"},
  };
  for (const Case& c : cases) {
    const RunResult r = run("--fn external --options '{\"command\": \"sh\", " + c.options + "}'", "");
    EXPECT_EQ(r.status, 2) << c.options;
    EXPECT_EQ(r.out, "") << c.options;
    EXPECT_EQ(r.err, c.error + "\n");
  }
}

}  // namespace
}  // namespace aha::test
