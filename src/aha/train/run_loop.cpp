#include "aha/train/run_loop.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/threads.hpp"
#include "aha/base/yaml.hpp"
#include "aha/dist/job_checks.hpp"
#include "aha/dist/world.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/model/adapter.hpp"
#include "aha/train/metrics_log.hpp"
#include "aha/train/output_dir.hpp"
#include "aha/train/schedule.hpp"

namespace aha::train {
namespace {

using Clock = std::chrono::steady_clock;

// Writes output_dir/provenance.json for the final model: the trainer's record (datasets, rewards),
// the resolved config, and the start, training time and tokens of every attempt so far.
void write_run_provenance(const TrainingArguments& args, const Trainer& trainer, const TrainerState& st,
                          const std::vector<std::string>& hosts) {
  ledger::RunRecord run = trainer.provenance();
  run.hosts = hosts;
  run.config = yaml_to_json(read_file(args.output_dir + "/config.yaml"), args.output_dir + "/config.yaml");
  run.seed = static_cast<uint64_t>(args.seed);
  run.threads = args.threads > 0 ? args.threads : num_threads();
  run.started_at = st.started_at;
  run.wall_seconds = st.train_seconds;
  run.tokens_processed = st.num_input_tokens_seen;
  ledger::write_provenance(args.output_dir, run, args.model_name_or_path);
}

// The config as the ranks must agree on it: all but `threads`, which follows each node's cores.
std::string without_threads(const std::string& yaml) {
  std::string out;
  for (size_t at = 0; at < yaml.size();) {
    const size_t end = std::min(yaml.find('\n', at), yaml.size());
    if (yaml.compare(at, 8, "threads:") != 0) out.append(yaml, at, end + 1 - at);
    at = end + 1;
  }
  return out;
}

struct Loop {
  const TrainingArguments& args;
  const RunOptions& o;
  Trainer& trainer;
  TrainerState& st;
  bool writes;                        // rank 0, which alone writes the files
  std::optional<MetricsLog> metrics;  // when it writes
  int64_t warmup = 0;
  Clock::time_point started = Clock::now(), last_log = Clock::now();
  double seconds_before = st.train_seconds;  // training time of earlier attempts
  int64_t first_step = st.global_step;

  void log(Json line) {
    line["step"] = st.global_step;
    line["epoch"] = trainer.epoch(st);
    if (metrics) metrics->append(line);
    st.log_history.push_back(line);
  }

  void skipped(StepReport& r) {
    ++st.bad_steps_in_a_row;
    r.metrics["skipped_update"] = true;  // a NaN/Inf loss is written as null
    log(r.metrics);
    if (st.bad_steps_in_a_row < kMaxBadStepsInARow) return;
    const auto newest = newest_checkpoint(args.output_dir);
    fail("training stopped at step {}: the loss or grad_norm was NaN or infinite at {} steps in a row; {}",
         st.global_step, kMaxBadStepsInARow,
         newest ? "the last good checkpoint is " + *newest : std::string("no checkpoint was saved"));
  }

  void save() {
    trainer.before_save(st);
    if (!writes) return;
    save_checkpoint(args.output_dir, trainer.model_files(), trainer.optimizer(), trainer.parameter_names(), st,
                    static_cast<uint64_t>(args.seed));
    st.rollout = Json();
    prune_checkpoints(args.output_dir, args.save_total_limit);
  }

  void one_step() {
    const double lr = args.learning_rate * lr_multiplier(args.lr_scheduler_type, st.global_step, warmup, st.max_steps);
    StepReport r = trainer.step(st, lr);
    ++st.global_step;
    st.epoch = trainer.epoch(st);
    st.num_input_tokens_seen += r.tokens;
    st.train_seconds = seconds_before + seconds_since(started);
    if (!r.finite) return skipped(r);
    st.bad_steps_in_a_row = 0;
    st.since_log.loss_sum += r.loss;
    st.since_log.steps += 1;
    st.since_log.tokens += r.tokens;
    const bool last = st.global_step == st.max_steps;
    if (st.global_step % args.logging_steps == 0 || last) {
      log(trainer.log_line(st, r, seconds_since(last_log)));
      st.since_log = {};
      last_log = Clock::now();
    }
    trainer.after_step(st, last, [&](Json line) { log(std::move(line)); });
    if (st.global_step % args.save_steps == 0 || last) save();
    if (o.progress)
      o.progress({st.global_step, progress_total(), r.loss, r.reward, seconds_since(started), first_step});
  }

  // The step count progress counts down to: none when a time bound may end the run first.
  int64_t progress_total() const { return o.max_seconds > 0 ? 0 : st.max_steps; }
};

}  // namespace

std::function<void(const Progress&)> report_progress(ProgressReporter& reporter) {
  return [&reporter](const Progress& p) {
    if (p.step == p.first_step) {
      reporter.start(p.step);
      return reporter.update(p.step, p.max_steps);
    }
    std::vector<ProgressField> fields = {{"loss", p.loss, 4}};
    if (p.reward) fields.push_back({"reward", *p.reward, 3});
    reporter.update(p.step, p.max_steps, fields);
  };
}

void load_checkpoint_model(const std::string& dir, model::Weights& weights, std::optional<model::Lora>& lora) {
  if (lora) lora = model::load_adapter(io::ModelDir(dir));
  else weights = model::load_weights(io::ModelDir(dir));
}

RunSummary run_loop(const TrainingArguments& args, const std::string& config_yaml, const RunOptions& o,
                    Trainer& trainer) {
  // Every rank trains; rank 0 alone writes the files, and every rank reads them on --resume.
  dist::Communicator& comm = dist::world();
  const bool writes = comm.rank() == 0;
  // Rank 0 holds output_dir's lock for the whole run; the other ranks wait for it to be tidied in
  // check_ranks_agree's collectives (an error on rank 0 ends the job).
  FileLock lock;
  if (writes) lock = claim_output_dir(args.output_dir, o.resume, args.overwrite_output_dir, o.notice);
  dist::check_ranks_agree(comm, without_threads(config_yaml), args.output_dir);
  const std::vector<std::string> hosts = dist::node_names(comm);
  const std::string resume_dir = resume_directory(args.output_dir, o.resume, o.resume_path, o.notice);
  if (writes) write_file_atomic(args.output_dir + "/config.yaml", config_yaml);
  TrainerState st;
  if (!resume_dir.empty()) {
    st = read_trainer_state(resume_dir);
    trainer.load_model(resume_dir);
  }
  // A resumed run started when its first attempt did; a fresh run, or a checkpoint that did not
  // record it (written by an older aha), starts now.
  if (st.started_at.empty()) st.started_at = ledger::utc_now();
  const int64_t examples = trainer.num_examples();
  if (!resume_dir.empty() && st.num_sequences != examples)
    fail("{}: the checkpoint's run had {} {}, the dataset now gives {}; resuming would not see the same data",
         resume_dir, st.num_sequences, trainer.examples_name(), examples);
  st.num_sequences = examples;
  st.logging_steps = args.logging_steps;
  st.save_steps = args.save_steps;
  st.train_batch_size = args.per_device_train_batch_size;
  trainer.plan(st);
  trainer.create_optimizer();
  if (!resume_dir.empty()) read_optimizer(resume_dir, trainer.optimizer(), trainer.parameter_names());
  if (st.global_step >= st.max_steps) {
    // A run killed after its last checkpoint has no final model yet; a complete one is left alone.
    if (writes && !std::filesystem::exists(args.output_dir + "/provenance.json")) {
      trainer.before_final_model(st);
      write_model_files(args.output_dir, trainer.model_files());
      write_run_provenance(args, trainer, st, hosts);
    }
    if (o.notice)
      o.notice(
          fmt::format("the run in {} is already complete (step {}): nothing to do", args.output_dir, st.global_step));
    return {st.global_step, true, st.num_input_tokens_seen};
  }
  if (!resume_dir.empty() && o.notice) o.notice(fmt::format("resuming from {} (step {})", resume_dir, st.global_step));
  Loop loop{args, o, trainer, st, writes, std::nullopt};
  if (writes) loop.metrics.emplace(args.output_dir + "/metrics.jsonl", st.global_step);
  loop.warmup = warmup_steps_for(args.warmup_steps, args.warmup_ratio, st.max_steps);
  trainer.start(st);
  if (o.progress) o.progress({st.global_step, loop.progress_total(), 0.0, std::nullopt, 0.0, st.global_step});
  const auto out_of_time = [&] { return o.max_seconds > 0 && seconds_since(loop.started) >= o.max_seconds; };
  while (st.global_step < st.max_steps) {
    loop.one_step();
    if (out_of_time()) break;  // after the step: a run bounded by time makes at least one
  }
  if (!writes) return {st.global_step, false, st.num_input_tokens_seen};
  trainer.before_final_model(st);
  write_model_files(args.output_dir, trainer.model_files());
  write_run_provenance(args, trainer, st, hosts);
  return {st.global_step, false, st.num_input_tokens_seen};
}

}  // namespace aha::train
