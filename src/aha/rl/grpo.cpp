#include "aha/rl/grpo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "aha/base/error.hpp"
#include "aha/dist/world.hpp"
#include "aha/io/gguf/import_model.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/rl/grpo_eval.hpp"
#include "aha/rl/grpo_loss.hpp"
#include "aha/rl/grpo_metrics.hpp"
#include "aha/rl/grpo_update.hpp"
#include "aha/rl/ref_model_sync.hpp"
#include "aha/rl/sampling_correction.hpp"
#include "aha/train/metrics_log.hpp"
#include "aha/train/run_loop.hpp"

namespace aha::rl {
namespace {

using Clock = std::chrono::steady_clock;
using train::seconds_since;

// The generation batch: how many micro-batches of every rank it holds (steps_per_generation), how
// many optimizer steps take a slice of it, how many steps use it in all (num_iterations passes).
struct GenerationBatch {
  int64_t steps_per_generation, slices, steps;
  explicit GenerationBatch(const GrpoConfig& c)
      : steps_per_generation(resolved_steps_per_generation(c, dist::world().size(), "config")),
        slices(steps_per_generation / c.gradient_accumulation_steps),
        steps(slices * c.num_iterations) {}
};

// Prompt groups per rollout: the generation batch (per_device_train_batch_size x
// steps_per_generation x processes) in groups of num_generations.
int64_t groups_per_step(const GrpoConfig& c) {
  return c.per_device_train_batch_size * GenerationBatch(c).steps_per_generation * dist::world().size() /
         c.num_generations;
}

int64_t total_steps(const GrpoConfig& c, int64_t num_prompts) {
  if (c.max_steps > 0) return c.max_steps;
  const int64_t per_step = groups_per_step(c);
  const double rollouts =
      std::ceil(c.num_train_epochs * static_cast<double>(num_prompts) / static_cast<double>(per_step));
  return std::max<int64_t>(1, static_cast<int64_t>(rollouts)) * GenerationBatch(c).steps;
}

class GrpoTrainer final : public train::Trainer {
 public:
  GrpoTrainer(const GrpoConfig& c, GrpoInputs& in)
      : c(c),
        in(in),
        // The KL reference is the starting model, also when resuming (with sync_ref_model, the
        // checkpoint's); with LoRA it is the base itself (the adapters switched off), so no copy is kept.
        copy_reference(c.beta != 0.0 && !in.lora),
        reference(copy_reference ? in.weights : model::Weights{}),
        generation(c),
        prompts(static_cast<int64_t>(in.prompts.size()), 1, static_cast<uint64_t>(c.seed)) {}

  int64_t num_examples() const override { return static_cast<int64_t>(in.prompts.size()); }
  std::string examples_name() const override { return "prompts"; }
  void plan(train::TrainerState& st) const override { st.max_steps = total_steps(c, num_examples()); }
  void load_model(const std::string& dir) override {
    train::load_checkpoint_model(dir, in.weights, in.lora);
    if (c.sync_ref_model) reference = model::load_weights(io::ModelDir(dir + "/ref_model"));
  }
  void create_optimizer() override {
    update.emplace(c, in.model_config, in.weights, copy_reference ? &reference : nullptr, in.lora ? &*in.lora : nullptr,
                   dist::world());
  }
  train::ModelFiles model_files() const override {
    train::ModelFiles files = train::model_files_of(in);
    files.prompt_template = in.prompt_template;
    if (c.sync_ref_model) files.ref_model = &reference;
    return files;
  }
  train::AdamW& optimizer() override { return update->optimizer(); }
  const std::vector<std::string>& parameter_names() const override { return update->parameter_names(); }

  void start(train::TrainerState& st) override {
    if (dist::world().rank() == 0) completions_log.emplace(c.output_dir + "/completions.jsonl", st.global_step);
    policy.emplace(in.model_config, in.weights,
                   quantized_rollouts(c) ? model::ComputeDType::q8_0
                   : c.bf16              ? model::ComputeDType::bfloat16
                                         : model::ComputeDType::float32);
    if (!st.rollout.is_null()) {
      rollout = rollout_from_json(st.rollout);
      st.rollout = Json();
    }
  }

  // The step's own metrics; the step's tokens are those of the rollout it drew (TRL's
  // num_input_tokens_seen: prompt and completion tokens of every completion generated).
  train::StepReport step(train::TrainerState& st, double lr) override {
    const int64_t position = st.global_step % generation.steps;  // within the rollout's steps
    const bool drawn = position == 0;
    if (drawn) {
      rollout = draw(st);
      for (const std::string& w : rollout.warnings)
        if (notice) notice(w);
      // Later slices must be measured against the weights that sampled them, not the trained ones;
      // a quantized sampler's log-probs against the model's own (TRL computes them for vLLM's).
      if (generation.slices > 1 || quantized_rollouts(c)) update->fill_old_logps(rollout, in.prompts);
      if (quantized_rollouts(c)) sampling = rollout_sampling_metrics();
    }
    const size_t slice = rollout.completions.size() / static_cast<size_t>(generation.slices);
    const size_t begin = static_cast<size_t>(position % generation.slices) * slice;
    const UpdateResult u = update->step(rollout, in.prompts, lr, st.global_step, begin, begin + slice);
    const Json drawn_metrics = drawn ? rollout_metrics() : Json::object();
    Json line = update_metrics(u, lr);
    line.update(drawn_metrics);
    window.add(u.finite ? line : drawn_metrics);
    double reward = 0;
    for (const Completion& x : rollout.completions)
      reward += x.reward / static_cast<double>(rollout.completions.size());
    return {u.finite, u.loss, drawn ? rollout_tokens : 0, reward, line};
  }

  // TRL's logged line: every metric averaged over the steps since the last line, grad_norm and
  // learning_rate the step's (as the HF Trainer logs them), num_tokens the run's total so far.
  Json log_line(const train::TrainerState& st, const train::StepReport& r, double) override {
    Json line = window.take();
    line["grad_norm"] = r.metrics["grad_norm"];
    line["learning_rate"] = r.metrics["learning_rate"];
    line["num_tokens"] = static_cast<double>(st.num_input_tokens_seen);
    return line;
  }

  double epoch(const train::TrainerState& st) const override {
    return static_cast<double>(st.cursor.epoch) +
           static_cast<double>(st.cursor.index) / static_cast<double>(std::max<size_t>(1, in.prompts.size()));
  }

  void after_step(train::TrainerState& st, bool last, const std::function<void(Json)>& log) override {
    if (syncs_reference(c.sync_ref_model, st.global_step, c.ref_model_sync_steps))
      mix_reference(reference, in.weights, c.ref_model_mixup_alpha);
    if (completions_log && c.log_completions_steps > 0 && (st.global_step % c.log_completions_steps == 0 || last))
      log_completions(st);
    if (!in.eval_prompts.empty() && (st.global_step % eval_interval(c) == 0 || last)) log(evaluate());
  }

  // load_best_model_at_end: the final model is the best evaluated checkpoint's, as the HF Trainer's.
  void before_final_model(const train::TrainerState& st) override {
    if (!c.load_best_model_at_end) return;
    const std::optional<int64_t> best = best_checkpoint_step(c, st.log_history);
    if (!best) return;
    const std::string dir = fmt::format("{}/checkpoint-{}", c.output_dir, *best);
    if (notice)
      notice(fmt::format("load_best_model_at_end: the final model is {} (best {})", dir, c.metric_for_best_model));
    load_model(dir);
  }

  // A checkpoint between the updates of one rollout (its slices, num_iterations times) keeps that
  // rollout, so that a resumed run continues with the same completions and old log-probs.
  void before_save(train::TrainerState& st) override {
    if (st.global_step % generation.steps != 0) st.rollout = rollout_to_json(rollout);
  }

  // The prompts (a file's fingerprint or the task generator, with the tokens of the prompts as
  // formatted and tokenized for the model) and the rewards.
  ledger::RunRecord provenance() const override {
    ledger::RunRecord run;
    run.kind = "grpo";
    const auto n = static_cast<int64_t>(in.prompts.size());
    int64_t tokens = 0;
    for (const GrpoPrompt& p : in.prompts) tokens += static_cast<int64_t>(p.ids.size());
    run.datasets.push_back(c.dataset_path.empty() ? ledger::generator_record(
                                                        c.dataset_task, "1",
                                                        {{"split", "train"}, {"num_examples", c.dataset_num_examples}},
                                                        static_cast<uint64_t>(c.seed), "train", n, tokens)
                                                  : ledger::fingerprint_file(c.dataset_path, "train", n, tokens));
    if (!in.eval_prompts.empty()) {
      const auto e = static_cast<int64_t>(in.eval_prompts.size());
      int64_t eval_tokens = 0;
      for (const GrpoPrompt& p : in.eval_prompts) eval_tokens += static_cast<int64_t>(p.ids.size());
      run.datasets.push_back(
          c.eval_dataset_path.empty()
              ? ledger::generator_record(c.eval_dataset_task, "1",
                                         {{"split", "test"}, {"num_examples", c.eval_dataset_num_examples}},
                                         static_cast<uint64_t>(c.seed), "eval", e, eval_tokens)
              : ledger::fingerprint_file(c.eval_dataset_path, "eval", e, eval_tokens));
    }
    for (const RewardSpec& r : c.reward_funcs) run.rewards.push_back({{"name", r.name}, {"options", r.options}});
    return run;
  }

  std::function<void(const std::string&)> notice;

 private:
  const GrpoConfig& c;
  GrpoInputs& in;
  bool copy_reference;
  model::Weights reference;  // moved towards the policy with sync_ref_model
  GenerationBatch generation;
  std::optional<GrpoUpdate> update;
  std::optional<train::MetricsLog> completions_log;
  std::optional<model::Model> policy;  // what rollouts sample from: the trained weights, adapters merged
  data::BatchSchedule prompts;
  Rollout rollout;
  MetricsWindow window;            // the metrics since the last logged line
  Json sampled;                    // completion_metrics of the last rollout's first round
  Json sampling = Json::object();  // with rollout_quantization: the sampler's mismatch in the last rollout
  int64_t rollout_tokens = 0;      // prompt and completion tokens the last rollout generated

  // TRL's sampling/ metrics: how far the quantized sampler's log-probs are from the model's.
  Json rollout_sampling_metrics() const {
    std::vector<double> masks;
    for (const Completion& x : rollout.completions) masks.push_back(loss_mask(c, x));
    return sampling_metrics(rollout.completions, masks,
                            parse_sampling_correction(c.vllm_importance_sampling_mode, "vllm_importance_sampling_mode"),
                            c.vllm_importance_sampling_cap);
  }

  // The policy model takes the trained weights (copied and repacked in its own memory). With LoRA
  // the adapters are merged, as TRL does for its generation engine, and only the products they
  // adapt are prepared again: the policy was built from the frozen base.
  void refresh_policy() {
    if (in.lora) policy->set_adapters(in.weights, *in.lora);
    else policy->set_weights(in.weights);
  }

  RolloutSource source() {
    std::vector<double> weights = c.reward_weights;
    if (weights.empty()) weights.assign(in.rewards.size(), 1.0);
    return {&in.model_config, &*policy, in.tokenizer.get(), &in.prompts, &in.rewards, weights, in.eos_ids};
  }

  std::vector<int64_t> next_prompts(train::TrainerState& st, int64_t count) {
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < count; ++i) {
      indices.push_back(prompts.indices(st.cursor).front());
      st.cursor = prompts.advance(st.cursor);
    }
    return indices;
  }

  // The step's groups; with dynamic_sampling, groups whose rewards are all equal are replaced by
  // groups of further prompts until the batch is full or the rounds run out (then they stay).
  Rollout draw(train::TrainerState& st) {
    const int64_t group = c.num_generations;
    const int64_t needed = groups_per_step(c);
    Rollout out, reserve;
    const auto refresh_started = Clock::now();  // part of generating
    refresh_policy();
    out.generation_seconds = seconds_since(refresh_started);
    const int64_t rounds = c.dynamic_sampling ? 1 + c.max_dynamic_sampling_rounds : 1;
    for (int64_t round = 0; round < rounds; ++round) {
      Rollout g = generate_groups(c, source(), st.global_step, round, next_prompts(st, needed), dist::world());
      std::vector<double> rewards;
      for (const Completion& x : g.completions) rewards.push_back(x.reward);
      const Advantages a = compute_advantages(rewards, group, ScaleRewards::group);
      if (round == 0) {
        sampled = completion_metrics(g.completions, in.prompts, reward_names(), group,
                                     parse_scale_rewards(c.scale_rewards, "scale_rewards"));
        rollout_tokens = 0;
      }
      rollout_tokens += input_tokens(g.completions, in.prompts);
      out.rounds = round + 1;
      out.generation_seconds += g.generation_seconds;
      out.generated_tokens += g.generated_tokens;
      out.warnings.insert(out.warnings.end(), g.warnings.begin(), g.warnings.end());
      for (size_t k = 0; k < g.completions.size(); k += static_cast<size_t>(group)) {
        Rollout& to = !c.dynamic_sampling || a.group_std[k] > 1e-8 ? out : reserve;
        to.completions.insert(to.completions.end(), g.completions.begin() + static_cast<int64_t>(k),
                              g.completions.begin() + static_cast<int64_t>(k) + group);
      }
      if (static_cast<int64_t>(out.completions.size()) >= needed * group) break;
    }
    out.completions.insert(out.completions.end(), reserve.completions.begin(), reserve.completions.end());
    out.completions.resize(needed * group);
    assign_advantages(c, out);
    return out;
  }

  void log_completions(const train::TrainerState& st) {
    for (const Completion& x : rollout.completions) {
      Json rewards = Json::object();
      for (size_t f = 0; f < in.rewards.size(); ++f) rewards[in.rewards[f]->name()] = x.rewards[f];
      completions_log->append({{"step", st.global_step},
                               {"prompt", in.prompts[x.prompt].text},
                               {"completion", x.text},
                               {"rewards", rewards},
                               {"reward", x.reward},
                               {"advantage", x.advantage},
                               {"truncated", x.truncated}});
    }
  }

  // The eval/ metrics of the policy as the step left it.
  Json evaluate() {
    refresh_policy();
    RolloutSource s = source();
    s.prompts = &in.eval_prompts;
    std::vector<std::string> warnings;
    const Json m = in.evaluate(s, warnings);
    for (const std::string& w : warnings)
      if (notice) notice("eval: " + w);
    return m;
  }

  std::vector<std::string> reward_names() const {
    std::vector<std::string> names;
    for (const auto& r : in.rewards) names.push_back(r->name());
    return names;
  }

  // TRL's clip metrics: clip_ratio/* for the clipped losses, cispo_clip_ratio for cispo, none for sapo.
  void add_clip_metrics(Json& line, const UpdateResult& u) const {
    const LossType type = parse_loss_type(c.loss_type, "loss_type");
    if (type == LossType::cispo) line["cispo_clip_ratio"] = u.high_clip;
    if (!is_clipped_surrogate(type)) return;
    line["clip_ratio/low_mean"] = u.low_clip;
    line["clip_ratio/low_min"] = u.low_clip_min;
    line["clip_ratio/high_mean"] = u.high_clip;
    line["clip_ratio/high_max"] = u.high_clip_max;
    line["clip_ratio/region_mean"] = u.low_clip + u.high_clip;
  }

  // What the update measured: TRL's loss, kl, entropy and clip ratios, and aha's timings.
  Json update_metrics(const UpdateResult& u, double lr) const {
    Json line{{"loss", u.loss}, {"grad_norm", u.grad_norm}, {"learning_rate", lr}};
    if (c.beta != 0.0) line["kl"] = u.kl;
    line["entropy"] = u.entropy;
    add_clip_metrics(line, u);
    line["training_seconds"] = u.seconds;
    line["training_tokens_per_second"] = static_cast<double>(u.tokens) / std::max(1e-9, u.seconds);
    return line;
  }

  // What the step's rollout measured, once per rollout drawn (as TRL logs them at generation): the
  // completions the policy sampled (dynamic_sampling's first round) under TRL's names, and with
  // dynamic_sampling the batch trained on under filtered/.
  Json rollout_metrics() const {
    Json line = sampled;
    if (c.dynamic_sampling) {
      line.update(completion_metrics(rollout.completions, in.prompts, reward_names(), c.num_generations,
                                     parse_scale_rewards(c.scale_rewards, "scale_rewards"), "filtered/"));
      line["dynamic_sampling/rounds"] = rollout.rounds;
    }
    line.update(sampling);
    line["generation_seconds"] = rollout.generation_seconds;
    line["generation_tokens_per_second"] =
        static_cast<double>(rollout.generated_tokens) / std::max(1e-9, rollout.generation_seconds);
    return line;
  }
};

}  // namespace

train::RunSummary run_grpo(const GrpoConfig& c, GrpoInputs& in, const GrpoRunOptions& o) {
  if (in.prompts.empty())
    fail("{}: the dataset has no prompts", c.dataset_path.empty() ? c.dataset_task : c.dataset_path);
  if (in.rewards.empty()) fail("reward_funcs: no reward functions");
  if (!in.eval_prompts.empty() && !in.evaluate) fail_internal("run_grpo: eval prompts but no evaluator");
  if (const std::string note = c.use_peft ? "" : io::gguf::full_tuning_notice(c.model_name_or_path);
      !note.empty() && o.notice)
    o.notice(note);
  GrpoTrainer trainer(c, in);
  trainer.notice = o.notice;
  return train::run_loop(c, to_yaml(c), o, trainer);
}

}  // namespace aha::rl
