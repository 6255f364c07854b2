// `external`: a program the user names scores completions. Protocol: aha starts the program
// (fork/exec, no shell) once per score() call, writes one JSON object a line to its stdin,
// {"prompt": ..., "completion": ..., "answer": ...} with the dataset row's other fields beside them
// (as TRL passes a dataset's columns to reward functions), then closes stdin; the program writes one
// number a line to stdout, in order. A program that fails (cannot start, crashes, hangs past
// timeout_s waiting for a line, prints something that is not a number, prints too few lines)
// leaves the affected completions scored `on_error` and a warning with its stderr. The program
// gets an allow-listed environment plus `pass_env`, runs under limits (a process count among them,
// as nobody when aha is root), and everything it starts is killed when it is done (subprocess.hpp);
// `sandbox: bwrap` runs it inside bubblewrap as well.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <string_view>
#include <utility>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/options.hpp"
#include "aha/rl/rewards/subprocess.hpp"

namespace aha::rl {
namespace {

// Splits a command line into words: blanks separate, '…' and "…" quote, \ escapes a character.
std::vector<std::string> split_command(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < command.size()) {
        word.push_back(command[++i]);
      } else {
        word.push_back(c);
      }
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      in_word = true;
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '\\' && i + 1 < command.size()) {
        word.push_back(command[++i]);
      } else {
        word.push_back(c);
      }
    }
  }
  if (quote != 0) fail("reward external: unbalanced quote in \"command\": {}", command);
  if (in_word) words.push_back(word);
  return words;
}

std::vector<std::string> command_words(const nlohmann::json& options) {
  if (!options.is_object() || !options.contains("command"))
    fail("reward external: options need \"command\" (the program and its arguments, e.g. \"python3 score.py\")");
  const nlohmann::json& command = options.at("command");
  std::vector<std::string> words;
  if (command.is_string()) {
    words = split_command(command.get<std::string>());
  } else if (command.is_array()) {
    for (const nlohmann::json& w : command) {
      if (!w.is_string()) fail("reward external: \"command\" array must hold strings, got {}", json_type_name(w));
      words.push_back(w.get<std::string>());
    }
  } else {
    fail("reward external: \"command\" must be a string or an array of strings, got {}", json_type_name(command));
  }
  if (words.empty() || words[0].empty()) fail("reward external: \"command\" is empty");
  return words;
}

// The score on one answer line, or NaN when it is not a finite number.
double parse_score(const std::string& line) {
  const std::optional<Json> value = try_parse_json(line);
  if (value && value->is_number() && std::isfinite(value->get<double>())) return value->get<double>();
  return std::nan("");
}

// A name `pass_env` may hold: [A-Za-z_][A-Za-z0-9_]*.
bool is_variable_name(const std::string& name) {
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (name.empty() || !letter(name[0])) return false;
  for (char c : name)
    if (!letter(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

// bubblewrap's arguments before the program: the whole file system read-only, a private /tmp,
// minimal /dev and /proc, new user, pid, network, IPC, UTS and cgroup namespaces (no network but
// an unconnected loopback), a new session (no terminal), and killed with its parent.
const std::vector<std::string> kBwrapArguments = {
    "--ro-bind", "/",       "/",    "--dev",         "/dev",          "--proc",
    "/proc",     "--tmpfs", "/tmp", "--unshare-all", "--new-session", "--die-with-parent",
    "--"};

// `bwrap` with kBwrapArguments, checked to start a sandbox here (namespaces may be unavailable,
// e.g. in a container); the path to exec.
std::string bwrap_for(const std::string& program, const ProgramLimits& limits,
                      const std::vector<std::string>& environment) {
  const std::string bwrap = find_program("bwrap");
  if (bwrap.empty())
    fail(
        "reward external: option \"sandbox\" is \"bwrap\" but bubblewrap's bwrap is not on PATH (Debian: apt-get "
        "install bubblewrap)");
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::weakly_canonical(program, ec);
  if (!ec && real.string().rfind("/tmp/", 0) == 0)
    fail("reward external: option \"sandbox\" is \"bwrap\", whose /tmp is private, but the program {} lies in /tmp",
         program);
  std::vector<std::string> probe = {bwrap};
  probe.insert(probe.end(), kBwrapArguments.begin(), kBwrapArguments.end());
  const std::string truth = find_program("true");
  probe.push_back(truth.empty() ? "/bin/true" : truth);
  const ProgramRun run = run_program(bwrap, probe, "", 0, limits, environment);
  if (!run.clean_exit) {
    std::string why = run.stderr_tail.substr(0, run.stderr_tail.find('\n'));
    if (why.empty()) why = run.failure.empty() ? run.exit : run.failure;
    fail("reward external: option \"sandbox\" is \"bwrap\" but bwrap cannot make a sandbox here: {}", why);
  }
  return bwrap;
}

std::string shorten(const std::string& text, size_t limit) {
  return text.size() <= limit ? text : text.substr(0, limit) + "...";
}

class ExternalReward : public RewardFunction {
 public:
  ExternalReward(std::string label, std::vector<std::string> argv, std::string program,
                 std::vector<std::string> environment, double on_error, ProgramLimits limits, double cpu_s)
      : label_(std::move(label)),
        argv_(std::move(argv)),
        program_(std::move(program)),
        environment_(std::move(environment)),
        on_error_(on_error),
        limits_(limits),
        cpu_s_(cpu_s) {}

  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    std::vector<double> scores(inputs.size(), on_error_);
    if (inputs.empty()) return scores;
    std::string requests;
    for (const RewardInput& input : inputs) {
      nlohmann::json request = {{"prompt", input.prompt}, {"completion", input.completion}, {"answer", input.answer}};
      for (const auto& [key, value] : input.columns.items())
        if (!request.contains(key)) request[key] = value;
      requests += request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      requests.push_back('\n');
    }
    ProgramLimits limits = limits_;
    // Without a set CPU limit, the program may use timeout_s of CPU per answer (plus one for start-up).
    limits.cpu_s = cpu_s_ > 0 ? cpu_s_ : limits_.line_timeout_s * static_cast<double>(inputs.size() + 1);
    const ProgramRun run = run_program(program_, argv_, requests, inputs.size(), limits, environment_);
    std::vector<std::string> bad;  // the first few lines that are not numbers
    size_t not_numbers = 0;
    for (size_t i = 0; i < run.lines.size(); ++i) {
      const double x = parse_score(run.lines[i]);
      if (!std::isnan(x)) {
        scores[i] = x;
      } else if (++not_numbers <= 3) {
        bad.push_back(fmt::format("line {} is not a number: \"{}\"", i + 1, shorten(run.lines[i], 80)));
      }
    }
    if (!run.failure.empty() || not_numbers > 0 || !run.clean_exit)
      report(run, bad, inputs.size() - run.lines.size() + not_numbers, inputs.size());
    return scores;
  }

  std::vector<std::string> take_warnings() override { return std::exchange(warnings_, {}); }

 private:
  void report(const ProgramRun& run, const std::vector<std::string>& bad, size_t failed, size_t count) {
    std::string what = run.failure;
    for (const std::string& b : bad) {
      if (!what.empty()) what += "; ";
      what += b;
    }
    if (what.empty()) what = "all answers came";
    std::string message = fmt::format("reward external ({}): {}; {}; {} of {} completions scored on_error={}", label_,
                                      what, run.exit, failed, count, on_error_);
    if (!run.stderr_tail.empty()) {
      message += "; stderr: ";
      std::string_view tail = run.stderr_tail;
      while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.remove_suffix(1);
      message += tail;
    }
    warnings_.push_back(std::move(message));
  }

  std::string label_;              // the command's first word, for warnings
  std::vector<std::string> argv_;  // what is executed: the command, or bwrap and its arguments then the command
  std::string program_;
  std::vector<std::string> environment_;
  double on_error_;
  ProgramLimits limits_;
  double cpu_s_;
  std::vector<std::string> warnings_;
  std::string name_ = "external";
};

}  // namespace

std::unique_ptr<RewardFunction> make_external_reward(const nlohmann::json& options) {
  check_option_keys(options, "external",
                    {"command", "timeout_s", "on_error", "cpu_s", "memory_mb", "file_size_mb", "max_processes",
                     "pass_env", "sandbox"});
  std::vector<std::string> argv = command_words(options);
  std::string program = find_program(argv[0]);
  if (program.empty()) fail("reward external: program \"{}\" not found (or not executable)", argv[0]);
  if (!program_user_can_run(program))
    fail(
        "reward external: aha runs as root, so it runs reward programs as {}, who cannot execute {} (make it and its "
        "directories readable and executable by all, or run aha as another user)",
        program_user(), program);
  ProgramLimits limits;
  limits.line_timeout_s = number_option(options, "external", "timeout_s", 10, 0.001, 86400);
  limits.memory_mb = number_option(options, "external", "memory_mb", 4096, 0, 1 << 24);
  limits.file_size_mb = number_option(options, "external", "file_size_mb", 64, 0, 1 << 24);
  limits.max_processes = number_option(options, "external", "max_processes", 64, 0, 1 << 20);
  if (limits.max_processes != std::floor(limits.max_processes))
    fail("reward external: option \"max_processes\" is {}, expected a whole number", limits.max_processes);
  const double cpu_s = number_option(options, "external", "cpu_s", 0, 0, 1e7);
  const double on_error = number_option(options, "external", "on_error", 0, -1e9, 1e9);
  const std::vector<std::string> pass_env = string_list_option(options, "external", "pass_env");
  for (const std::string& name : pass_env)
    if (!is_variable_name(name))
      fail("reward external: option \"pass_env\" holds \"{}\", expected variable names ([A-Za-z_][A-Za-z0-9_]*)", name);
  std::vector<std::string> environment = program_environment(pass_env);
  const std::string label = argv[0];
  if (choice_option(options, "external", "sandbox", "none", {"none", "bwrap"}) == "bwrap") {
    std::string bwrap = bwrap_for(program, limits, environment);
    argv[0] = program;  // bwrap runs the path found here, not a name looked up on its PATH
    argv.insert(argv.begin(), kBwrapArguments.begin(), kBwrapArguments.end());
    argv.insert(argv.begin(), bwrap);
    program = std::move(bwrap);
  }
  return std::make_unique<ExternalReward>(label, std::move(argv), std::move(program), std::move(environment), on_error,
                                          limits, cpu_s);
}

}  // namespace aha::rl
