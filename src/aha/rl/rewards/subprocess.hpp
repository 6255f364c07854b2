// Running a reward program: fork/exec without a shell, an allow-listed environment, resource
// limits, a time limit per answer line, every descendant killed at the end (keeper.hpp), and a
// report of how it failed instead of an exception or a signal in the caller. Not a sandbox: the
// program can read and write what its user can and use the network (bwrap is external.cpp's option).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aha::rl {

struct ProgramLimits {
  double line_timeout_s = 10;  // longest wait for the next output line (from start, then from the last line)
  double cpu_s = 60;           // RLIMIT_CPU of the program; 0 = none
  double memory_mb = 4096;     // RLIMIT_AS; 0 = none
  double file_size_mb = 64;    // RLIMIT_FSIZE; 0 = none
  double exit_grace_s = 2;     // after the last expected line, time to exit before it is killed
  double max_processes = 64;   // processes and threads running at once, the program's own included
                               // (RLIMIT_NPROC over what its user already runs); 0 = none
};

// The variables of aha's environment that every program gets (those that are set).
inline constexpr const char* kProgramEnvironment[] = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"};

// "NAME=value" for each variable of kProgramEnvironment and of `pass_env` that aha's environment sets.
std::vector<std::string> program_environment(const std::vector<std::string>& pass_env);

// Who programs run as: "" when aha is not root (then as aha's user), else "user nobody (uid 65534)":
// RLIMIT_NPROC does not bind root, so a root aha runs programs as nobody.
std::string program_user();

// Whether program_user() may execute `path` (true when aha is not root).
bool program_user_can_run(const std::string& path);

struct ProgramRun {
  std::vector<std::string> lines;  // complete stdout lines received (without '\n'), at most `expected_lines`
  std::string failure;             // why fewer lines came (empty when all came)
  std::string exit;                // "exit status 0", "killed by signal 9 (Killed)", ...
  bool clean_exit = false;         // exited with status 0 by itself
  std::string stderr_tail;         // the last 4 KiB of its stderr
};

// The program `argv[0]` (a path, or a name looked up on PATH), or an empty string when not found.
std::string find_program(const std::string& name);

// Runs `program` with `argv` and exactly `environment` ("NAME=value"), as program_user(), writes
// `input` to its stdin (then closes it), and reads stdout lines until `expected_lines` have come,
// it closes stdout, or a limit is hit; the program and every process it started are then killed if
// still running, and reaped. Never throws for what the program does; SIGPIPE is blocked in the
// calling thread meanwhile.
ProgramRun run_program(const std::string& program, const std::vector<std::string>& argv, const std::string& input,
                       size_t expected_lines, const ProgramLimits& limits, const std::vector<std::string>& environment);

}  // namespace aha::rl
