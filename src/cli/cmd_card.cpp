// `aha card`: writes a model's card (README.md) and EU training summary (TRAINING_SUMMARY.md,
// training_summary.json) from its provenance.json, eval results and provider.yaml.
#include <fmt/format.h>

#include <memory>

#include "aha/compliance/model_card.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct CardOptions {
  std::string model, provider;
  bool overwrite = false;
};

const bool registered = register_command({
    "card",
    "Write README.md (model card), TRAINING_SUMMARY.md and training_summary.json for a model",
    [](CLI::App& app) {
      auto o = std::make_shared<CardOptions>();
      app.add_option("--model", o->model, "Model directory holding provenance.json")->required();
      app.add_option("--provider", o->provider,
                     "provider.yaml with what aha cannot know (default: MODEL/provider.yaml; docs/provenance.md)");
      app.add_flag("--overwrite", o->overwrite,
                   "Replace README.md, TRAINING_SUMMARY.md and training_summary.json where they exist (without it, "
                   "an existing one stops the command before it writes anything)");
      return [o] {
        for (const std::string& path : compliance::write_card(o->model, o->provider, o->overwrite))
          fmt::print("{}\n", path);
        return 0;
      };
    },
});

}  // namespace
}  // namespace aha::cli
