// The options `aha pretrain` and `aha sft` share, and the action that runs the training loop.
#pragma once

#include "aha/train/config.hpp"
#include "cli/command.hpp"

namespace aha::cli {

// --overwrite's help text, which every training command shares.
inline constexpr const char* kOverwriteHelp =
    "Train into an output_dir that holds files but no checkpoint (replacing them) or, without --resume, delete the "
    "checkpoints there and start afresh (config key overwrite_output_dir)";

// Adds --config, --set, --resume [PATH], --overwrite and --skip-bad-lines to `app`; returns the
// action that loads the config for `mode` and runs it.
std::function<int()> setup_training_command(CLI::App& app, train::TrainMode mode);

}  // namespace aha::cli
