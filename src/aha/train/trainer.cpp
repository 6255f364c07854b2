#include "aha/train/trainer.hpp"

#include <cmath>
#include <optional>

#include "aha/base/yaml.hpp"
#include "aha/dist/world.hpp"
#include "aha/io/gguf/import_model.hpp"
#include "aha/train/gradient_step.hpp"
#include "aha/train/inputs.hpp"

namespace aha::train {
namespace {

// Micro-batches per optimizer step: gradient_accumulation_steps on each of the run's processes
// (the global batch is per_device_train_batch_size x this, as in Hugging Face).
int64_t micro_batches_per_step(const TrainConfig& c) { return c.gradient_accumulation_steps * dist::world().size(); }

// The HF Trainer's num_train_epochs in trainer_state.json: whole epochs the steps span.
int64_t epochs_spanned(const TrainConfig& c, int64_t max_steps, int64_t micro_batches_per_epoch) {
  const double steps_per_epoch =
      std::max(1.0, static_cast<double>(micro_batches_per_epoch) / static_cast<double>(micro_batches_per_step(c)));
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(max_steps) / steps_per_epoch)));
}

int64_t total_steps(const TrainConfig& c, int64_t micro_batches_per_epoch) {
  if (c.max_steps > 0) return c.max_steps;
  const double micro = c.num_train_epochs * static_cast<double>(micro_batches_per_epoch);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(micro / static_cast<double>(micro_batches_per_step(c)))));
}

class TextTrainer final : public Trainer {
 public:
  explicit TextTrainer(const TrainConfig& c)
      : c_(c),
        in_(load_training_inputs(c)),
        schedule_(static_cast<int64_t>(in_.train.sequences.size()), c.per_device_train_batch_size,
                  static_cast<uint64_t>(c.seed)) {}

  int64_t num_examples() const override { return static_cast<int64_t>(in_.train.sequences.size()); }
  std::string examples_name() const override { return "training sequences"; }

  void plan(TrainerState& st) const override {
    st.max_steps = total_steps(c_, schedule_.per_epoch());
    st.num_train_epochs = epochs_spanned(c_, st.max_steps, schedule_.per_epoch());
    st.eval_steps = eval_every();
  }

  void load_model(const std::string& dir) override { load_checkpoint_model(dir, in_.weights, in_.lora); }
  void create_optimizer() override {
    gs_.emplace(in_.model_config, in_.weights, c_.gradient_checkpointing, in_.lora ? &*in_.lora : nullptr,
                static_cast<uint64_t>(c_.seed), dist::world());
    gs_->set_bf16(c_.bf16);
  }
  ModelFiles model_files() const override { return model_files_of(in_); }
  AdamW& optimizer() override { return gs_->optimizer(); }
  const std::vector<std::string>& parameter_names() const override { return gs_->parameter_names(); }

  StepReport step(TrainerState& st, double lr) override {
    std::vector<data::MicroBatch> mbs;
    for (int64_t k = 0; k < micro_batches_per_step(c_); ++k) {
      mbs.push_back(data::make_micro_batch(in_.train.sequences, schedule_.indices(st.cursor), c_.padding_free));
      st.cursor = schedule_.advance(st.cursor);
    }
    const StepResult r = gs_->step(mbs, {lr, c_.adam_beta1, c_.adam_beta2, c_.adam_epsilon, c_.weight_decay},
                                   c_.max_grad_norm, st.global_step);
    return {r.finite, r.loss, r.tokens_in, std::nullopt,
            Json{{"loss", r.loss}, {"grad_norm", r.grad_norm}, {"learning_rate", lr}}};
  }

  double epoch(const TrainerState& st) const override {
    const double per_epoch = static_cast<double>(schedule_.per_epoch());
    return (static_cast<double>(st.cursor.epoch) * per_epoch + static_cast<double>(st.cursor.index)) / per_epoch;
  }

  // The loss averaged over the steps since the last logged line, as the HF Trainer logs it.
  Json log_line(const TrainerState& st, const StepReport& r, double seconds_since_log) override {
    Json line = r.metrics;
    const LogWindow& w = st.since_log;
    line["loss"] = w.steps > 0 ? w.loss_sum / static_cast<double>(w.steps) : NAN;
    line["tokens_per_second"] = static_cast<double>(w.tokens) / std::max(1e-9, seconds_since_log);
    if (in_.train.skipped_lines > 0) line["skipped_lines"] = in_.train.skipped_lines;
    return line;
  }

  void after_step(TrainerState& st, bool last, const std::function<void(Json)>& log) override {
    if (in_.eval.sequences.empty() || (st.global_step % eval_every() != 0 && !last)) return;
    log(Json{{"eval_loss", gs_->mean_loss(in_.eval.sequences, c_.per_device_train_batch_size, c_.padding_free)}});
  }

  ledger::RunRecord provenance() const override {
    ledger::RunRecord run;
    run.kind = c_.mode == TrainMode::pretrain ? "pretrain" : "sft";
    run.datasets = in_.datasets;
    return run;
  }

 private:
  int64_t eval_every() const { return c_.eval_steps > 0 ? c_.eval_steps : c_.logging_steps; }

  const TrainConfig& c_;
  TrainingInputs in_;
  data::BatchSchedule schedule_;
  std::optional<GradientStep> gs_;
};

}  // namespace

RunSummary run_training(const TrainConfig& c, const RunOptions& o) {
  if (const std::string note = c.use_peft ? "" : io::gguf::full_tuning_notice(c.model_name_or_path);
      !note.empty() && o.notice)
    o.notice(note);
  TextTrainer trainer(c);
  return run_loop(c, to_yaml(c), o, trainer);
}

}  // namespace aha::train
