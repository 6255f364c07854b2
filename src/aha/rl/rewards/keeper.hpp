// The keeper: a process between aha and a reward program that owns everything the program starts.
//
// aha forks the keeper; the keeper makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), forks
// the program and waits. A descendant of the program that is orphaned (its parent died, it
// double-forked, it called setsid) is re-parented to the keeper, not to init, so when aha says
// stop (closes the control pipe) or dies, the keeper SIGKILLs and reaps its children until it
// has none: every descendant of the program, whatever its session or process group. One keeper per
// program run, so concurrent runs (other threads, other rewards) never touch each other's
// processes, and aha itself never becomes a subreaper. Everything here runs in forked children of
// a possibly multi-threaded aha: only async-signal-safe calls, nothing allocated.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

namespace aha::rl {

// Why the program did not start, sent on the report pipe as {stage, errno} before exec.
enum class StartStage : int { fork = 1, user = 2, exec = 3 };

struct StartFailure {
  StartStage stage;
  int error;
};

// Everything the keeper and the program need, prepared before fork.
struct ProgramStart {
  const char* program = nullptr;  // path to execve
  char* const* argv = nullptr;
  char* const* envp = nullptr;      // the program's whole environment
  int in = -1, out = -1, err = -1;  // the program's stdin, stdout, stderr
  int report = -1;                  // close-on-exec pipe for a StartFailure
  int control = -1;                 // read end: when aha closes the other end, the keeper kills everything
  int status = -1;                  // write end: the program's wait status (an int) once it exited
  double cpu_s = 0, memory_mb = 0, file_size_mb = 0;  // RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE; 0 = none
  rlim_t max_tasks = 0;                               // RLIMIT_NPROC; 0 = none
  bool switch_user = false;                           // run the program as uid/gid (aha runs as root)
  uid_t uid = 0;
  gid_t gid = 0;
};

// The keeper's body, in the child of fork(): starts the program and, when told to stop, kills
// every descendant it has; exits 0.
[[noreturn]] void run_keeper(const ProgramStart& start);

}  // namespace aha::rl
