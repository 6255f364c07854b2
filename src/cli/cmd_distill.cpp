// `aha distill`: a teacher samples completions, rewards keep the correct ones (rejection sampling),
// and the kept pairs become an SFT dataset.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "aha/base/threads.hpp"
#include "aha/dist/world.hpp"
#include "aha/rl/distill.hpp"
#include "aha/train/config_reader.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct DistillOptions {
  std::string config;
  std::vector<std::string> sets;
  bool overwrite = false;
};

int run(const DistillOptions& o, CLI::App& app) {
  std::vector<std::string> sets = o.sets;
  if (o.overwrite) sets.push_back("overwrite_output_dir=true");
  rl::DistillConfig config = rl::load_distill_config(o.config, sets);
  if (!config.dataset_task.empty()) config.dataset_task = current_task(config.dataset_task, tasks::TaskKind::prompts);
  train::check_input_paths(o.config,
                           {{"model_name_or_path", config.model_name_or_path}, {"dataset_path", config.dataset_path}});
  if (app.count("--threads") == 0 && config.threads > 0) set_num_threads(static_cast<int>(config.threads));
  std::optional<ProgressReporter> progress;
  // Under mpirun, rank 0 speaks for the job and shows its own share's progress.
  if (dist::world().rank() == 0) progress.emplace(stderr_progress("distill", "completions", 0));
  const rl::DistillSummary s = rl::run_distill(config, progress ? progress->callback() : ProgressCallback());
  if (!progress) return 0;
  progress->finish();
  if (s.prompts_truncated > 0 || s.prompts_skipped > 0)
    fmt::print(stderr, "aha: {} prompts truncated from the left, {} left out (prompt_truncation: {})\n",
               s.prompts_truncated, s.prompts_skipped, config.prompt_truncation);
  fmt::print(
      "{} prompts, {} completions generated ({} without EOS, {} rejected, {} duplicates), {} kept ({} prompts with at "
      "least one): {}\n",
      s.prompts, s.generated, s.no_eos, s.rejected, s.duplicates, s.kept, s.prompts_with_kept, s.dataset_path);
  return 0;
}

const bool registered = register_command({
    "distill",
    "Rejection-sampling distillation into an SFT dataset: aha distill --config F.yaml [--set k=v] [--overwrite]",
    [](CLI::App& app) -> std::function<int()> {
      auto o = std::make_shared<DistillOptions>();
      app.add_option("--config", o->config, "YAML config (docs/grpo.md, section distill)")->required();
      app.add_option("--set", o->sets, "Override a config key: --set key=value (repeatable)")
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      app.add_flag("--overwrite", o->overwrite,
                   "Replace train.jsonl and DATASET.yaml where output_dir holds them already (config key "
                   "overwrite_output_dir)");
      CLI::App* self = &app;
      return [o, self] { return run(*o, *self); };
    },
});

}  // namespace
}  // namespace aha::cli
