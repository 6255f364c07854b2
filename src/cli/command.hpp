// The registry of `aha` subcommands. Each command file registers one Command at start-up.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "aha/model/compute_dtype.hpp"

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

// Adds --dtype (auto, float32 or bfloat16: the dtype the model's matrices multiply in) to `app`;
// its value goes to `dtype`, which keeps its default (auto) when the option is absent.
void add_dtype_option(CLI::App& app, model::DTypeChoice& dtype);

// Parses a comma-separated list of token ids ("1,2,3"); `flag` names the option in errors.
std::vector<int32_t> parse_ids(const std::string& text, const std::string& flag);

}  // namespace aha::cli
