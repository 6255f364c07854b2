// Shared fixtures of the GRPO run tests: a reward whose scores differ within groups of a random
// model's completions, and a tiny model with the byte tokenizer.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/rl/reward.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha::rl::grpo_testing {

// 1 when the completion starts with an ASCII character (about half of a random model's first
// tokens: the byte tokens below 128), else 0. Throws at call `fail_at` (1-based) to simulate a
// run killed mid-way.
class AsciiFirst : public RewardFunction {
 public:
  explicit AsciiFirst(int fail_at = 0) : fail_at_(fail_at) {}
  const std::string& name() const override { return name_; }
  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    if (++calls_ == fail_at_) fail("simulated crash");
    std::vector<double> s;
    for (const RewardInput& in : inputs)
      s.push_back(!in.completion.empty() && static_cast<unsigned char>(in.completion[0]) < 128 ? 1.0 : 0.0);
    return s;
  }

 private:
  std::string name_ = "ascii_first";
  int fail_at_, calls_ = 0;
};

// Writes `dir`: a tiny Llama (seed 9) with the byte tokenizer's vocabulary (257, EOS 256).
inline void write_byte_model(const std::string& dir) {
  std::filesystem::create_directories(dir);
  Json config = test::tiny_llama_config();
  config["vocab_size"] = 257;
  config["eos_token_id"] = 256;
  test::write_tiny_model(dir, config, 9);
  train::testing::write_byte_tokenizer(dir);
}

// A GRPO config on the tiny model in `model_dir` with AsciiFirst: groups of 8, micro-batches of 8
// accumulated twice, 3-token completions, learning rate 1e-2 constant, 30 steps, seed 5.
inline GrpoConfig tiny_grpo_config(const std::string& model_dir, const std::string& output_dir) {
  GrpoConfig c;
  c.model_name_or_path = model_dir;
  c.dataset_task = "unused";
  c.reward_funcs = {{"ascii_first"}};
  c.output_dir = output_dir;
  c.num_generations = 8;
  c.per_device_train_batch_size = 8;
  c.gradient_accumulation_steps = 2;
  c.max_completion_length = 3;
  c.learning_rate = 1e-2;
  c.lr_scheduler_type = "constant";
  c.max_steps = 30;
  c.save_steps = 100;
  c.seed = 5;
  return c;
}

// What load_grpo_inputs gives for the tiny model, with `prompts` and AsciiFirst(fail_at).
inline GrpoInputs tiny_grpo_inputs(const std::string& model_dir, const std::vector<std::string>& prompts,
                                   int fail_at = 0) {
  GrpoInputs in;
  in.config_json = read_file(model_dir + "/config.json");
  in.model_config = io::parse_model_config(parse_json(in.config_json, "config.json"), "config.json");
  in.weights = model::load_weights(io::ModelDir(model_dir));
  in.tokenizer_files = {model_dir + "/tokenizer.json"};
  in.tokenizer = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::load(model_dir + "/tokenizer.json"));
  for (const std::string& p : prompts) in.prompts.push_back({p, in.tokenizer->encode(p), 0});
  in.rewards.push_back(std::make_unique<AsciiFirst>(fail_at));
  in.eos_ids = {256};
  return in;
}

// The mean of "reward" over the metrics lines [begin, end).
inline double mean_reward(const std::vector<Json>& lines, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += lines[i]["reward"].get<double>();
  return s / static_cast<double>(end - begin);
}

// A tiny model in a temporary directory, and the config and inputs of a GRPO run on it with six
// prompts ("1+2=", ...); config(out) writes the run to dir/out.
struct TinyGrpoRun {
  test::TempDir dir;
  std::string model_dir = dir.file("model");

  TinyGrpoRun() { write_byte_model(model_dir); }

  GrpoConfig config(const std::string& out) const { return tiny_grpo_config(model_dir, dir.file(out)); }

  GrpoInputs inputs(int fail_at = 0) const {
    return tiny_grpo_inputs(model_dir, {"1+2=", "3+4=", "5+6=", "7+8=", "9+1=", "2+3="}, fail_at);
  }
};

}  // namespace aha::rl::grpo_testing
