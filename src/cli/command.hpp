// The registry of `aha` subcommands. Each command file registers one Command at start-up.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "aha/base/progress.hpp"
#include "aha/model/compute_dtype.hpp"
#include "aha/tasks/task.hpp"

namespace aha::cli {

// Adds a command's options to its CLI11 app and returns the action to run once they are parsed;
// the action returns the exit status.
using CommandSetup = std::function<std::function<int()>(CLI::App&)>;

struct Command {
  std::string name;
  std::string summary;
  CommandSetup setup;
};

// Adds `command` to the registry; returns true so it can initialise a static.
bool register_command(Command command);

// Every registered command, sorted by name.
std::vector<Command> registered_commands();

// Adds --dtype (auto, float32, bfloat16 or q8_0: the dtype the model's matrices multiply in) to `app`;
// its value goes to `dtype`, which keeps its default (auto) when the option is absent.
void add_dtype_option(CLI::App& app, model::DTypeChoice& dtype);

// Parses a comma-separated list of token ids ("1,2,3"); `flag` names the option in errors.
std::vector<int32_t> parse_ids(const std::string& text, const std::string& flag);

// A progress line on stderr for `label`'s work counted in `unit`: a bar on a terminal, otherwise a
// plain line every `every_units` units (0: every 10 seconds) and one at the end.
ProgressOptions stderr_progress(const std::string& label, const std::string& unit, int64_t every_units);

// `task` under its current name (tasks::current_task_name for `kind`); a deprecated name's notice
// goes to stderr, once, from rank 0.
std::string current_task(const std::string& task, tasks::TaskKind kind);

}  // namespace aha::cli
