#include "apps/demo/demo.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/data/prompts.hpp"
#include "aha/rl/distill.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/tasks/counting_teacher.hpp"
#include "aha/tokenizer/chat_template.hpp"
#include "aha/train/trainer.hpp"

namespace aha::demo {
namespace fs = std::filesystem;
namespace {

// What the warm-up teaches: the teacher's steps in <think>, its number in <answer>.
struct WarmupText {
  std::vector<std::string> prompts, completions;
  int64_t correct = 0, misread = 0;
};

WarmupText teacher_completions(const DemoPlan& p, const std::vector<data::PromptItem>& items,
                               const tokenizer::ChatTemplate& chat) {
  RandomStream rng(p.seed, "demo/teacher");
  WarmupText out;
  for (const data::PromptItem& item : items) {
    const tasks::TeacherSolution s = tasks::teacher_solution(item.reasoning, p.teacher_misread_rate, rng);
    out.prompts.push_back(data::format_prompt(item, data::PromptTemplate::chat, &chat));
    out.completions.push_back(fmt::format(" <think>\n{}\n</think>\n<answer>{}</answer>", s.reasoning, s.answer));
    out.correct += s.correct;
    out.misread += s.misread;
  }
  return out;
}

// data/sft_train.jsonl: {"prompt", "completion"} lines, the prompt rendered with the chat
// template, and the ledger's sidecar: synthetic text from programs (no model), so the EU summary
// lists it under 2.5.
std::string write_sft_data(const std::string& dir, const DemoPlan& p, const WarmupText& warmup) {
  fs::create_directories(dir);
  std::string text;
  for (size_t i = 0; i < warmup.prompts.size(); ++i)
    text += Json{{"prompt", warmup.prompts[i]}, {"completion", warmup.completions[i]}}.dump() + "\n";
  write_file_atomic(dir + "/sft_train.jsonl", text);
  const std::string description = fmt::format(
      "built-in task '{}' (train split) solved in R1's format by aha demo's teacher program, right on "
      "{} of {} items: on problems with a take-away step it reads the first one as adding with "
      "probability {} (misread {} times)",
      kDemoTask, warmup.correct, warmup.prompts.size(), p.teacher_misread_rate, warmup.misread);
  write_file_atomic(dir + "/sft_train.jsonl.DATASET.yaml",
                    fmt::format("name: {0} worked solutions\ndescription: {1}\n"
                                "source: aha demo\nlicense: not applicable (generated)\nlanguage: en\n"
                                "content_type: text\ncategory: synthetic\n"
                                "generated_by: \"aha built-in generator '{0}' v1 and aha demo's teacher program "
                                "(programs, no model)\"\n",
                                kDemoTask, Json(description).dump()));
  return dir + "/sft_train.jsonl";
}

train::TrainConfig sft_config(const DemoPlan& p, const std::string& data, const std::string& out) {
  return demo_train_config(train::TrainMode::sft, data, out, p.sft_steps, p.sft_batch, 256, p.sft_learning_rate,
                           p.seed);
}

rl::GrpoConfig grpo_config(const DemoPlan& p, const std::string& model, const std::string& out) {
  rl::GrpoConfig c = demo_grpo_config(
      {p.grpo_prompts, p.grpo_steps, p.grpo_prompts_per_step, p.max_completion_tokens, p.grpo_learning_rate, p.seed},
      model, out);
  c.prompt_template = "chat";
  c.reward_funcs = {{"accuracy"}, {"format"}};
  c.reward_weights = {1.0, 0.5};
  c.dynamic_sampling = true;
  c.max_dynamic_sampling_rounds = 2;
  return c;
}

// SFT from the warm-up model on `data` at the control learning rate, stopped after the first step
// that ends `seconds` into training (at least one step).
StageCost timed_sft(const DemoPlan& p, const std::string& data, const std::string& start, const std::string& out,
                    double seconds, int64_t seed, const ProgressStyle& style) {
  train::TrainConfig c = sft_config(p, data, out);
  c.model_name_or_path = start;
  c.learning_rate = p.control_learning_rate;
  c.lr_scheduler_type = "constant";
  c.warmup_steps = 0;
  c.max_steps = 1000000;
  c.seed = seed;
  return train_stage(c, style, "sft " + std::filesystem::path(out).filename().string(), std::max(seconds, 1e-3));
}

// R1's rejection sampling as a control: the warm-up model samples every prompt of GRPO's training
// set (8 completions each; GRPO's steps, with dynamic sampling's extra draws, go through all of
// them), the same verifiers keep the right ones, and SFT on them fills the rest of GRPO's wall
// time. Returns the stage's cost and the model (the start when nothing passed).
std::pair<StageCost, std::string> rejection_sampling_control(const DemoPlan& p, const std::string& out, double seconds,
                                                             const ProgressStyle& style) {
  rl::DistillConfig d;
  d.model_name_or_path = out + "/sft";
  d.dataset_task = kDemoTask;
  d.dataset_num_examples = p.grpo_prompts;
  d.seed = static_cast<int64_t>(p.seed);
  d.output_dir = out + "/rs_data";
  d.prompt_template = "chat";
  d.reward_funcs = {{"accuracy"}, {"format"}};
  d.num_samples = 8;
  d.temperature = p.temperature;
  d.top_p = p.top_p;
  d.max_completion_length = p.max_completion_tokens;
  const auto started = std::chrono::steady_clock::now();
  const rl::DistillSummary kept = [&] {
    const StageProgress progress(style, "rejection sampling", "completions");
    return rl::run_distill(d, progress.callback());
  }();
  const double sampling = train::seconds_since(started);
  if (kept.kept == 0) return {StageCost{sampling, 0, 0}, d.model_name_or_path};  // the control is the start
  StageCost cost = timed_sft(p, kept.dataset_path, d.model_name_or_path, out + "/rs_control", seconds - sampling,
                             static_cast<int64_t>(p.seed) + 2, style);
  cost.seconds += sampling;
  return {cost, out + "/rs_control"};
}

// What the warm-up trains on, written under out/: the tokenizer and the teacher's solutions.
struct WarmupData {
  TokenizerIds ids;
  std::string sft_path;
  double teacher_accuracy = 0;  // the share of the teacher's solutions with the right answer
};

WarmupData prepare_warmup(const DemoPlan& p, const std::string& out,
                          const std::function<void(const std::string&)>& notice) {
  const std::vector<data::PromptItem> items = tasks::generate_task(kDemoTask, "train", p.sft_examples, p.seed);
  notice(fmt::format("training a {}-token BPE tokenizer", p.model.vocab_size));
  write_tokenizer_config(out + "/tokenizer");
  const WarmupText warmup = teacher_completions(p, items, tokenizer::ChatTemplate::load(out + "/tokenizer"));
  std::vector<std::string> texts;
  for (size_t i = 0; i < warmup.prompts.size(); ++i) texts.push_back(warmup.prompts[i] + warmup.completions[i]);
  WarmupData d;
  d.ids = train_tokenizer(out + "/tokenizer", p.model.vocab_size, texts);
  d.sft_path = write_sft_data(out + "/data", p, warmup);
  d.teacher_accuracy = static_cast<double>(warmup.correct) / static_cast<double>(items.size());
  return d;
}

Json settings_json(const DemoPlan& p, const DemoResult& r) {
  return {{"task", kDemoTask},
          {"seed", p.seed},
          {"teacher_misread_rate", p.teacher_misread_rate},
          {"teacher_accuracy", r.teacher_accuracy},
          {"test_items", p.test_items},
          {"samples", p.samples},
          {"temperature", p.temperature},
          {"top_p", p.top_p},
          {"max_completion_tokens", p.max_completion_tokens},
          {"verifier", "accuracy (strict); lenient: accuracy_lenient"},
          {"wall_seconds", r.wall_seconds},
          {"model_dir", r.model_dir}};
}

}  // namespace

DemoPlan demo_plan(bool quick) {
  DemoPlan p;
  if (quick) {
    p.model = {320, 32, 64, 2, 2, 1};
    p.sft_examples = 256, p.sft_steps = 20, p.sft_batch = 16, p.sft_learning_rate = 3e-3;
    p.test_items = 24, p.max_completion_tokens = 48;
    p.grpo_prompts = 64, p.grpo_steps = 3, p.grpo_prompts_per_step = 2;
    p.grpo_learning_rate = 1e-3, p.control_learning_rate = 1e-3;
    return p;
  }
  p.model = {512, 128, 344, 4, 4, 2};
  p.sft_examples = 20000, p.sft_steps = 1000, p.sft_batch = 32, p.sft_learning_rate = 3e-3;
  p.test_items = 500, p.max_completion_tokens = 48;
  p.grpo_prompts = 4000, p.grpo_steps = 500, p.grpo_prompts_per_step = 8;
  p.grpo_learning_rate = 1e-4, p.control_learning_rate = 1e-4;
  return p;
}

std::string new_run_directory(const std::string& out_dir) {
  if (fs::exists(out_dir) && (!fs::is_directory(out_dir) || !fs::is_empty(out_dir)))
    fail(
        "--out {}: already exists and is not an empty directory; aha demo writes a new run (choose another --out "
        "or remove it)",
        out_dir);
  fs::create_directories(out_dir);
  return fs::absolute(out_dir).lexically_normal().string();
}

DemoResult run_demo(const DemoOptions& o) {
  const DemoPlan& p = o.plan;
  const auto notice = [&](const std::string& line) {
    if (o.notice) o.notice(line);
  };
  const std::string out = new_run_directory(o.out_dir);
  const auto started = std::chrono::steady_clock::now();
  DemoResult r;

  notice(fmt::format("generating {} training and {} held-out {} items", p.sft_examples, p.test_items, kDemoTask));
  const std::vector<data::PromptItem> test_items = tasks::generate_task(kDemoTask, "test", p.test_items, p.seed + 1);
  const WarmupData data = prepare_warmup(p, out, notice);
  const std::string& sft_data = data.sft_path;
  r.teacher_accuracy = data.teacher_accuracy;

  notice(fmt::format("warm-up SFT of a new model from scratch: {} steps", p.sft_steps));
  train::TrainConfig warm = sft_config(p, sft_data, out + "/sft");
  warm.model_config = write_model_config(out + "/model_config.json", p.model, data.ids);
  warm.tokenizer = out + "/tokenizer";
  const StageCost warm_cost = train_stage(warm, o.progress, "warm-up sft");
  const MeasureSettings ms{kDemoTask,  "chat",    p.samples, p.temperature, p.top_p, p.max_completion_tokens,
                           p.seed + 1, o.progress};
  notice(fmt::format("measuring the start: {} held-out items, greedy and {} samples", p.test_items, p.samples));
  r.warmup = measure(ms, out + "/sft", test_items, out + "/eval/warmup", warm_cost);

  notice(fmt::format("GRPO (accuracy + format rewards): {} steps", p.grpo_steps));
  const StageCost grpo_cost = grpo_stage(grpo_config(p, out + "/sft", out + "/grpo"), o.progress);
  notice("measuring the GRPO model");
  r.grpo = measure(ms, out + "/grpo", test_items, out + "/eval/grpo", grpo_cost);
  r.wall_seconds = train::seconds_since(started);
  r.model_dir = out + "/grpo";

  const double budget = grpo_cost.seconds;
  notice(fmt::format("control 1: rejection sampling from the start, then SFT on what passed, {:.1f} s in all", budget));
  const auto [rs_cost, rs_model] = rejection_sampling_control(p, out, budget, o.progress);
  r.rejection_sampling = measure(ms, rs_model, test_items, out + "/eval/rejection_sampling", rs_cost);
  notice(fmt::format("control 2: SFT from the start on the teacher's data for {:.1f} s", budget));
  const StageCost sft_cost =
      timed_sft(p, sft_data, out + "/sft", out + "/sft_control", budget, static_cast<int64_t>(p.seed) + 1,
                o.progress);  // other batches than the warm-up's
  r.sft_control = measure(ms, out + "/sft_control", test_items, out + "/eval/sft_same_time", sft_cost);

  r.summary = settings_json(p, r);
  r.summary["models"] = {measurement_json("warmup", r.warmup, p.samples), measurement_json("grpo", r.grpo, p.samples),
                         measurement_json("rejection_sampling", r.rejection_sampling, p.samples),
                         measurement_json("sft_same_time", r.sft_control, p.samples)};
  write_file_atomic(out + "/summary.json", r.summary.dump(2) + "\n");
  return r;
}

std::string table_row(const std::string& name, const Measurement& m, bool lenient) {
  const Scores& s = lenient ? m.lenient : m.strict;
  return fmt::format("| {} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.1f} | {:.1f} | {} | {} |\n", name, s.greedy_pass1,
                     s.pass1, s.maj, s.pass, m.mean_tokens, m.train.seconds, m.train.steps, m.train.tokens);
}

std::string format_table(const DemoResult& r, int64_t samples) {
  std::string t = fmt::format(
      "| model | greedy pass@1 | pass@1 | maj@{0} | pass@{0} | mean tokens | train s | train steps | train tokens |\n"
      "|---|---|---|---|---|---|---|---|---|\n",
      samples);
  t += table_row("warm-up SFT (start)", r.warmup);
  t += table_row("GRPO", r.grpo);
  t += table_row("rejection sampling + SFT, GRPO's time", r.rejection_sampling);
  t += table_row("SFT on the teacher, GRPO's time", r.sft_control);
  return t;
}

}  // namespace aha::demo
