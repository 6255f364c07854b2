// `aha eval`: pass@k, maj@k and completion length of a model on a prompt dataset or built-in task,
// scored by a verifiable reward; writes items.jsonl, summary.json and summary.md.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "aha/base/error.hpp"
#include "aha/data/prompts.hpp"
#include "aha/dist/world.hpp"
#include "aha/eval/evaluation.hpp"
#include "aha/io/gguf/reader.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct EvalCli {
  eval::EvalOptions o;
  std::string data, task, split = "test", ks = "1", out, reward_options, prompt_truncation = "left";
  std::optional<int64_t> count;  // not given: --task 100 items, --data all
};

// Where the evaluation of MODEL.gguf goes by default: MODEL-eval beside the file.
std::string gguf_eval_dir(const std::string& model) {
  return std::filesystem::path(model).replace_extension("").string() + "-eval";
}

std::vector<int64_t> parse_ks(const std::string& text) {
  std::vector<int64_t> ks;
  for (int32_t k : parse_ids(text, "--k")) ks.push_back(k);
  return ks;
}

int run_eval(EvalCli c) {
  eval::EvalOptions& o = c.o;
  if (c.data.empty() == c.task.empty()) fail("give exactly one of --data and --task");
  o.ks = parse_ks(c.ks);
  if (o.samples < 1) fail("--samples must be at least 1, got {}", o.samples);
  if (o.max_tokens < 1) fail("--max-tokens must be at least 1, got {}", o.max_tokens);
  for (int64_t k : o.ks)
    if (k < 1 || k > o.samples) fail("--k {}: each k must be in 1 .. --samples ({})", k, o.samples);
  if (c.count && *c.count < 1) fail("--count must be at least 1, got {}", *c.count);
  if (!c.reward_options.empty()) o.reward_options = parse_json(c.reward_options, "--reward-options");
  o.prompt_truncation = data::parse_prompt_truncation(c.prompt_truncation, "--prompt-truncation");
  if (!c.data.empty()) {
    o.items = data::read_prompt_dataset(c.data);
    if (c.count && *c.count < static_cast<int64_t>(o.items.size())) o.items.resize(static_cast<size_t>(*c.count));
    o.name = std::filesystem::path(c.data).stem().string();
    o.origin = c.data;
    o.dataset = ledger::fingerprint_file(c.data, "eval", static_cast<int64_t>(o.items.size()), 0);
  } else {
    c.task = current_task(c.task, tasks::TaskKind::prompts);
    const int64_t count = c.count.value_or(100);
    o.items = tasks::generate_task(c.task, c.split, count, o.sampling.seed);
    o.name = c.task;
    o.origin = "--task " + c.task;
    o.dataset = ledger::generator_record(c.task, "1", {{"split", c.split}, {"count", count}}, o.sampling.seed, "eval",
                                         static_cast<int64_t>(o.items.size()), 0);
  }
  std::optional<ProgressReporter> progress;
  if (dist::world().rank() == 0) {  // under mpirun, rank 0 shows its own share's progress
    progress.emplace(stderr_progress("eval", "completions", 0));
    o.progress = progress->callback();
  }
  const eval::EvalResult result = eval::run_evaluation(o);
  if (!progress) return 0;  // under mpirun, rank 0 writes and speaks for the job
  progress->finish();
  const std::string out = !c.out.empty()                        ? c.out
                          : io::gguf::is_gguf_path(o.model_dir) ? gguf_eval_dir(o.model_dir) + "/" + o.name
                                                                : o.model_dir + "/eval/" + o.name;
  eval::write_evaluation(out, result);
  const int64_t truncated = result.summary["prompts_truncated"].get<int64_t>();
  const int64_t skipped = result.summary["items_skipped"].get<int64_t>();
  if (truncated > 0 || skipped > 0)
    fmt::print(stderr, "aha: {} prompts truncated from the left, {} items left out (--prompt-truncation {})\n",
               truncated, skipped, c.prompt_truncation);
  for (const auto& [k, v] : result.summary["metrics"].items()) fmt::print("{} {:.4f}\n", k, v.get<double>());
  fmt::print("wrote {}/summary.json\n", out);
  return 0;
}

const bool registered = register_command({
    "eval",
    "Evaluate a model: pass@k, maj@k and completion length on prompts scored by a reward",
    [](CLI::App& app) {
      auto c = std::make_shared<EvalCli>();
      app.add_option("--model", c->o.model_dir, "Model directory (Hugging Face layout) or .gguf file")->required();
      add_dtype_option(app, c->o.dtype);
      app.add_option("--data", c->data,
                     "JSONL prompts with answers ({\"prompt\",\"answer\"} or GSM8K's format); --count N takes the "
                     "first N");
      app.add_option("--task", c->task,
                     "A built-in task instead of --data (word_problems, counting, countdown, countdown3, countdown4)");
      app.add_option("--split", c->split, "With --task: train or test (default test)");
      app.add_option("--count", c->count,
                     "With --task: items generated (default 100); with --data: the first N items (default all)");
      app.add_option("--reward", c->o.reward,
                     "Reward that scores each completion: accuracy (default), accuracy_lenient, format, "
                     "format_think_open, tag_count, countdown, soft_overlong, length, repetition or external");
      app.add_option("--reward-options", c->reward_options, "The reward's options as a JSON object");
      app.add_option("--samples", c->o.samples, "Completions per prompt (default 1); pass@1 is their mean");
      app.add_option("--k", c->ks, "Comma-separated k for pass@k and maj@k, each <= --samples (default 1)");
      app.add_option("--pass-threshold", c->o.pass_threshold,
                     "A sample passes when its reward is at least this (default 1)");
      app.add_option("--prompt-template", c->o.prompt_template,
                     data::prompt_template_names() +
                         " (default: the template the model was trained with, from its prompt_template.json; else "
                         "chat when it has a chat template, else r1_zero)");
      app.add_option("--ctx-size", c->o.ctx_size, "Positions per sequence (default: the model's, at most 4096)");
      app.add_option("--max-prompt-length", c->o.max_prompt_length,
                     "Most prompt tokens (default 0: only --ctx-size limits; a prompt needs one position left)");
      app.add_option("--prompt-truncation", c->prompt_truncation,
                     "A prompt over --max-prompt-length or --ctx-size: left (keep its last tokens, default), skip "
                     "(leave the item out) or error");
      app.add_option("--temperature", c->o.sampling.temperature, "Sampling temperature (default 0.6, as DeepSeek-R1)");
      app.add_option("--top-p", c->o.sampling.top_p, "Nucleus sampling mass (default 0.95, as DeepSeek-R1)");
      app.add_option("--top-k", c->o.sampling.top_k, "Keep only the k most likely tokens (default 0: off)");
      app.add_option("--max-tokens", c->o.max_tokens, "Most tokens per completion (default 256)");
      app.add_option("--seed", c->o.sampling.seed, "Seed: item i, sample s uses seed + i*samples + s (default 0)");
      app.add_option("--out", c->out,
                     "Output directory (default MODEL/eval/<dataset stem or task>; for MODEL.gguf, MODEL-eval/<...>)");
      return [c] { return run_eval(*c); };
    },
});

}  // namespace
}  // namespace aha::cli
