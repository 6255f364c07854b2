// `aha grpo`: reinforcement learning with verifiable rewards (GRPO, as DeepSeek-R1 and TRL).
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "aha/base/threads.hpp"
#include "aha/dist/world.hpp"
#include "aha/eval/policy_eval.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/train/config_reader.hpp"
#include "cli/command.hpp"
#include "cli/train_command.hpp"

namespace aha::cli {
namespace {

struct GrpoOptions {
  std::string config;
  std::vector<std::string> sets;
  std::string resume_path;
  bool overwrite = false;
};

int run(const GrpoOptions& o, CLI::App& app) {
  std::vector<std::string> sets = o.sets;
  if (o.overwrite) sets.push_back("overwrite_output_dir=true");
  rl::GrpoConfig config = rl::load_grpo_config(o.config, sets);
  if (!config.dataset_task.empty()) config.dataset_task = current_task(config.dataset_task, tasks::TaskKind::prompts);
  if (!config.eval_dataset_task.empty())
    config.eval_dataset_task = current_task(config.eval_dataset_task, tasks::TaskKind::prompts);
  train::check_input_paths(o.config, {{"model_name_or_path", config.model_name_or_path},
                                      {"dataset_path", config.dataset_path},
                                      {"eval_dataset_path", config.eval_dataset_path}});
  if (app.count("--threads") == 0 && config.threads > 0) set_num_threads(static_cast<int>(config.threads));
  config.threads = num_threads();
  rl::GrpoRunOptions run;
  if (app.count("--resume") > 0)
    run.resume = o.resume_path.empty() ? train::ResumeMode::newest : train::ResumeMode::path;
  run.resume_path = o.resume_path;
  std::optional<ProgressReporter> progress;
  if (dist::world().rank() == 0) {  // under mpirun, rank 0 speaks for the job
    run.notice = [](const std::string& line) { fmt::print(stderr, "aha: {}\n", line); };
    progress.emplace(stderr_progress("grpo", "steps", config.logging_steps));
    run.progress = train::report_progress(*progress);
  }
  rl::GrpoInputs inputs = rl::load_grpo_inputs(config);
  inputs.evaluate = eval::policy_evaluator(config);
  if (run.notice && !inputs.prompt_notice.empty()) run.notice(inputs.prompt_notice);
  rl::run_grpo(config, inputs, run);
  if (progress) progress->finish();
  return 0;
}

const bool registered = register_command({
    "grpo",
    "Reinforcement learning with verifiable rewards (GRPO): aha grpo --config F.yaml [--set k=v] [--resume [PATH]] "
    "[--overwrite]",
    [](CLI::App& app) -> std::function<int()> {
      auto o = std::make_shared<GrpoOptions>();
      app.add_option("--config", o->config, "YAML config with TRL's GRPOConfig key names (docs/grpo.md)")->required();
      app.add_option("--set", o->sets, "Override a config key: --set key=value (repeatable)")
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      app.add_option("--resume", o->resume_path,
                     "Continue from the newest checkpoint in output_dir, or from checkpoint PATH")
          ->expected(0, 1);
      app.add_flag("--overwrite", o->overwrite, kOverwriteHelp);
      CLI::App* self = &app;
      return [o, self] { return run(*o, *self); };
    },
});

}  // namespace
}  // namespace aha::cli
