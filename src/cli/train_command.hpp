// The options `aha pretrain` and `aha sft` share, and the action that runs the training loop.
#pragma once

#include "aha/train/config.hpp"
#include "cli/command.hpp"

namespace aha::cli {

// Adds --config, --set, --resume [PATH] and --skip-bad-lines to `app`; returns the action that
// loads the config for `mode` and runs it.
std::function<int()> setup_training_command(CLI::App& app, train::TrainMode mode);

}  // namespace aha::cli
