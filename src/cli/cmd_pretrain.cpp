// `aha pretrain`: train a causal language model on plain text (packed into max_length blocks).
#include "cli/train_command.hpp"

namespace aha::cli {
namespace {

const bool registered = register_command({
    "pretrain",
    "Pretrain a model on plain text: aha pretrain --config F.yaml [--set k=v] [--resume [PATH]] [--overwrite]",
    [](CLI::App& app) { return setup_training_command(app, train::TrainMode::pretrain); },
});

}  // namespace
}  // namespace aha::cli
