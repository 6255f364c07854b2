#include "aha/rl/grpo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/yaml.hpp"
#include "aha/base/threads.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/model/adapter.hpp"
#include "aha/rl/grpo_loss.hpp"
#include "aha/rl/grpo_update.hpp"
#include "aha/train/checkpoint.hpp"
#include "aha/train/metrics_log.hpp"
#include "aha/train/schedule.hpp"

namespace aha::rl {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kMaxBadStepsInARow = 3;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

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

// The model directory a run writes: a full model, or with LoRA an adapter directory on the base.
train::ModelFiles files_of(const GrpoInputs& in) {
  return {in.config_json, &in.weights, in.tokenizer_files, in.lora ? &*in.lora : nullptr, in.base_model};
}

struct Loop {
  const GrpoConfig& c;
  const GrpoRunOptions& o;
  GrpoInputs& in;
  GrpoUpdate& update;
  train::TrainerState& st;
  train::MetricsLog& metrics;
  train::MetricsLog& completions_log;
  model::Model& policy;  // what rollouts sample from: the trained weights, adapters merged
  data::BatchSchedule prompts;
  int64_t warmup = 0;
  Rollout rollout;
  bool have_rollout = false;
  Clock::time_point started = Clock::now();

  train::ModelFiles model_files() const { return files_of(in); }

  RolloutSource source() {
    std::vector<double> weights = c.reward_weights;
    if (weights.empty()) weights.assign(in.rewards.size(), 1.0);
    return {&in.model_config, &policy, in.tokenizer.get(), &in.prompts, &in.rewards, weights, in.eos_ids};
  }

  std::vector<int64_t> next_prompts(int64_t count) {
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < count; ++i) {
      indices.push_back(prompts.indices(st.cursor).front());
      st.cursor = prompts.advance(st.cursor);
    }
    return indices;
  }

  // The step's groups; with dynamic_sampling, groups whose rewards are all equal are replaced by
  // groups of further prompts until the batch is full or the rounds run out (then they stay).
  Rollout draw() {
    const int64_t group = c.num_generations;
    const int64_t needed = c.per_device_train_batch_size * c.gradient_accumulation_steps / group;
    Rollout out, reserve;
    // The policy model takes the weights of this step (copied and repacked in its own memory, with
    // LoRA the adapters merged, as TRL does for its generation engine): part of generating.
    const auto refresh_started = Clock::now();
    policy.set_weights(in.weights, in.lora ? &*in.lora : nullptr);
    out.generation_seconds = seconds_since(refresh_started);
    const int64_t rounds = c.dynamic_sampling ? 1 + c.max_dynamic_sampling_rounds : 1;
    for (int64_t round = 0; round < rounds; ++round) {
      Rollout g = generate_groups(c, source(), st.global_step, round, next_prompts(needed));
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

  void log_completions() {
    for (const Completion& x : rollout.completions) {
      Json rewards = Json::object();
      for (size_t f = 0; f < in.rewards.size(); ++f) rewards[in.rewards[f]->name()] = x.rewards[f];
      completions_log.append({{"step", st.global_step}, {"prompt", in.prompts[x.prompt].text}, {"completion", x.text},
                              {"rewards", rewards}, {"reward", x.reward}, {"advantage", x.advantage},
                              {"truncated", x.truncated}});
    }
  }

  Json metrics_line(const UpdateResult& u, double lr, bool fresh) {
    Json line{{"step", st.global_step}, {"epoch", st.epoch}, {"loss", u.loss}, {"grad_norm", u.grad_norm},
              {"learning_rate", lr}};
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
    line["num_tokens"] = st.pending.value("num_tokens", 0.0);
    const double gen_s = fresh ? rollout.generation_seconds : 0.0;
    line["generation_seconds"] = gen_s;
    if (fresh) line["generation_tokens_per_second"] = static_cast<double>(rollout.generated_tokens) / std::max(1e-9, gen_s);
    line["training_seconds"] = u.seconds;
    line["training_tokens_per_second"] = static_cast<double>(u.tokens) / std::max(1e-9, u.seconds);
    if (c.dynamic_sampling) line["dynamic_sampling/rounds"] = rollout.rounds;
    return line;
  }

  void one_step() {
    const double lr = c.learning_rate * train::lr_multiplier(c.lr_scheduler_type, st.global_step, warmup, st.max_steps);
    const bool fresh = st.global_step % c.num_iterations == 0 || !have_rollout;
    if (st.global_step % c.num_iterations == 0) {
      rollout = draw();
      for (const std::string& w : rollout.warnings)
        if (o.notice) o.notice(w);
    }
    have_rollout = true;
    const UpdateResult u = update.step(rollout, in.prompts, lr, st.global_step);
    ++st.global_step;
    st.epoch = static_cast<double>(st.cursor.epoch) +
               static_cast<double>(st.cursor.index) / static_cast<double>(std::max<size_t>(1, in.prompts.size()));
    st.pending["num_tokens"] = st.pending.value("num_tokens", 0.0) + static_cast<double>(u.tokens);
    const bool last = st.global_step == st.max_steps;
    const Json line = metrics_line(u, lr, fresh);
    if (!u.finite) {
      ++st.bad_steps_in_a_row;
      Json skipped = line;
      skipped["skipped_update"] = true;
      metrics.append(skipped);
      if (st.bad_steps_in_a_row >= kMaxBadStepsInARow) {
        const auto newest = train::newest_checkpoint(c.output_dir);
        fail("GRPO stopped at step {}: the loss or grad_norm was NaN or infinite at {} steps in a row; {}",
             st.global_step, kMaxBadStepsInARow,
             newest ? "the last good checkpoint is " + *newest : std::string("no checkpoint was saved"));
      }
    } else {
      st.bad_steps_in_a_row = 0;
      if (st.global_step % c.logging_steps == 0 || last) {
        metrics.append(line);
        st.log_history.push_back(line);
      }
    }
    if (c.log_completions_steps > 0 && (st.global_step % c.log_completions_steps == 0 || last)) log_completions();
    if (st.global_step % c.save_steps == 0 || last) save();
    if (o.progress) o.progress({st.global_step, st.max_steps, line["reward"].get<double>(), seconds_since(started)});
  }

  void save() {
    // A checkpoint between the num_iterations updates of one rollout keeps that rollout, so that
    // a resumed run continues with the same completions and old log-probs.
    if (st.global_step % c.num_iterations != 0) st.pending["grpo_rollout"] = rollout_to_json(rollout);
    else st.pending.erase("grpo_rollout");
    train::save_checkpoint(c.output_dir, model_files(), update.optimizer(), update.parameter_names(), st,
                           static_cast<uint64_t>(c.seed));
    st.pending.erase("grpo_rollout");
    train::prune_checkpoints(c.output_dir, c.save_total_limit);
  }
};

int64_t total_steps(const GrpoConfig& c, int64_t num_prompts) {
  if (c.max_steps > 0) return c.max_steps;
  const int64_t per_step = c.per_device_train_batch_size * c.gradient_accumulation_steps / c.num_generations;
  const double rollouts = std::ceil(c.num_train_epochs * static_cast<double>(num_prompts) / static_cast<double>(per_step));
  return std::max<int64_t>(1, static_cast<int64_t>(rollouts)) * c.num_iterations;
}

// provenance.json of the final model: the prompts (a file's fingerprint or the task generator),
// the rewards and the run (this attempt's wall time; tokens of every update so far).
void write_grpo_provenance(const GrpoConfig& c, const GrpoInputs& in, const train::TrainerState& st,
                           const std::string& started_at, double seconds) {
  ledger::RunRecord run;
  run.kind = "grpo";
  const auto prompts = static_cast<int64_t>(in.prompts.size());
  run.datasets.push_back(
      c.dataset_path.empty()
          ? ledger::generator_record(c.dataset_task, "1", {{"split", "train"}, {"num_examples", c.dataset_num_examples}},
                                     static_cast<uint64_t>(c.seed), "train", prompts, 0)
          : ledger::fingerprint_file(c.dataset_path, "train", prompts, 0));
  for (const RewardSpec& r : c.reward_funcs) run.rewards.push_back({{"name", r.name}, {"options", r.options}});
  run.config = yaml_to_json(to_yaml(c), c.output_dir + "/config.yaml");
  run.seed = static_cast<uint64_t>(c.seed);
  run.threads = c.threads > 0 ? c.threads : num_threads();
  run.started_at = started_at;
  run.wall_seconds = seconds;
  run.tokens_processed = static_cast<int64_t>(st.pending.value("num_tokens", 0.0));
  ledger::write_provenance(c.output_dir, run, c.model_name_or_path);
}

}  // namespace

train::RunSummary run_grpo(const GrpoConfig& c, GrpoInputs& in, const GrpoRunOptions& o) {
  if (in.prompts.empty()) fail("{}: the dataset has no prompts", c.dataset_path.empty() ? c.dataset_task : c.dataset_path);
  if (in.rewards.empty()) fail("reward_funcs: no reward functions");
  std::filesystem::create_directories(c.output_dir);
  const std::string started_at = ledger::utc_now();
  const auto started = Clock::now();
  const std::string resume_dir = train::resume_directory(c.output_dir, o.resume, o.resume_path, o.notice);
  write_file_atomic(c.output_dir + "/config.yaml", to_yaml(c));
  // The KL reference is the starting model, also when resuming; with LoRA it is the base itself
  // (the adapters switched off), so no copy is kept.
  const bool copy_reference = c.beta != 0.0 && !in.lora;
  const model::Weights reference = copy_reference ? in.weights : model::Weights{};
  train::TrainerState st;
  if (!resume_dir.empty()) {
    st = train::read_trainer_state(resume_dir);
    // A LoRA checkpoint is an adapter directory: its adapters go on the base already loaded.
    if (in.lora) in.lora = model::load_adapter(io::ModelDir(resume_dir));
    else in.weights = model::load_weights(io::ModelDir(resume_dir));
  }
  const auto num_prompts = static_cast<int64_t>(in.prompts.size());
  if (!resume_dir.empty() && st.num_sequences != num_prompts)
    fail("{}: the checkpoint's run had {} prompts, the dataset now gives {}; resuming would not see the same "
         "prompts", resume_dir, st.num_sequences, num_prompts);
  st.num_sequences = num_prompts;
  st.max_steps = total_steps(c, num_prompts);
  GrpoUpdate update(c, in.model_config, in.weights, copy_reference ? &reference : nullptr,
                    in.lora ? &*in.lora : nullptr);
  if (!resume_dir.empty()) train::read_optimizer(resume_dir, update.optimizer(), update.parameter_names());
  if (st.global_step >= st.max_steps) {
    train::write_model_files(c.output_dir, files_of(in));
    write_grpo_provenance(c, in, st, started_at, seconds_since(started));
    if (o.notice) o.notice(fmt::format("the run in {} is already complete (step {}): nothing to do", c.output_dir, st.global_step));
    return {st.global_step, true};
  }
  if (!resume_dir.empty() && o.notice) o.notice(fmt::format("resuming from {} (step {})", resume_dir, st.global_step));
  train::MetricsLog metrics(c.output_dir + "/metrics.jsonl", st.global_step);
  train::MetricsLog completions(c.output_dir + "/completions.jsonl", st.global_step);
  model::Model policy(in.model_config, in.weights);
  Loop loop{c,      o,          in,     update, st, metrics, completions, policy,
            data::BatchSchedule(num_prompts, 1, static_cast<uint64_t>(c.seed)),
            train::warmup_steps_for(c.warmup_steps, c.warmup_ratio, st.max_steps), Rollout{}, false, Clock::now()};
  if (st.pending.contains("grpo_rollout")) {
    loop.rollout = rollout_from_json(st.pending["grpo_rollout"]);
    loop.have_rollout = true;
    st.pending.erase("grpo_rollout");
  }
  while (st.global_step < st.max_steps) loop.one_step();
  train::write_model_files(c.output_dir, loop.model_files());
  write_grpo_provenance(c, in, st, started_at, seconds_since(started));
  return {st.global_step, false};
}

}  // namespace aha::rl
