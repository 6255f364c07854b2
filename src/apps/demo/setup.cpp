#include "apps/demo/setup.hpp"

#include <chrono>
#include <filesystem>
#include <optional>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "aha/train/trainer.hpp"

namespace aha::demo {
namespace {

constexpr const char* kEos = "<|endoftext|>";
// A plain chat template: "User: ...\nAssistant:" then the completion and EOS.
constexpr const char* kChatTemplate =
    "{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}"
    "{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token + '\\n' }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

}  // namespace

StageProgress::StageProgress(const ProgressStyle& style, const std::string& label, const std::string& unit) {
  if (style) reporter_ = std::make_unique<ProgressReporter>(style(label, unit, 0));
}

StageProgress::~StageProgress() {
  if (reporter_) reporter_->finish();
}

train::RunOptions StageProgress::run_options() const {
  train::RunOptions o;
  if (reporter_) o.progress = train::report_progress(*reporter_);
  return o;
}

ProgressCallback StageProgress::callback() const { return reporter_ ? reporter_->callback() : ProgressCallback{}; }

StageCost train_stage(const train::TrainConfig& config, const ProgressStyle& style, const std::string& label,
                      double max_seconds) {
  train::validate(config, "demo " + label);
  const StageProgress progress(style, label, "steps");
  train::RunOptions run = progress.run_options();
  run.max_seconds = max_seconds;
  const auto started = std::chrono::steady_clock::now();
  const train::RunSummary done = train::run_training(config, run);
  return {train::seconds_since(started), done.global_step, done.tokens};
}

train::TrainConfig demo_train_config(train::TrainMode mode, const std::string& data, const std::string& out,
                                     int64_t steps, int64_t batch, int64_t max_length, double learning_rate,
                                     uint64_t seed) {
  train::TrainConfig c;
  c.mode = mode;
  c.dataset_path = data;
  c.max_length = max_length;
  c.learning_rate = learning_rate;
  c.max_steps = steps;
  c.per_device_train_batch_size = batch;
  c.lr_scheduler_type = "cosine";
  c.warmup_steps = std::max<int64_t>(1, steps / 20);
  c.weight_decay = 0.0;
  c.seed = static_cast<int64_t>(seed);
  c.output_dir = out;
  c.save_steps = 1000000;
  c.save_total_limit = 1;
  c.logging_steps = 10;
  return c;
}

rl::GrpoConfig demo_grpo_config(const GrpoPlan& plan, const std::string& model, const std::string& out) {
  rl::GrpoConfig c;
  c.model_name_or_path = model;
  c.dataset_task = kDemoTask;
  c.dataset_num_examples = plan.prompts;
  c.num_generations = 8;
  c.per_device_train_batch_size = 8 * plan.prompts_per_step;
  c.max_completion_length = plan.max_tokens;
  c.temperature = 1.0;
  c.epsilon_high = 0.28;
  c.loss_type = "dapo";
  c.learning_rate = plan.learning_rate;
  c.lr_scheduler_type = "constant";
  c.max_steps = plan.steps;
  c.seed = static_cast<int64_t>(plan.seed);
  c.output_dir = out;
  c.save_steps = 1000000;
  c.save_total_limit = 1;
  c.log_completions_steps = 10;
  return c;
}

StageCost grpo_stage(const rl::GrpoConfig& config, const ProgressStyle& style) {
  const auto started = std::chrono::steady_clock::now();
  rl::validate(config, "demo grpo");
  rl::GrpoInputs inputs = rl::load_grpo_inputs(config);
  const StageProgress progress(style, "grpo", "steps");
  const train::RunSummary done = rl::run_grpo(config, inputs, progress.run_options());
  return {train::seconds_since(started), done.global_step, done.tokens};
}

void write_tokenizer_config(const std::string& dir) {
  std::filesystem::create_directories(dir);
  const Json config = {{"chat_template", kChatTemplate},
                       {"eos_token", kEos},
                       {"bos_token", nullptr},
                       {"pad_token", kEos},
                       {"model_max_length", 512},
                       {"add_bos_token", false},
                       {"clean_up_tokenization_spaces", false},
                       {"tokenizer_class", "PreTrainedTokenizerFast"}};
  write_file_atomic(dir + "/tokenizer_config.json", config.dump(2) + "\n");
}

TokenizerIds train_tokenizer(const std::string& dir, int64_t vocab_size, const std::vector<std::string>& texts) {
  tokenizer::BpeTrainer trainer({static_cast<int32_t>(vocab_size), {kEos}});
  for (const std::string& text : texts) trainer.add_text(text);
  const tokenizer::TrainResult trained = trainer.finish();
  write_file_atomic(dir + "/tokenizer.json", trained.json);
  const std::optional<int32_t> eos = tokenizer::Tokenizer::load(dir + "/tokenizer.json").token_to_id(kEos);
  if (!eos) fail("{}/tokenizer.json: the trained tokenizer lacks {}", dir, kEos);
  return {*eos, trained.vocab_size};
}

std::string write_model_config(const std::string& path, const ModelShape& shape, const TokenizerIds& ids) {
  const Json config = {{"architectures", {"LlamaForCausalLM"}},
                       {"model_type", "llama"},
                       {"hidden_size", shape.hidden_size},
                       {"intermediate_size", shape.intermediate_size},
                       {"num_hidden_layers", shape.num_layers},
                       {"num_attention_heads", shape.num_heads},
                       {"num_key_value_heads", shape.num_kv_heads},
                       {"vocab_size", ids.vocab_size},
                       {"max_position_embeddings", shape.max_positions},
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

}  // namespace aha::demo
