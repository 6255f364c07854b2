// The aha executable: parses the command line, runs one subcommand, maps errors to exit codes.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <new>

#include "aha/backend/cpu/isa.hpp"
#include "aha/base/error.hpp"
#include "aha/base/threads.hpp"
#include "aha/dist/world.hpp"
#include "aha/version_commit.hpp"
#include "cli/command.hpp"

namespace {

constexpr int kExitOk = 0, kExitInternal = 1, kExitUsage = 2;

// One line on stderr: CLI11's messages can span lines, the contract wants one.
int report(const std::string& message, int status) {
  std::string line = message;
  for (char& ch : line)
    if (ch == '\n') ch = ' ';
  while (!line.empty() && line.back() == ' ') line.pop_back();
  fmt::print(stderr, "aha: {}\n", line);
  return status;
}

bool is_command(const std::string& name) {
  for (const auto& command : aha::cli::registered_commands())
    if (command.name == name) return true;
  return false;
}

// The message for the first argument the chosen subcommand did not recognise, or "".
std::string unexpected_argument(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands())
    if (!sub->remaining().empty())
      return fmt::format("{}: unknown option or argument '{}' (aha {} --help lists them)", sub->get_name(),
                         sub->remaining().front(), sub->get_name());
  if (!app.remaining().empty())
    return fmt::format("unknown option or argument '{}' (aha --help lists them)", app.remaining().front());
  return "";
}

int run(int argc, char** argv) {
  CLI::App app("aha: train small reasoning models the DeepSeek-R1 way, on a CPU, and run them", "aha");
  app.require_subcommand(1);
  app.allow_extras();
  // The ISA level is detected (and AHA_ISA checked) only when asked for, as the kernels do.
  app.set_version_flag("--version", [] {
    return fmt::format("aha {} (commit {}; bf16 kernels: {})", AHA_VERSION, AHA_GIT_COMMIT,
                       aha::backend::cpu::isa_name(aha::backend::cpu::isa_level()));
  });
  std::function<int()> action;
  int threads = 0;
  for (const auto& command : aha::cli::registered_commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->allow_extras();
    sub->add_option(
           "--threads", threads,
           "Worker threads (default: AHA_NUM_THREADS, else all cores; under mpirun, divided by the ranks on the node)")
        ->check(CLI::Range(1, 4096));
    auto run_command = command.setup(*sub);
    sub->callback([&action, run_command] { action = run_command; });
  }
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1]))
    return report(fmt::format("unknown command '{}' (aha --help lists them)", argv[1]), kExitUsage);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // An unknown flag is the better message than the missing required option it displaced.
    if (std::string extra = unexpected_argument(app); !extra.empty()) return report(extra, kExitUsage);
    return report(e.what(), kExitUsage);
  }
  if (std::string extra = unexpected_argument(app); !extra.empty()) return report(extra, kExitUsage);
  const std::string command = app.get_subcommands().front()->get_name();
  const std::vector<std::string> parallel = {"pretrain", "sft", "grpo", "eval", "distill"};
  if (aha::dist::world().size() > 1 && std::find(parallel.begin(), parallel.end(), command) == parallel.end())
    return report(fmt::format("aha {} runs in one process: under mpirun only pretrain, sft, grpo, eval and distill "
                              "are data-parallel (run it without mpirun)",
                              command),
                  kExitUsage);
  if (threads > 0) aha::set_num_threads(threads);
  return action();
}

}  // namespace

// With several ranks an error ends the whole job: this rank names itself on its line, and the
// others, waiting in a collective, are stopped with the same status.
int fail_job(const std::string& message, int status) {
  aha::dist::Communicator& world = aha::dist::world();
  if (world.size() == 1) return report(message, status);
  report(fmt::format("rank {} of {}: {}", world.rank(), world.size(), message), status);
  std::fflush(stderr);
  aha::dist::abort_world(status);
}

int main(int argc, char** argv) {
  int status = kExitOk;
  try {
    aha::dist::join_world(&argc, &argv);
    status = run(argc, argv);
  } catch (const aha::Error& e) {
    return fail_job(e.what(), e.kind() == aha::ErrorKind::internal ? kExitInternal : kExitUsage);
  } catch (const std::bad_alloc&) {
    return fail_job("out of memory", kExitInternal);
  } catch (const std::exception& e) {
    return fail_job(fmt::format("internal error: {}", e.what()), kExitInternal);
  }
  if (status != kExitOk && aha::dist::world().size() > 1) aha::dist::abort_world(status);
  aha::dist::leave_world();
  return status;
}
