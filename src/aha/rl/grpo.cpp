#include "aha/rl/grpo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "aha/base/error.hpp"
#include "aha/dist/world.hpp"
#include "aha/io/gguf/import_model.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/rl/grpo_loss.hpp"
#include "aha/rl/grpo_update.hpp"
#include "aha/train/metrics_log.hpp"
#include "aha/train/run_loop.hpp"

namespace aha::rl {
namespace {

using Clock = std::chrono::steady_clock;
using train::seconds_since;

double mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return x.empty() ? 0.0 : s / static_cast<double>(x.size());
}

double std_of(const std::vector<double>& x) {  // unbiased, as torch.std
  if (x.size() < 2) return 0.0;
  const double m = mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(x.size() - 1));
}

// Prompt groups per rollout: the global batch (per_device_train_batch_size x
// gradient_accumulation_steps x processes) in groups of num_generations.
int64_t groups_per_step(const GrpoConfig& c) {
  return c.per_device_train_batch_size * c.gradient_accumulation_steps * dist::world().size() / c.num_generations;
}

int64_t total_steps(const GrpoConfig& c, int64_t num_prompts) {
  if (c.max_steps > 0) return c.max_steps;
  const int64_t per_step = groups_per_step(c);
  const double rollouts =
      std::ceil(c.num_train_epochs * static_cast<double>(num_prompts) / static_cast<double>(per_step));
  return std::max<int64_t>(1, static_cast<int64_t>(rollouts)) * c.num_iterations;
}

class GrpoTrainer final : public train::Trainer {
 public:
  GrpoTrainer(const GrpoConfig& c, GrpoInputs& in)
      : c(c),
        in(in),
        // The KL reference is the starting model, also when resuming; with LoRA it is the base
        // itself (the adapters switched off), so no copy is kept.
        copy_reference(c.beta != 0.0 && !in.lora),
        reference(copy_reference ? in.weights : model::Weights{}),
        prompts(static_cast<int64_t>(in.prompts.size()), 1, static_cast<uint64_t>(c.seed)) {}

  int64_t num_examples() const override { return static_cast<int64_t>(in.prompts.size()); }
  std::string examples_name() const override { return "prompts"; }
  void plan(train::TrainerState& st) const override { st.max_steps = total_steps(c, num_examples()); }
  void load_model(const std::string& dir) override { train::load_checkpoint_model(dir, in.weights, in.lora); }
  void create_optimizer() override {
    update.emplace(c, in.model_config, in.weights, copy_reference ? &reference : nullptr, in.lora ? &*in.lora : nullptr,
                   dist::world());
  }
  train::ModelFiles model_files() const override {
    train::ModelFiles files = train::model_files_of(in);
    files.prompt_template = in.prompt_template;
    return files;
  }
  train::AdamW& optimizer() override { return update->optimizer(); }
  const std::vector<std::string>& parameter_names() const override { return update->parameter_names(); }

  void start(train::TrainerState& st) override {
    if (dist::world().rank() == 0) completions_log.emplace(c.output_dir + "/completions.jsonl", st.global_step);
    policy.emplace(in.model_config, in.weights, c.bf16 ? model::ComputeDType::bfloat16 : model::ComputeDType::float32);
    if (!st.rollout.is_null()) {
      rollout = rollout_from_json(st.rollout);
      have_rollout = true;
      st.rollout = Json();
    }
  }

  train::StepReport step(train::TrainerState& st, double lr) override {
    const bool fresh = st.global_step % c.num_iterations == 0 || !have_rollout;
    if (st.global_step % c.num_iterations == 0) {
      rollout = draw(st);
      for (const std::string& w : rollout.warnings)
        if (notice) notice(w);
    }
    have_rollout = true;
    const UpdateResult u = update->step(rollout, in.prompts, lr, st.global_step);
    Json line = metrics_line(u, lr, fresh);
    line["num_tokens"] = static_cast<double>(st.num_input_tokens_seen + u.tokens);
    return {u.finite, u.loss, u.tokens, line["reward"].get<double>(), line};
  }

  double epoch(const train::TrainerState& st) const override {
    return static_cast<double>(st.cursor.epoch) +
           static_cast<double>(st.cursor.index) / static_cast<double>(std::max<size_t>(1, in.prompts.size()));
  }

  void after_step(train::TrainerState& st, bool last, const std::function<void(Json)>&) override {
    if (completions_log && c.log_completions_steps > 0 && (st.global_step % c.log_completions_steps == 0 || last))
      log_completions(st);
  }

  // A checkpoint between the num_iterations updates of one rollout keeps that rollout, so that
  // a resumed run continues with the same completions and old log-probs.
  void before_save(train::TrainerState& st) override {
    if (st.global_step % c.num_iterations != 0) st.rollout = rollout_to_json(rollout);
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
    for (const RewardSpec& r : c.reward_funcs) run.rewards.push_back({{"name", r.name}, {"options", r.options}});
    return run;
  }

  std::function<void(const std::string&)> notice;

 private:
  const GrpoConfig& c;
  GrpoInputs& in;
  bool copy_reference;
  const model::Weights reference;
  std::optional<GrpoUpdate> update;
  std::optional<train::MetricsLog> completions_log;
  std::optional<model::Model> policy;  // what rollouts sample from: the trained weights, adapters merged
  data::BatchSchedule prompts;
  Rollout rollout;
  bool have_rollout = false;

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
    // The policy model takes the weights of this step (copied and repacked in its own memory, with
    // LoRA the adapters merged, as TRL does for its generation engine): part of generating.
    const auto refresh_started = Clock::now();
    policy->set_weights(in.weights, in.lora ? &*in.lora : nullptr);
    out.generation_seconds = seconds_since(refresh_started);
    const int64_t rounds = c.dynamic_sampling ? 1 + c.max_dynamic_sampling_rounds : 1;
    for (int64_t round = 0; round < rounds; ++round) {
      Rollout g = generate_groups(c, source(), st.global_step, round, next_prompts(st, needed), dist::world());
      std::vector<double> rewards;
      for (const Completion& x : g.completions) rewards.push_back(x.reward);
      const Advantages a = compute_advantages(rewards, group, ScaleRewards::group);
      if (round == 0) out.frac_reward_zero_std = a.frac_reward_zero_std;
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

  Json metrics_line(const UpdateResult& u, double lr, bool fresh) {
    Json line{{"loss", u.loss}, {"grad_norm", u.grad_norm}, {"learning_rate", lr}};
    std::vector<double> rewards, lengths, terminated;
    int64_t truncated = 0;
    for (const Completion& x : rollout.completions) {
      rewards.push_back(x.reward);
      lengths.push_back(static_cast<double>(x.ids.size()));
      if (x.truncated) ++truncated;
      else terminated.push_back(static_cast<double>(x.ids.size()));
    }
    line["reward"] = mean(rewards);
    line["reward_std"] = rollout.reward_std;
    for (size_t f = 0; f < in.rewards.size(); ++f) {
      std::vector<double> r;
      for (const Completion& x : rollout.completions)
        if (!std::isnan(x.rewards[f])) r.push_back(x.rewards[f]);
      line["rewards/" + in.rewards[f]->name() + "/mean"] = mean(r);
      line["rewards/" + in.rewards[f]->name() + "/std"] = std_of(r);
    }
    line["frac_reward_zero_std"] = rollout.frac_reward_zero_std;
    int64_t truncated_prompts = 0;  // the step's prompts (groups) cut to max_prompt_length or the context
    for (size_t k = 0; k < rollout.completions.size(); k += static_cast<size_t>(c.num_generations))
      if (in.prompts[rollout.completions[k].prompt].truncated) ++truncated_prompts;
    line["prompts/truncated"] = truncated_prompts;
    line["completions/mean_length"] = mean(lengths);
    line["completions/min_length"] = *std::min_element(lengths.begin(), lengths.end());
    line["completions/max_length"] = *std::max_element(lengths.begin(), lengths.end());
    line["completions/clipped_ratio"] = static_cast<double>(truncated) / static_cast<double>(lengths.size());
    line["completions/mean_terminated_length"] = mean(terminated);
    if (c.beta != 0.0) line["kl"] = u.kl;
    line["entropy"] = u.entropy;
    line["clip_ratio/low_mean"] = u.low_clip;
    line["clip_ratio/high_mean"] = u.high_clip;
    line["clip_ratio/region_mean"] = u.low_clip + u.high_clip;
    const double gen_s = fresh ? rollout.generation_seconds : 0.0;
    line["generation_seconds"] = gen_s;
    if (fresh)
      line["generation_tokens_per_second"] = static_cast<double>(rollout.generated_tokens) / std::max(1e-9, gen_s);
    line["training_seconds"] = u.seconds;
    line["training_tokens_per_second"] = static_cast<double>(u.tokens) / std::max(1e-9, u.seconds);
    if (c.dynamic_sampling) line["dynamic_sampling/rounds"] = rollout.rounds;
    return line;
  }
};

}  // namespace

train::RunSummary run_grpo(const GrpoConfig& c, GrpoInputs& in, const GrpoRunOptions& o) {
  if (in.prompts.empty())
    fail("{}: the dataset has no prompts", c.dataset_path.empty() ? c.dataset_task : c.dataset_path);
  if (in.rewards.empty()) fail("reward_funcs: no reward functions");
  if (const std::string note = c.use_peft ? "" : io::gguf::full_tuning_notice(c.model_name_or_path);
      !note.empty() && o.notice)
    o.notice(note);
  GrpoTrainer trainer(c, in);
  trainer.notice = o.notice;
  return train::run_loop(c, to_yaml(c), o, trainer);
}

}  // namespace aha::rl
