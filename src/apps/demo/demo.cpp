#include "apps/demo/demo.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/data/prompts.hpp"
#include "aha/eval/evaluation.hpp"
#include "aha/ledger/dataset.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/tasks/counting_teacher.hpp"
#include "aha/tokenizer/chat_template.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "aha/train/trainer.hpp"

namespace aha::demo {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kTask = "counting";
constexpr const char* kEos = "<|endoftext|>";
// A plain chat template: "User: ...\nAssistant:" then the completion and EOS.
constexpr const char* kChatTemplate =
    "{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}"
    "{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token + '\\n' }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// What the warm-up teaches: the noisy teacher's steps in <think>, its number in <answer>.
struct WarmupText {
  std::vector<std::string> completions;
  int64_t correct = 0;  // completions whose answer is right
};

WarmupText teacher_completions(const DemoPlan& p, const std::vector<data::PromptItem>& items) {
  RandomStream rng(p.seed, "demo/teacher");
  WarmupText out;
  for (const data::PromptItem& item : items) {
    const tasks::TeacherSolution s = tasks::noisy_solution(item.reasoning, p.teacher_error_rate, rng);
    out.completions.push_back(fmt::format(" <think>\n{}\n</think>\n<answer>{}</answer>", s.reasoning, s.answer));
    out.correct += s.correct;
  }
  return out;
}

struct TokenizerIds {
  int64_t eos = 0, vocab_size = 0;  // the BPE stops early when the texts have no more pairs to merge
};

// tokenizer/: a BPE learned on the training texts, and tokenizer_config.json with the chat
// template and EOS.
TokenizerIds write_tokenizer(const std::string& dir, const DemoPlan& p, const std::vector<data::PromptItem>& items,
                             const WarmupText& warmup) {
  fs::create_directories(dir);
  Json config = {{"chat_template", kChatTemplate},
                 {"eos_token", kEos},
                 {"bos_token", nullptr},
                 {"pad_token", kEos},
                 {"model_max_length", 256},
                 {"add_bos_token", false},
                 {"clean_up_tokenization_spaces", false},
                 {"tokenizer_class", "PreTrainedTokenizerFast"}};
  write_file_atomic(dir + "/tokenizer_config.json", config.dump(2) + "\n");
  tokenizer::BpeTrainer trainer({static_cast<int32_t>(p.vocab_size), {kEos}});
  const tokenizer::ChatTemplate chat = tokenizer::ChatTemplate::load(dir);
  for (size_t i = 0; i < items.size(); ++i)
    trainer.add_text(data::format_prompt(items[i], data::PromptTemplate::chat, &chat) + warmup.completions[i]);
  const tokenizer::TrainResult trained = trainer.finish();
  write_file_atomic(dir + "/tokenizer.json", trained.json);
  const std::optional<int32_t> eos = tokenizer::Tokenizer::load(dir + "/tokenizer.json").token_to_id(kEos);
  if (!eos) fail("{}/tokenizer.json: the trained tokenizer lacks {}", dir, kEos);
  return {*eos, trained.vocab_size};
}

// data/sft_train.jsonl: {"prompt", "completion"} lines, the prompt rendered with the chat template.
std::string write_sft_data(const std::string& dir, const std::string& tokenizer_dir, const DemoPlan& p,
                           const std::vector<data::PromptItem>& items, const WarmupText& warmup) {
  fs::create_directories(dir);
  const tokenizer::ChatTemplate chat = tokenizer::ChatTemplate::load(tokenizer_dir);
  std::string text;
  for (size_t i = 0; i < items.size(); ++i)
    text += Json{{"prompt", data::format_prompt(items[i], data::PromptTemplate::chat, &chat)},
                 {"completion", warmup.completions[i]}}
                .dump() +
            "\n";
  write_file_atomic(dir + "/sft_train.jsonl", text);
  // The ledger's sidecar: synthetic text from the task generator (no model), so the EU summary
  // lists it under 2.5.
  write_file_atomic(
      dir + "/sft_train.jsonl.DATASET.yaml",
      fmt::format("name: {0} worked solutions\n"
                  "description: {1}\n"
                  "source: aha demo\nlicense: not applicable (generated)\nlanguage: en\n"
                  "content_type: text\ncategory: synthetic\n"
                  "generated_by: \"aha built-in generator '{0}' v1 and aha demo's noisy teacher (programs, "
                  "no model)\"\n",
                  kTask,
                  Json(fmt::format("built-in task '{}' (train split) solved in R1's format by aha demo's "
                                   "noisy teacher program, right on {} of {} items (error rate {}; it "
                                   "stops a step early or takes a step the wrong way)",
                                   kTask, warmup.correct, items.size(), p.teacher_error_rate))
                      .dump()));
  return dir + "/sft_train.jsonl";
}

// model_config.json: a tiny Llama whose vocabulary is the tokenizer's.
std::string write_model_config(const std::string& path, const DemoPlan& p, const TokenizerIds& ids) {
  const Json config = {{"architectures", {"LlamaForCausalLM"}},
                       {"model_type", "llama"},
                       {"hidden_size", p.hidden_size},
                       {"intermediate_size", p.intermediate_size},
                       {"num_hidden_layers", p.num_layers},
                       {"num_attention_heads", p.num_heads},
                       {"num_key_value_heads", p.num_kv_heads},
                       {"vocab_size", ids.vocab_size},
                       {"max_position_embeddings", 256},
                       {"rms_norm_eps", 1e-5},
                       {"rope_theta", 10000.0},
                       {"tie_word_embeddings", true},
                       {"hidden_act", "silu"},
                       {"initializer_range", 0.02},
                       {"bos_token_id", ids.eos},
                       {"eos_token_id", ids.eos}};
  write_file_atomic(path, config.dump(2) + "\n");
  return path;
}

train::TrainConfig sft_config(const DemoPlan& p, const std::string& data, const std::string& out) {
  train::TrainConfig c;
  c.mode = train::TrainMode::sft;
  c.dataset_path = data;
  c.max_length = 256;
  c.learning_rate = p.sft_learning_rate;
  c.max_steps = p.sft_steps;
  c.per_device_train_batch_size = p.sft_batch;
  c.lr_scheduler_type = "cosine";
  c.warmup_steps = std::max<int64_t>(1, p.sft_steps / 20);
  c.weight_decay = 0.0;
  c.seed = static_cast<int64_t>(p.seed);
  c.output_dir = out;
  c.save_steps = 1000000;
  c.save_total_limit = 1;
  c.logging_steps = 10;
  return c;
}

rl::GrpoConfig grpo_config(const DemoPlan& p, const std::string& model, const std::string& out) {
  rl::GrpoConfig c;
  c.model_name_or_path = model;
  c.dataset_task = kTask;
  c.dataset_num_examples = p.grpo_prompts;
  c.prompt_template = "chat";
  c.reward_funcs = {{"accuracy"}, {"format"}};
  c.reward_weights = {1.0, 0.5};
  c.num_generations = 8;
  c.per_device_train_batch_size = 8 * p.grpo_prompts_per_step;
  c.max_completion_length = p.max_completion_tokens;
  c.temperature = 1.0;
  c.epsilon_high = 0.28;
  c.loss_type = "dapo";
  c.dynamic_sampling = true;
  c.max_dynamic_sampling_rounds = 2;
  c.learning_rate = p.grpo_learning_rate;
  c.lr_scheduler_type = "constant";
  c.max_steps = p.grpo_steps;
  c.seed = static_cast<int64_t>(p.seed);
  c.output_dir = out;
  c.save_steps = 1000000;
  c.save_total_limit = 1;
  c.log_completions_steps = 10;
  return c;
}

// Held-out pass@1 (mean over samples), pass@8 and mean length of the model in `model_dir`.
Measurement measure(const DemoPlan& p, const std::string& model_dir, const std::vector<data::PromptItem>& test,
                    const std::string& out) {
  eval::EvalOptions o;
  o.model_dir = model_dir;
  o.name = kTask;
  o.items = test;
  o.dataset = ledger::generator_record(kTask, "1", {{"split", "test"}, {"count", p.test_items}}, p.seed + 1, "eval",
                                       static_cast<int64_t>(test.size()), 0);
  o.reward = "accuracy";
  o.prompt_template = "chat";
  o.samples = p.samples;
  o.ks = {1, p.samples};
  o.sampling.temperature = static_cast<float>(p.temperature);
  o.sampling.top_p = static_cast<float>(p.top_p);
  o.sampling.seed = p.seed;
  o.max_tokens = p.max_completion_tokens;
  const eval::EvalResult r = eval::run_evaluation(o);
  eval::write_evaluation(out, r);
  const Json& m = r.summary["metrics"];
  return {m["pass@1"].get<double>(), m[fmt::format("pass@{}", p.samples)].get<double>(),
          m["mean_completion_tokens"].get<double>(), 0.0};
}

Json measurement_json(const Measurement& m) {
  return {{"pass1", m.pass1},
          {"pass8", m.pass8},
          {"mean_completion_tokens", m.mean_length},
          {"train_seconds", m.stage_seconds}};
}

}  // namespace

DemoPlan demo_plan(bool quick) {
  DemoPlan p;
  if (quick) {
    p.vocab_size = 320;
    p.hidden_size = 32, p.intermediate_size = 64, p.num_layers = 2, p.num_heads = 2, p.num_kv_heads = 1;
    p.sft_examples = 256, p.sft_steps = 20, p.sft_batch = 16, p.sft_learning_rate = 3e-3;
    p.test_items = 24, p.max_completion_tokens = 48;
    p.grpo_prompts = 64, p.grpo_steps = 3, p.grpo_prompts_per_step = 2;
    p.grpo_learning_rate = 1e-3, p.control_learning_rate = 1e-3;
    return p;
  }
  p.vocab_size = 512;
  p.hidden_size = 128, p.intermediate_size = 344, p.num_layers = 4, p.num_heads = 4, p.num_kv_heads = 2;
  p.sft_examples = 20000, p.sft_steps = 1000, p.sft_batch = 32, p.sft_learning_rate = 3e-3;
  p.test_items = 500, p.max_completion_tokens = 48;
  p.grpo_prompts = 4000, p.grpo_steps = 200, p.grpo_prompts_per_step = 8;
  p.grpo_learning_rate = 1e-4, p.control_learning_rate = 1e-4;
  return p;
}

DemoResult run_demo(const DemoOptions& o) {
  const DemoPlan& p = o.plan;
  const auto notice = [&](const std::string& line) {
    if (o.notice) o.notice(line);
  };
  if (fs::exists(o.out_dir) && (!fs::is_directory(o.out_dir) || !fs::is_empty(o.out_dir)))
    fail(
        "--out {}: already exists and is not an empty directory; aha demo writes a new run (choose another --out "
        "or remove it)",
        o.out_dir);
  fs::create_directories(o.out_dir);
  const std::string out = fs::absolute(o.out_dir).lexically_normal().string();
  const Clock::time_point started = Clock::now();
  DemoResult r;

  notice(fmt::format("generating {} training and {} held-out {} items", p.sft_examples, p.test_items, kTask));
  const std::vector<data::PromptItem> train_items = tasks::generate_task(kTask, "train", p.sft_examples, p.seed);
  const std::vector<data::PromptItem> test_items = tasks::generate_task(kTask, "test", p.test_items, p.seed + 1);
  notice(fmt::format("training a {}-token BPE tokenizer", p.vocab_size));
  const WarmupText warmup = teacher_completions(p, train_items);
  const TokenizerIds ids = write_tokenizer(out + "/tokenizer", p, train_items, warmup);
  const std::string sft_data = write_sft_data(out + "/data", out + "/tokenizer", p, train_items, warmup);
  r.teacher_accuracy = static_cast<double>(warmup.correct) / static_cast<double>(train_items.size());

  notice(fmt::format("warm-up SFT of a new model from scratch: {} steps", p.sft_steps));
  Clock::time_point t = Clock::now();
  train::TrainConfig warm = sft_config(p, sft_data, out + "/sft");
  warm.model_config = write_model_config(out + "/model_config.json", p, ids);
  warm.tokenizer = out + "/tokenizer";
  train::validate(warm, "demo warm-up");
  train::run_training(warm, {});
  r.before.stage_seconds = seconds_since(t);

  notice(fmt::format("measuring the start: {} held-out items x {} samples", p.test_items, p.samples));
  const Measurement start = measure(p, out + "/sft", test_items, out + "/eval/before");
  r.before = {start.pass1, start.pass8, start.mean_length, r.before.stage_seconds};

  notice(fmt::format("GRPO (accuracy + format rewards): {} steps", p.grpo_steps));
  t = Clock::now();
  const rl::GrpoConfig g = grpo_config(p, out + "/sft", out + "/grpo");
  rl::validate(g, "demo grpo");
  rl::GrpoInputs inputs = rl::load_grpo_inputs(g);
  rl::run_grpo(g, inputs, {});
  const double grpo_seconds = seconds_since(t);
  notice("measuring after GRPO");
  r.after = measure(p, out + "/grpo", test_items, out + "/eval/after");
  r.after.stage_seconds = grpo_seconds;
  r.wall_seconds = seconds_since(started);
  r.model_dir = out + "/grpo";

  notice(fmt::format("control: SFT from the same start for the same {:.1f} s", grpo_seconds));
  train::TrainConfig control = sft_config(p, sft_data, out + "/sft_control");
  control.model_name_or_path = out + "/sft";
  control.learning_rate = p.control_learning_rate;
  control.lr_scheduler_type = "constant";
  control.warmup_steps = 0;
  control.max_steps = 1000000;
  control.seed = static_cast<int64_t>(p.seed) + 1;  // other batches than the warm-up's
  train::validate(control, "demo control");
  train::RunOptions timed;
  timed.max_seconds = grpo_seconds;
  t = Clock::now();
  train::run_training(control, timed);
  const double control_seconds = seconds_since(t);
  r.control = measure(p, out + "/sft_control", test_items, out + "/eval/sft_control");
  r.control.stage_seconds = control_seconds;

  r.summary = {{"task", kTask},
               {"teacher_accuracy", r.teacher_accuracy},
               {"test_items", p.test_items},
               {"samples", p.samples},
               {"temperature", p.temperature},
               {"top_p", p.top_p},
               {"max_completion_tokens", p.max_completion_tokens},
               {"pass1_before", r.before.pass1},
               {"pass1_after", r.after.pass1},
               {"pass8_before", r.before.pass8},
               {"pass8_after", r.after.pass8},
               {"pass1_sft_same_time", r.control.pass1},
               {"pass8_sft_same_time", r.control.pass8},
               {"wall_seconds", r.wall_seconds},
               {"model_dir", r.model_dir},
               {"before", measurement_json(r.before)},
               {"after", measurement_json(r.after)},
               {"sft_same_time", measurement_json(r.control)}};
  write_file_atomic(out + "/summary.json", r.summary.dump(2) + "\n");
  return r;
}

std::string format_table(const DemoResult& r) {
  std::string t = "| model | pass@1 | pass@8 | mean completion tokens | training seconds |\n";
  t += "|---|---|---|---|---|\n";
  const auto row = [&](const char* name, const Measurement& m) {
    t += fmt::format("| {} | {:.4f} | {:.4f} | {:.1f} | {:.1f} |\n", name, m.pass1, m.pass8, m.mean_length,
                     m.stage_seconds);
  };
  row("warm-up SFT (start)", r.before);
  row("after GRPO", r.after);
  row("SFT control, same time as GRPO", r.control);
  return t;
}

}  // namespace aha::demo
