// `aha sft`: supervised fine-tuning on prompt-completion or conversational JSONL data.
#include "cli/train_command.hpp"

namespace aha::cli {
namespace {

const bool registered = register_command({
    "sft",
    "Supervised fine-tuning: aha sft --config F.yaml [--set k=v] [--resume [PATH]] [--overwrite]",
    [](CLI::App& app) { return setup_training_command(app, train::TrainMode::sft); },
});

}  // namespace
}  // namespace aha::cli
