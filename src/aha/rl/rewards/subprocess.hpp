// Running a reward program: fork/exec without a shell, resource limits, a time limit per answer
// line, and a report of how it failed instead of an exception or a signal in the caller.
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
};

struct ProgramRun {
  std::vector<std::string> lines;  // complete stdout lines received (without '\n'), at most `expected_lines`
  std::string failure;             // why fewer lines came (empty when all came)
  std::string exit;                // "exit status 0", "killed by signal 9 (Killed)", ...
  bool clean_exit = false;         // exited with status 0 by itself
  std::string stderr_tail;         // the last 4 KiB of its stderr
};

// The program `argv[0]` (a path, or a name looked up on PATH), or an empty string when not found.
std::string find_program(const std::string& name);

// Runs `program` with `argv`, writes `input` to its stdin (then closes it), and reads stdout lines
// until `expected_lines` have come, it closes stdout, or a limit is hit; the program and its
// process group are then killed if still running, and reaped. Never throws for what the program
// does; SIGPIPE is blocked in the calling thread meanwhile.
ProgramRun run_program(const std::string& program, const std::vector<std::string>& argv, const std::string& input,
                       size_t expected_lines, const ProgramLimits& limits);

}  // namespace aha::rl
