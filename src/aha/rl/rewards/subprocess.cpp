#include "aha/rl/rewards/subprocess.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "aha/rl/rewards/keeper.hpp"

namespace aha::rl {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kStderrKeep = 4096;
constexpr size_t kMaxLine = 1 << 20;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
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
  int control[2] = {-1, -1}, status[2] = {-1, -1};  // to and from the keeper
  ~Pipes() {
    for (int* p : {in, out, err, report, control, status}) {
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

  // Waits up to `s` seconds for the keeper to report the program's exit, reading stderr; true (and
  // the wait status in `status`) when it exited.
  bool wait_exit(double s, int& status) {
    const auto deadline = Clock::now() + seconds(s);
    while (true) {
      pollfd fds[2] = {{p_.status[0], POLLIN, 0}, {p_.err[0], POLLIN, 0}};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (poll(fds, p_.err[0] >= 0 ? 2 : 1, static_cast<int>(std::clamp<int64_t>(left, 0, 1000))) < 0 && errno != EINTR)
        return false;
      if (fds[0].revents != 0) return ::read(p_.status[0], &status, sizeof status) == sizeof status;
      if (fds[1].revents != 0) read_stderr();
      if (left <= 0) return false;
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

// The user a root aha runs programs as: nobody, or uid and gid 65534 where there is no such entry.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 65534;
  gid_t gid = 65534;
};

RunAs run_as() {
  RunAs who;
  if (geteuid() != 0) return who;
  who.switch_user = true;
  passwd entry{}, *found = nullptr;
  char buffer[4096];
  if (getpwnam_r("nobody", &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr)
    who.uid = entry.pw_uid, who.gid = entry.pw_gid;
  return who;
}

// How many tasks (threads) processes whose real user is `uid` run now, as /proc shows them: what
// RLIMIT_NPROC counts before the program starts.
rlim_t tasks_of(uid_t uid) {
  rlim_t tasks = 0;
  std::error_code ec;
  // Entries vanish while this reads them: errors end the count instead of throwing.
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::filesystem::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream status(entry.path() / "status");
    std::string line;
    bool mine = false;
    while (std::getline(status, line)) {
      std::istringstream fields(line);
      std::string key;
      long long value = -1;
      fields >> key >> value;
      if (key == "Uid:") mine = value == static_cast<long long>(uid);
      if (key == "Threads:" && mine && value > 0) tasks += static_cast<rlim_t>(value);
    }
  }
  return tasks;
}

std::string start_failure(const StartFailure& f, const std::string& program) {
  const std::string user = program_user();
  switch (f.stage) {
    case StartStage::fork: return fmt::format("cannot start it: {}", std::strerror(f.error));
    case StartStage::user: return fmt::format("cannot switch to {} to run it: {}", user, std::strerror(f.error));
    case StartStage::exec: break;
  }
  return fmt::format("cannot run {}{}: {}", program, user.empty() ? "" : " as " + user, std::strerror(f.error));
}

// Ends the keeper, which kills whatever of the program still runs, and reaps it; also when an
// exception leaves run_program.
class KeeperGuard {
 public:
  KeeperGuard(pid_t keeper, int& control) : keeper_(keeper), control_(control) {}
  ~KeeperGuard() { stop(); }
  KeeperGuard(const KeeperGuard&) = delete;
  KeeperGuard& operator=(const KeeperGuard&) = delete;
  void stop() {
    if (keeper_ < 0) return;
    close_fd(control_);
    int status = 0;
    while (waitpid(keeper_, &status, 0) < 0 && errno == EINTR) {
    }
    keeper_ = -1;
  }

 private:
  pid_t keeper_;
  int& control_;
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

std::vector<std::string> program_environment(const std::vector<std::string>& pass_env) {
  std::vector<std::string> names(std::begin(kProgramEnvironment), std::end(kProgramEnvironment));
  names.insert(names.end(), pass_env.begin(), pass_env.end());
  std::vector<std::string> environment;
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i))
      continue;
    if (const char* value = std::getenv(names[i].c_str())) environment.push_back(names[i] + "=" + value);
  }
  return environment;
}

std::string program_user() {
  const RunAs who = run_as();
  if (!who.switch_user) return "";
  passwd entry{}, *found = nullptr;
  char buffer[4096];
  const bool named = getpwuid_r(who.uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr;
  return fmt::format("user {} (uid {})", named ? entry.pw_name : "nobody", who.uid);
}

bool program_user_can_run(const std::string& path) {
  const RunAs who = run_as();
  if (!who.switch_user) return true;
  const char* file = path.c_str();
  const pid_t pid = fork();
  if (pid < 0) return true;  // the run will say what fails
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(2);
    _exit(access(file, X_OK) == 0 ? 0 : 1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return !(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

ProgramRun run_program(const std::string& program, const std::vector<std::string>& argv, const std::string& input,
                       size_t expected_lines, const ProgramLimits& limits,
                       const std::vector<std::string>& environment) {
  ProgramRun run;
  SigpipeBlock sigpipe;
  Pipes p;
  for (int* fds : {p.in, p.out, p.err, p.report, p.control, p.status}) {
    if (pipe2(fds, O_CLOEXEC) != 0) {
      run.failure = fmt::format("cannot create a pipe: {}", std::strerror(errno));
      return run;
    }
  }
  std::vector<char*> args, env;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : environment) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  const RunAs who = run_as();
  ProgramStart start;
  start.program = program.c_str();
  start.argv = args.data();
  start.envp = env.data();
  start.in = p.in[0], start.out = p.out[1], start.err = p.err[1], start.report = p.report[1];
  start.control = p.control[0], start.status = p.status[1];
  start.cpu_s = limits.cpu_s, start.memory_mb = limits.memory_mb, start.file_size_mb = limits.file_size_mb;
  // RLIMIT_NPROC counts every task of the user: what it runs already (and the keeper, when it runs
  // as the same user) plus the program's allowance.
  if (limits.max_processes > 0)
    start.max_tasks = tasks_of(who.switch_user ? who.uid : getuid()) + (who.switch_user ? 0 : 1) +
                      static_cast<rlim_t>(limits.max_processes);
  start.switch_user = who.switch_user, start.uid = who.uid, start.gid = who.gid;
  const pid_t keeper = fork();
  if (keeper < 0) {
    run.failure = fmt::format("cannot start it: {}", std::strerror(errno));
    return run;
  }
  if (keeper == 0) run_keeper(start);
  KeeperGuard guard(keeper, p.control[1]);
  for (int* fd : {&p.in[0], &p.out[1], &p.err[1], &p.report[1], &p.control[0], &p.status[1]}) close_fd(*fd);
  StartFailure failure{};
  ssize_t got;
  do got = ::read(p.report[0], &failure, sizeof failure);
  while (got < 0 && errno == EINTR);
  int status = 0;
  if (got == static_cast<ssize_t>(sizeof failure)) {
    run.failure = start_failure(failure, program);
    guard.stop();
    if (failure.stage != StartStage::fork && ::read(p.status[0], &status, sizeof status) == sizeof status)
      run.exit = describe_status(status);
    return run;
  }
  for (int fd : {p.in[1], p.out[0], p.err[0]}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  Exchange exchange(p, input, expected_lines, limits, run);
  exchange.talk();
  close_fd(p.in[1]);
  // A program that answered, or stopped answering without hanging, gets a moment to exit by itself.
  const bool ended = exchange.wait_exit(exchange.timed_out() ? 0 : limits.exit_grace_s, status);
  const bool exited = ended && run.failure.empty();
  guard.stop();  // the program if still running, and every process it started
  exchange.drain_stderr();
  run.exit = ended ? describe_status(status) : "killed by aha while still running";
  run.clean_exit = exited && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return run;
}

}  // namespace aha::rl
