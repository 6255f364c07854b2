#include "aha/rl/rewards/keeper.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <utility>

namespace aha::rl {
namespace {

void set_limit(int resource, double amount, double scale) {
  if (amount <= 0) return;
  rlimit limit{};
  limit.rlim_cur = static_cast<rlim_t>(std::ceil(amount * scale));
  // The CPU limit's hard value one second later turns SIGXCPU into SIGKILL for programs that catch it.
  limit.rlim_max = resource == RLIMIT_CPU ? limit.rlim_cur + 1 : limit.rlim_cur;
  setrlimit(resource, &limit);
}

void send_failure(int report, StartStage stage, int error) {
  const StartFailure failure{stage, error};
  ssize_t ignored = write(report, &failure, sizeof failure);
  (void)ignored;
}

void set_handler(int signal, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigaction(signal, &action, nullptr);
}

void on_child(int) {}

// The signals whose handling the keeper changes; the program gets them back at their defaults.
constexpr int kKeeperSignals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD};

// In the program's process: its own process group, its pipes, limits and user, then exec.
[[noreturn]] void exec_program(const ProgramStart& s) {
  setpgid(0, 0);
  dup2(s.in, 0);
  dup2(s.out, 1);
  dup2(s.err, 2);
  set_limit(RLIMIT_CPU, s.cpu_s, 1);
  set_limit(RLIMIT_AS, s.memory_mb, 1024.0 * 1024.0);
  set_limit(RLIMIT_FSIZE, s.file_size_mb, 1024.0 * 1024.0);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  if (s.max_tasks > 0) {
    const rlimit tasks{s.max_tasks, s.max_tasks};
    setrlimit(RLIMIT_NPROC, &tasks);
  }
  for (int signal : kKeeperSignals) set_handler(signal, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // RLIMIT_NPROC does not bind root: as root, the program runs as an unprivileged user.
  if (s.switch_user && (setgroups(0, nullptr) != 0 || setgid(s.gid) != 0 || setuid(s.uid) != 0)) {
    send_failure(s.report, StartStage::user, errno);
    _exit(127);
  }
  execve(s.program, s.argv, s.envp);
  send_failure(s.report, StartStage::exec, errno);
  _exit(127);
}

// Closes every descriptor but 0, 1, 2 and those in `keep`: the keeper does not exec, so without
// this it would hold the pipes of other threads' programs open for as long as it lives.
void close_others(int* keep, int count) {
  for (int i = 1; i < count; ++i)
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) std::swap(keep[j - 1], keep[j]);
  unsigned low = 3;
  for (int i = 0; i <= count; ++i) {
    const unsigned high = i < count ? static_cast<unsigned>(keep[i]) : ~0U;
    if (high > low && syscall(SYS_close_range, low, high - 1, 0) != 0) {
      rlimit files{};
      getrlimit(RLIMIT_NOFILE, &files);
      const unsigned last = files.rlim_cur < 65536 ? static_cast<unsigned>(files.rlim_cur) : 65536U;
      for (unsigned fd = low; fd < high && fd < last; ++fd) close(static_cast<int>(fd));
    }
    if (i<count&& static_cast<unsigned>(keep[i]) + 1> low) low = static_cast<unsigned>(keep[i]) + 1;
  }
}

// The parent pid in /proc/<name>/stat ("pid (comm) state ppid ..."), or -1.
pid_t parent_of(int proc, const char* name) {
  char path[64];
  size_t n = 0;
  while (name[n] != '\0' && n < 40) path[n] = name[n], ++n;
  std::memcpy(path + n, "/stat", 6);
  const int fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char text[512];
  const ssize_t got = read(fd, text, sizeof text - 1);
  close(fd);
  if (got <= 0) return -1;
  text[got] = '\0';
  const char* close_paren = std::strrchr(text, ')');  // comm may hold spaces and parentheses
  if (close_paren == nullptr || close_paren[1] != ' ' || close_paren[2] == '\0' || close_paren[3] != ' ') return -1;
  pid_t ppid = 0;
  for (const char* c = close_paren + 4; *c >= '0' && *c <= '9'; ++c) ppid = ppid * 10 + (*c - '0');
  return ppid;
}

// SIGKILLs every process whose parent is the keeper; how many, or -1 when /proc cannot be read.
int kill_children(pid_t self) {
  const int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return -1;
  int killed = 0;
  alignas(8) char buffer[8192];
  while (true) {
    const long got = syscall(SYS_getdents64, proc, buffer, sizeof buffer);
    if (got <= 0) break;
    // struct linux_dirent64: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), d_name.
    for (long at = 0; at < got;) {
      uint16_t length = 0;
      std::memcpy(&length, buffer + at + 16, sizeof length);
      const char* name = buffer + at + 19;
      at += length;
      if (name[0] < '1' || name[0] > '9') continue;
      if (parent_of(proc, name) != self) continue;
      pid_t pid = 0;
      for (const char* c = name; *c >= '0' && *c <= '9'; ++c) pid = pid * 10 + (*c - '0');
      kill(pid, SIGKILL);
      ++killed;
    }
  }
  close(proc);
  return killed;
}

class Keeper {
 public:
  explicit Keeper(const ProgramStart& s) : s_(s) {}

  [[noreturn]] void run() {
    int keep[] = {s_.in, s_.out, s_.err, s_.report, s_.control, s_.status};
    close_others(keep, 6);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    // Terminal signals reach aha's process group, the keeper included: it stops only when aha
    // closes the control pipe (or dies, which closes it too).
    for (int signal : {SIGINT, SIGQUIT, SIGTERM, SIGHUP}) set_handler(signal, SIG_IGN);
    set_handler(SIGPIPE, SIG_IGN);
    // SIGCHLD stays blocked except inside ppoll, so that a child's exit wakes the wait below.
    set_handler(SIGCHLD, on_child);
    sigset_t blocked;
    sigprocmask(SIG_BLOCK, nullptr, &blocked);
    sigaddset(&blocked, SIGCHLD);
    sigprocmask(SIG_SETMASK, &blocked, nullptr);
    sigset_t waiting = blocked;
    sigdelset(&waiting, SIGCHLD);

    program_ = fork();
    if (program_ < 0) {
      send_failure(s_.report, StartStage::fork, errno);
      _exit(0);
    }
    if (program_ == 0) exec_program(s_);
    setpgid(program_, program_);  // as the program does, so that the group exists whoever runs first
    for (int fd : {s_.in, s_.out, s_.err, s_.report}) close(fd);
    while (true) {
      reap(WNOHANG);
      pollfd control{s_.control, POLLIN, 0};
      const int ready = ppoll(&control, 1, nullptr, &waiting);
      if (ready > 0 || (ready < 0 && errno != EINTR)) break;
    }
    kill_all();
    _exit(0);
  }

 private:
  // Reaps children that exited (waiting for one when `flags` is 0); reports the program's status.
  // Returns false when there are no children left.
  bool reap(int flags) {
    while (true) {
      int status = 0;
      const pid_t pid = waitpid(-1, &status, flags);
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0) return false;
      if (pid == 0) return true;
      if (pid == program_) {
        program_reaped_ = true;
        ssize_t ignored = write(s_.status, &status, sizeof status);
        (void)ignored;
      }
      flags = WNOHANG;
    }
  }

  // Kills the program's process group and every descendant, and reaps them: children are killed,
  // their orphans come to the keeper, and so on until none is left.
  void kill_all() {
    // While the program is not reaped its process-group id cannot be reused: the group goes first.
    if (!program_reaped_) kill(-program_, SIGKILL);
    const pid_t self = getpid();
    while (true) {
      const int killed = kill_children(self);
      if (killed < 0) return;  // without /proc, only the program's group was killed
      // A process that was still re-parenting when /proc was read shows up in the next pass.
      if (!reap(killed > 0 ? 0 : WNOHANG)) return;
      if (killed == 0) {
        const timespec pause{0, 1000000};
        nanosleep(&pause, nullptr);
      }
    }
  }

  const ProgramStart& s_;
  pid_t program_ = -1;
  bool program_reaped_ = false;
};

}  // namespace

void run_keeper(const ProgramStart& start) { Keeper(start).run(); }

}  // namespace aha::rl
