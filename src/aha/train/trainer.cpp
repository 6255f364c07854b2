#include "aha/train/trainer.hpp"

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
#include "aha/train/checkpoint.hpp"
#include "aha/train/gradient_step.hpp"
#include "aha/train/inputs.hpp"
#include "aha/train/metrics_log.hpp"
#include "aha/train/schedule.hpp"

namespace aha::train {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kMaxBadStepsInARow = 3;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

ModelFiles files_of(const TrainingInputs& in) {
  return {in.config_json, &in.weights, in.tokenizer_files, in.lora ? &*in.lora : nullptr, in.base_model};
}

struct Loop {
  const TrainConfig& c;
  const RunOptions& o;
  TrainingInputs& in;
  GradientStep& gs;
  TrainerState& st;
  MetricsLog& metrics;
  data::BatchSchedule schedule;
  int64_t warmup = 0;
  Clock::time_point started = Clock::now(), last_log = Clock::now();
  double seconds_before = st.train_seconds;  // training time of earlier attempts

  ModelFiles model_files() const { return files_of(in); }

  std::vector<data::MicroBatch> next_micro_batches() {
    std::vector<data::MicroBatch> mbs;
    for (int64_t k = 0; k < c.gradient_accumulation_steps; ++k) {
      mbs.push_back(data::make_micro_batch(in.train.sequences, schedule.indices(st.cursor)));
      st.cursor = schedule.advance(st.cursor);
    }
    return mbs;
  }

  double epoch() const {
    const double per_epoch = static_cast<double>(schedule.per_epoch());
    return (static_cast<double>(st.cursor.epoch) * per_epoch + static_cast<double>(st.cursor.index)) / per_epoch;
  }

  Json base_line() const { return Json{{"step", st.global_step}, {"epoch", epoch()}}; }

  void log_train(const StepResult& r, double lr) {
    Json line = base_line();
    const double steps = st.pending.value("steps", 0.0);
    line["loss"] = steps > 0 ? st.pending.value("loss_sum", 0.0) / steps : NAN;
    line["grad_norm"] = r.grad_norm;
    line["learning_rate"] = lr;
    line["tokens_per_second"] = st.pending.value("tokens", 0.0) / std::max(1e-9, seconds_since(last_log));
    if (in.train.skipped_lines > 0) line["skipped_lines"] = in.train.skipped_lines;
    metrics.append(line);
    st.log_history.push_back(line);
    st.pending = Json::object();
    last_log = Clock::now();
  }

  void log_skipped(const StepResult& r, double lr) {
    Json line = base_line();
    line["loss"] = r.loss;  // NaN/Inf are written as null
    line["grad_norm"] = r.grad_norm;
    line["learning_rate"] = lr;
    line["skipped_update"] = true;
    metrics.append(line);
    st.log_history.push_back(line);
    if (st.bad_steps_in_a_row >= kMaxBadStepsInARow) {
      const auto newest = newest_checkpoint(c.output_dir);
      fail("training stopped at step {}: the loss or grad_norm was NaN or infinite at {} steps in a row; {}",
           st.global_step, kMaxBadStepsInARow,
           newest ? "the last good checkpoint is " + *newest : std::string("no checkpoint was saved"));
    }
  }

  void evaluate() {
    Json line = base_line();
    line["eval_loss"] = gs.mean_loss(in.eval.sequences, c.per_device_train_batch_size);
    metrics.append(line);
    st.log_history.push_back(line);
  }

  void one_step() {
    const double lr = c.learning_rate * lr_multiplier(c.lr_scheduler_type, st.global_step, warmup, st.max_steps);
    const std::vector<data::MicroBatch> mbs = next_micro_batches();
    const StepResult r =
        gs.step(mbs, {lr, c.adam_beta1, c.adam_beta2, c.adam_epsilon, c.weight_decay}, c.max_grad_norm, st.global_step);
    ++st.global_step;
    st.epoch = epoch();
    st.num_input_tokens_seen += r.tokens_in;
    st.train_seconds = seconds_before + seconds_since(started);
    const bool last = st.global_step == st.max_steps;
    if (!r.finite) {
      ++st.bad_steps_in_a_row;
      log_skipped(r, lr);
      return;
    }
    st.bad_steps_in_a_row = 0;
    st.pending["loss_sum"] = st.pending.value("loss_sum", 0.0) + r.loss;
    st.pending["steps"] = st.pending.value("steps", 0.0) + 1;
    st.pending["tokens"] = st.pending.value("tokens", 0.0) + static_cast<double>(r.tokens_in);
    if (st.global_step % c.logging_steps == 0 || last) log_train(r, lr);
    const int64_t eval_every = c.eval_steps > 0 ? c.eval_steps : c.logging_steps;
    if (!in.eval.sequences.empty() && (st.global_step % eval_every == 0 || last)) evaluate();
    if (st.global_step % c.save_steps == 0 || last) {
      save_checkpoint(c.output_dir, model_files(), gs.optimizer(), gs.parameter_names(), st,
                      static_cast<uint64_t>(c.seed));
      prune_checkpoints(c.output_dir, c.save_total_limit);
    }
    if (o.progress) o.progress({st.global_step, st.max_steps, r.loss, seconds_since(started)});
  }
};

// The HF Trainer's num_train_epochs in trainer_state.json: whole epochs the steps span.
int64_t epochs_spanned(const TrainConfig& c, int64_t max_steps, int64_t micro_batches_per_epoch) {
  const double steps_per_epoch =
      std::max(1.0, static_cast<double>(micro_batches_per_epoch) / static_cast<double>(c.gradient_accumulation_steps));
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(max_steps) / steps_per_epoch)));
}

int64_t total_steps(const TrainConfig& c, int64_t micro_batches_per_epoch) {
  if (c.max_steps > 0) return c.max_steps;
  const double micro = c.num_train_epochs * static_cast<double>(micro_batches_per_epoch);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(micro / static_cast<double>(c.gradient_accumulation_steps))));
}

// Writes output_dir/provenance.json for the final model: datasets, config, time, tokens, lineage.
void write_run_provenance(const TrainConfig& c, const TrainingInputs& in, const TrainerState& st,
                          const std::string& started_at) {
  ledger::RunRecord run;
  run.kind = c.mode == TrainMode::pretrain ? "pretrain" : "sft";
  run.datasets = in.datasets;
  run.config = yaml_to_json(to_yaml(c), c.output_dir + "/config.yaml");
  run.seed = static_cast<uint64_t>(c.seed);
  run.threads = c.threads > 0 ? c.threads : num_threads();
  run.started_at = started_at;
  run.wall_seconds = st.train_seconds;
  run.tokens_processed = st.num_input_tokens_seen;
  ledger::write_provenance(c.output_dir, run, c.model_name_or_path);
}

}  // namespace

RunSummary run_training(const TrainConfig& c, const RunOptions& o) {
  std::filesystem::create_directories(c.output_dir);
  const std::string started_at = ledger::utc_now();
  const std::string resume_dir = resume_directory(c.output_dir, o.resume, o.resume_path, o.notice);
  write_file_atomic(c.output_dir + "/config.yaml", to_yaml(c));
  TrainingInputs in = load_training_inputs(c);
  data::BatchSchedule schedule(static_cast<int64_t>(in.train.sequences.size()), c.per_device_train_batch_size,
                               static_cast<uint64_t>(c.seed));
  TrainerState st;
  if (!resume_dir.empty()) {
    st = read_trainer_state(resume_dir);
    // A LoRA checkpoint is an adapter directory: its adapters go on the base already loaded.
    if (in.lora) in.lora = model::load_adapter(io::ModelDir(resume_dir));
    else in.weights = model::load_weights(io::ModelDir(resume_dir));
  }
  const int64_t num_sequences = static_cast<int64_t>(in.train.sequences.size());
  if (!resume_dir.empty() && st.num_sequences != num_sequences)
    fail("{}: the checkpoint's run had {} training sequences, the dataset now gives {}; resuming would "
         "not see the same batches", resume_dir, st.num_sequences, num_sequences);
  st.num_sequences = num_sequences;
  st.max_steps = total_steps(c, schedule.per_epoch());
  st.num_train_epochs = epochs_spanned(c, st.max_steps, schedule.per_epoch());
  st.logging_steps = c.logging_steps;
  st.eval_steps = c.eval_steps > 0 ? c.eval_steps : c.logging_steps;
  st.save_steps = c.save_steps;
  st.train_batch_size = c.per_device_train_batch_size;
  GradientStep gs(in.model_config, in.weights, c.gradient_checkpointing, in.lora ? &*in.lora : nullptr,
                  static_cast<uint64_t>(c.seed));
  if (!resume_dir.empty()) read_optimizer(resume_dir, gs.optimizer(), gs.parameter_names());
  if (st.global_step >= st.max_steps) {
    write_model_files(c.output_dir, files_of(in));
    write_run_provenance(c, in, st, started_at);
    if (o.notice) o.notice(fmt::format("the run in {} is already complete (step {}): nothing to do", c.output_dir, st.global_step));
    return {st.global_step, true};
  }
  if (!resume_dir.empty() && o.notice) o.notice(fmt::format("resuming from {} (step {})", resume_dir, st.global_step));
  MetricsLog metrics(c.output_dir + "/metrics.jsonl", st.global_step);
  Loop loop{c, o, in, gs, st, metrics, schedule};
  loop.warmup = warmup_steps_for(c.warmup_steps, c.warmup_ratio, st.max_steps);
  const auto out_of_time = [&] { return o.max_seconds > 0 && seconds_since(loop.started) >= o.max_seconds; };
  while (st.global_step < st.max_steps && !out_of_time()) loop.one_step();
  write_model_files(c.output_dir, loop.model_files());
  write_run_provenance(c, in, st, started_at);
  return {st.global_step, false};
}

}  // namespace aha::train
