// What both demos share: the tokenizer and model config they build before training (a byte-level
// BPE learned on the run's texts, a tokenizer_config.json with EOS and a plain chat template, a
// tiny Llama), their training stages (timed, with progress) and their GRPO settings.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "aha/base/progress.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/train/config.hpp"
#include "aha/train/run_loop.hpp"

namespace aha::demo {

// How a demo shows its stages' progress: the options of a stage's reporter (label, unit, and the
// units between plain lines; the demo passes 0, a line every ~10 s). Empty: the demo shows none.
using ProgressStyle =
    std::function<ProgressOptions(const std::string& label, const std::string& unit, int64_t every_units)>;

// One stage's progress reporter (none when the style is empty), finished when the stage ends; off
// a terminal it prints a line every ~10 s.
class StageProgress {
 public:
  StageProgress(const ProgressStyle& style, const std::string& label, const std::string& unit);
  ~StageProgress();
  // A training run's options that report its steps here.
  train::RunOptions run_options() const;
  // A library call's callback that reports its count here.
  ProgressCallback callback() const;

 private:
  std::unique_ptr<ProgressReporter> reporter_;
};

// What a training stage cost: wall seconds, optimizer steps, input tokens of its forward passes.
struct StageCost {
  double seconds = 0;
  int64_t steps = 0, tokens = 0;
};

// Trains `config` (pretrain or sft), its progress labelled `label`; with max_seconds > 0, stops
// after the first step that ends that long into training.
StageCost train_stage(const train::TrainConfig& config, const ProgressStyle& style, const std::string& label,
                      double max_seconds = 0);

// A demo's pretraining or SFT run on `data`: `steps` steps of `batch` sequences of at most
// `max_length` tokens, a cosine schedule with 5% warm-up from `learning_rate`, the final model only.
train::TrainConfig demo_train_config(train::TrainMode mode, const std::string& data, const std::string& out,
                                     int64_t steps, int64_t batch, int64_t max_length, double learning_rate,
                                     uint64_t seed);

// What a demo's GRPO run is: `steps` steps of `prompts_per_step` prompts from the task's first
// `prompts` training items, `max_tokens` per completion, a constant learning rate.
struct GrpoPlan {
  int64_t prompts = 0, steps = 0, prompts_per_step = 0, max_tokens = 0;
  double learning_rate = 0;
  uint64_t seed = 0;
};

// The GRPO settings both demos share: G = 8 at temperature 1, DAPO's loss with clip-higher 0.28,
// the final model only; the caller adds the prompt template and the rewards.
rl::GrpoConfig demo_grpo_config(const GrpoPlan& plan, const std::string& model, const std::string& out);

// Runs GRPO under `config`, its progress labelled "grpo".
StageCost grpo_stage(const rl::GrpoConfig& config, const ProgressStyle& style);

// The built-in task both demos train and measure on.
inline constexpr const char* kDemoTask = "counting";

// The model's sizes.
struct ModelShape {
  int64_t vocab_size = 0;  // asked of the tokenizer: 256 bytes + merges + <|endoftext|>
  int64_t hidden_size = 0, intermediate_size = 0, num_layers = 0, num_heads = 0, num_kv_heads = 0;
  int64_t max_positions = 256;
};

struct TokenizerIds {
  int64_t eos = 0, vocab_size = 0;  // the BPE stops early when the texts have no more pairs to merge
};

// dir/tokenizer_config.json with EOS <|endoftext|> and a chat template ("User: …\nAssistant:"),
// so that prompts can be rendered before the tokenizer is learned on them.
void write_tokenizer_config(const std::string& dir);

// dir/tokenizer.json: a BPE learned on `texts`, its last id <|endoftext|>.
TokenizerIds train_tokenizer(const std::string& dir, int64_t vocab_size, const std::vector<std::string>& texts);

// A tiny Llama's config.json at `path` whose vocabulary and EOS are the tokenizer's.
std::string write_model_config(const std::string& path, const ModelShape& shape, const TokenizerIds& ids);

}  // namespace aha::demo
