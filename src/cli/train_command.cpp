#include "cli/train_command.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

#include "aha/base/threads.hpp"
#include "aha/dist/world.hpp"
#include "aha/train/trainer.hpp"

namespace aha::cli {
namespace {

struct TrainOptions {
  std::string config;
  std::vector<std::string> sets;
  std::string resume_path;
  bool skip_bad_lines = false;
  bool overwrite = false;
};

int run(const TrainOptions& o, CLI::App& app, train::TrainMode mode) {
  std::vector<std::string> sets = o.sets;
  if (o.skip_bad_lines) sets.push_back("skip_bad_lines=true");
  if (o.overwrite) sets.push_back("overwrite_output_dir=true");
  train::TrainConfig config = train::load_train_config(o.config, mode, sets);
  if (!config.dataset_task.empty())
    config.dataset_task = current_task(
        config.dataset_task, mode == train::TrainMode::pretrain ? tasks::TaskKind::text : tasks::TaskKind::prompts);
  train::check_input_paths(config, o.config);
  // --threads on the command line wins over the config's threads.
  if (app.count("--threads") == 0 && config.threads > 0) set_num_threads(static_cast<int>(config.threads));
  config.threads = num_threads();
  train::RunOptions run;
  if (app.count("--resume") > 0)
    run.resume = o.resume_path.empty() ? train::ResumeMode::newest : train::ResumeMode::path;
  run.resume_path = o.resume_path;
  std::optional<ProgressReporter> progress;
  if (dist::world().rank() == 0) {  // under mpirun, rank 0 speaks for the job
    run.notice = [](const std::string& line) { fmt::print(stderr, "aha: {}\n", line); };
    const char* label = mode == train::TrainMode::sft ? "sft" : "pretrain";
    progress.emplace(stderr_progress(label, "steps", config.logging_steps));
    run.progress = train::report_progress(*progress);
  }
  train::run_training(config, run);
  if (progress) progress->finish();
  return 0;
}

}  // namespace

std::function<int()> setup_training_command(CLI::App& app, train::TrainMode mode) {
  auto o = std::make_shared<TrainOptions>();
  app.add_option("--config", o->config,
                 "YAML config with TRL's key names (docs/training.md); use_peft: true trains LoRA adapters "
                 "and writes PEFT adapter directories")
      ->required();
  app.add_option("--set", o->sets, "Override a config key: --set key=value (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--resume", o->resume_path,
                 "Continue from the newest checkpoint in output_dir, or from checkpoint PATH")
      ->expected(0, 1);
  app.add_flag("--overwrite", o->overwrite, kOverwriteHelp);
  app.add_flag("--skip-bad-lines", o->skip_bad_lines, "Skip malformed dataset lines (counted in metrics)");
  CLI::App* self = &app;
  return [o, self, mode] { return run(*o, *self, mode); };
}

}  // namespace aha::cli
