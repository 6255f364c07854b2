#include "aha/rl/rewards/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace aha::rl {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kStderrKeep = 4096;
constexpr size_t kMaxLine = 1 << 20;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void set_limit(int resource, double amount, double scale) {
  if (amount <= 0) return;
  const double value = std::ceil(amount * scale);
  rlimit limit{};
  limit.rlim_cur = static_cast<rlim_t>(value);
  // The CPU limit's hard value one second later turns SIGXCPU into SIGKILL for programs that catch it.
  limit.rlim_max = resource == RLIMIT_CPU ? limit.rlim_cur + 1 : limit.rlim_cur;
  setrlimit(resource, &limit);
}

// In the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const char* program, char* const* argv, int in, int out, int err, int report,
                             const ProgramLimits& limits) {
  setpgid(0, 0);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  set_limit(RLIMIT_CPU, limits.cpu_s, 1);
  set_limit(RLIMIT_AS, limits.memory_mb, 1024.0 * 1024.0);
  set_limit(RLIMIT_FSIZE, limits.file_size_mb, 1024.0 * 1024.0);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execv(program, argv);
  const int error = errno;
  ssize_t ignored = write(report, &error, sizeof error);
  (void)ignored;
  _exit(127);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "stopped";
}

void keep_tail(std::string& tail, const char* data, size_t size) {
  tail.append(data, size);
  if (tail.size() > kStderrKeep) tail.erase(0, tail.size() - kStderrKeep);
}

// Blocks SIGPIPE in this thread for its lifetime; a SIGPIPE raised meanwhile is discarded.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1 && sigismember(&old_, SIGPIPE) == 0) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_, old_;
};

struct Pipes {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
  ~Pipes() {
    for (int* p : {in, out, err, report}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
  }
};

// The exchange with a started program: writes `input`, collects lines and stderr.
class Exchange {
 public:
  Exchange(Pipes& pipes, const std::string& input, size_t expected, const ProgramLimits& limits, ProgramRun& run)
      : p_(pipes), input_(input), expected_(expected), limits_(limits), run_(run) {}

  // Runs until all lines came or something failed (run_.failure says what).
  void talk() {
    auto deadline = Clock::now() + seconds(limits_.line_timeout_s);
    if (input_.empty()) close_fd(p_.in[1]);
    while (run_.lines.size() < expected_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        timed_out_ = true;
        run_.failure = fmt::format("no answer within {} s (after {} of {} answers)", limits_.line_timeout_s,
                                   run_.lines.size(), expected_);
        return;
      }
      pollfd fds[3] = {{p_.out[0], POLLIN, 0}, {p_.err[0], POLLIN, 0}, {p_.in[1], POLLOUT, 0}};
      if (poll(fds, 3, static_cast<int>(std::min<int64_t>(left, 1000))) < 0 && errno != EINTR) {
        run_.failure = fmt::format("poll failed: {}", std::strerror(errno));
        return;
      }
      if (fds[2].revents != 0) write_input();
      if (fds[1].revents != 0) read_stderr();
      if (fds[0].revents != 0) {
        const size_t before = run_.lines.size();
        if (!read_stdout()) return;
        if (run_.lines.size() > before) deadline = Clock::now() + seconds(limits_.line_timeout_s);
      }
    }
  }

  // Whether the program hung past the time limit for a line.
  bool timed_out() const { return timed_out_; }

  // Reads what is left on stderr without waiting.
  void drain_stderr() {
    while (p_.err[0] >= 0) {
      pollfd fd{p_.err[0], POLLIN, 0};
      if (poll(&fd, 1, 0) <= 0) return;
      read_stderr();
    }
  }

  // Waits up to `s` seconds for the program to exit by itself, reading stderr; true when it did.
  // It is left a zombie (not reaped), so that its process group id stays reserved.
  bool wait_exit(pid_t pid, double s) {
    const auto deadline = Clock::now() + seconds(s);
    while (true) {
      siginfo_t info{};
      if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
        return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd fd{p_.err[0], POLLIN, 0};
      if (poll(&fd, p_.err[0] >= 0 ? 1 : 0, static_cast<int>(std::min<int64_t>(left, 20))) > 0) read_stderr();
    }
  }

 private:
  static Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  void write_input() {
    while (p_.in[1] >= 0 && written_ < input_.size()) {
      const ssize_t n = ::write(p_.in[1], input_.data() + written_, input_.size() - written_);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (n <= 0) {
        close_fd(p_.in[1]);  // it stopped reading (EPIPE); its answers may still come
        return;
      }
      written_ += static_cast<size_t>(n);
    }
    if (written_ == input_.size()) close_fd(p_.in[1]);
  }

  void read_stderr() {
    char buffer[4096];
    const ssize_t n = ::read(p_.err[0], buffer, sizeof buffer);
    if (n > 0) {
      keep_tail(run_.stderr_tail, buffer, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close_fd(p_.err[0]);
    }
  }

  // False when stdout ended or a line grew too long (run_.failure set).
  bool read_stdout() {
    char buffer[65536];
    const ssize_t n = ::read(p_.out[0], buffer, sizeof buffer);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n <= 0) {
      if (!partial_.empty()) run_.lines.push_back(std::move(partial_));  // a last line without '\n'
      partial_.clear();
      if (run_.lines.size() == expected_) return true;
      run_.failure = fmt::format("it closed its output after {} of {} answers", run_.lines.size(), expected_);
      return false;
    }
    partial_.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl = partial_.find('\n'); nl != std::string::npos && run_.lines.size() < expected_;
         nl = partial_.find('\n', start)) {
      run_.lines.push_back(partial_.substr(start, nl - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
    if (partial_.size() > kMaxLine) {
      run_.failure = fmt::format("answer line {} is longer than {} bytes", run_.lines.size() + 1, kMaxLine);
      return false;
    }
    return true;
  }

  Pipes& p_;
  const std::string& input_;
  size_t expected_;
  const ProgramLimits& limits_;
  ProgramRun& run_;
  size_t written_ = 0;
  std::string partial_;
  bool timed_out_ = false;
};

}  // namespace

std::string find_program(const std::string& name) {
  auto executable = [](const std::string& path) {
    struct stat info {};
    return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && access(path.c_str(), X_OK) == 0;
  };
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return executable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t begin = 0;
  while (begin <= dirs.size()) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = end > begin ? dirs.substr(begin, end - begin) : ".";
    candidate.push_back('/');
    candidate += name;
    if (executable(candidate)) return candidate;
    begin = end + 1;
  }
  return "";
}

ProgramRun run_program(const std::string& program, const std::vector<std::string>& argv, const std::string& input,
                       size_t expected_lines, const ProgramLimits& limits) {
  ProgramRun run;
  SigpipeBlock sigpipe;
  Pipes p;
  for (int* fds : {p.in, p.out, p.err, p.report}) {
    if (pipe2(fds, O_CLOEXEC) != 0) {
      run.failure = fmt::format("cannot create a pipe: {}", std::strerror(errno));
      return run;
    }
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    run.failure = fmt::format("cannot start it: {}", std::strerror(errno));
    return run;
  }
  if (pid == 0) exec_child(program.c_str(), args.data(), p.in[0], p.out[1], p.err[1], p.report[1], limits);
  setpgid(pid, pid);
  for (int* fd : {&p.in[0], &p.out[1], &p.err[1], &p.report[1]}) close_fd(*fd);
  int exec_error = 0;
  ssize_t got;
  do got = ::read(p.report[0], &exec_error, sizeof exec_error);
  while (got < 0 && errno == EINTR);
  int status = 0;
  if (got == static_cast<ssize_t>(sizeof exec_error)) {
    waitpid(pid, &status, 0);
    run.failure = fmt::format("cannot run {}: {}", program, std::strerror(exec_error));
    run.exit = describe_status(status);
    return run;
  }
  for (int fd : {p.in[1], p.out[0], p.err[0]}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  Exchange exchange(p, input, expected_lines, limits, run);
  exchange.talk();
  close_fd(p.in[1]);
  // A program that answered, or stopped answering without hanging, gets a moment to exit by itself.
  const bool ended = exchange.wait_exit(pid, exchange.timed_out() ? 0 : limits.exit_grace_s);
  const bool exited = ended && run.failure.empty();
  kill(-pid, SIGKILL);  // the program if still running, and whatever it left running in its group
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  exchange.drain_stderr();
  run.exit = ended ? describe_status(status) : "killed by aha while still running";
  run.clean_exit = exited && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return run;
}

}  // namespace aha::rl
