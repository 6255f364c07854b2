// The loss variants of #19 through the model: one GRPO step's weight gradients (GrpoUpdate, its
// packing, log-probs, loss and backward) against float64 PyTorch autograd from the step loss down
// to every weight (tests/oracle/grpo_reference.py) for token-level and sequence-level ratios;
// disable_dropout; and the checks of the new config keys.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/adapter.hpp"
#include "aha/model/gradients.hpp"
#include "aha/rl/grpo_update.hpp"
#include "aha/train/init_weights.hpp"
#include "rl/grpo_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace aha::rl {
namespace {

struct StepCase {
  std::string name;
  Json keys;  // config keys of the case, as the reference reads them
};

// The config of a gradient case: 8 completions (2 groups of 4) in micro-batches of 4 accumulated
// twice, temperature 0.7, no clipping of the gradient, no KL.
GrpoConfig step_config(const std::string& model_dir, const StepCase& k) {
  GrpoConfig c = grpo_testing::tiny_grpo_config(model_dir, "unused");
  c.num_generations = 4;
  c.per_device_train_batch_size = 4;
  c.gradient_accumulation_steps = 2;
  c.temperature = 0.7;
  c.max_grad_norm = 0.0;
  c.loss_type = k.keys["loss_type"];
  c.importance_sampling_level = k.keys.value("importance_sampling_level", "token");
  c.epsilon_high = k.keys.value("epsilon_high", 0.28);
  if (k.keys.contains("delta")) c.delta = k.keys["delta"].get<double>();
  c.top_entropy_quantile = k.keys.value("top_entropy_quantile", 1.0);
  return c;
}

// 8 random completions of 2..6 tokens after 2..4-token prompts, advantages ±1 and old log-probs
// moved from the model's own by a per-completion drift and per-token noise (both clip sides).
Rollout random_rollout(GrpoUpdate& update, std::vector<GrpoPrompt>& prompts, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> id(0, 255), prompt_length(2, 4), length(2, 6);
  std::uniform_real_distribution<double> noise(-0.3, 0.3), drift(-0.5, 0.5), advantage(-1.5, 1.5);
  Rollout r;
  for (int c = 0; c < 8; ++c) {
    GrpoPrompt p;
    for (int i = prompt_length(rng); i > 0; --i) p.ids.push_back(id(rng));
    prompts.push_back(p);
    rl::Completion x;
    x.prompt = c;
    for (int i = length(rng); i > 0; --i) x.ids.push_back(id(rng));
    x.advantage = advantage(rng);
    r.completions.push_back(x);
  }
  update.fill_old_logps(r, prompts);
  for (rl::Completion& x : r.completions) {
    const double shift = drift(rng);
    for (float& v : x.old_logp) v = static_cast<float>(v + shift + noise(rng));
  }
  return r;
}

TEST(GrpoVariants, a_steps_weight_gradients_match_pytorch_for_token_and_sequence_level_ratios) {
  test::TempDir dir;
  const std::string model_dir = dir.file("model");
  grpo_testing::write_byte_model(model_dir);
  const std::vector<StepCase> cases = {
      {"token/dapo+delta+entropy", {{"loss_type", "dapo"}, {"delta", 1.3}, {"top_entropy_quantile", 0.5}}},
      {"token/cispo", {{"loss_type", "cispo"}, {"epsilon_high", 1.2}}},
      {"sequence/grpo", {{"loss_type", "grpo"}, {"importance_sampling_level", "sequence"}}},
      {"sequence/sapo", {{"loss_type", "sapo"}, {"importance_sampling_level", "sequence"}}},
  };
  Json manifest = Json::array();
  for (size_t i = 0; i < cases.size(); ++i) {
    const GrpoConfig c = step_config(model_dir, cases[i]);
    GrpoInputs in = grpo_testing::tiny_grpo_inputs(model_dir, {});
    GrpoUpdate update(c, in.model_config, in.weights, nullptr);
    std::vector<GrpoPrompt> prompts;
    Rollout r = random_rollout(update, prompts, 7 + static_cast<unsigned>(i));
    Json completions = Json::array(), advantages = Json::array();
    for (const rl::Completion& x : r.completions) {
      completions.push_back({{"prompt", prompts[x.prompt].ids},
                             {"ids", x.ids},
                             {"old_logp", std::vector<double>(x.old_logp.begin(), x.old_logp.end())},
                             {"mask", std::vector<double>(x.ids.size(), 1.0)}});
      advantages.push_back(x.advantage);
    }
    update.step(r, prompts, 0.0, 0);
    // The step's gradients by name, shaped as the weights.
    std::map<std::string, tensor::Tensor> grads;
    for (const model::Parameter& p : model::parameters(in.weights))
      for (size_t t = 0; t < update.parameter_names().size(); ++t)
        if (update.parameter_names()[t] == p.name) {
          const std::span<float> g = update.gradients()[t];
          grads[p.name] = tensor::Tensor::from_f32(p.shape, std::vector<float>(g.begin(), g.end()));
        }
    const std::string grads_path = dir.file(fmt::format("grads{}.safetensors", i));
    io::write_safetensors(grads_path, grads);
    Json k = {{"name", cases[i].name},
              {"model", model_dir},
              {"grads", grads_path},
              {"temperature", 0.7},
              {"beta", 0.0},
              {"epsilon_low", 0.2},
              {"epsilon_high", c.epsilon_high.value()},
              {"max_completion_length", c.max_completion_length},
              {"per_device_train_batch_size", 4},
              {"gradient_accumulation_steps", 2},
              {"sapo_temperature_pos", 1.0},
              {"sapo_temperature_neg", 1.05},
              {"advantages", advantages},
              {"completions", completions}};
    k.update(cases[i].keys);
    manifest.push_back(k);
  }
  test::write_text(dir.file("cases.json"), Json{{"cases", manifest}}.dump());
  const std::string command = "/usr/bin/python3 " AHA_SOURCE_DIR "/tests/oracle/grpo_reference.py --manifest " +
                              dir.file("cases.json") + " --out " + dir.file("report.json");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const Json report = read_json_file(dir.file("report.json"));
  ASSERT_EQ(report["cases"].size(), cases.size());
  for (const Json& c : report["cases"]) {
    const std::string name = c["name"];
    EXPECT_TRUE(c["missing"].empty()) << name << c["missing"].dump();
    EXPECT_GT(c["tensors"].size(), 5u) << name;
    for (const auto& [tensor, error] : c["tensors"].items())
      EXPECT_LT(error.get<double>(), 1e-4) << name << ": " << tensor;
  }
}

// The adapters' gradients of one step on the tiny model with LoRA dropout `dropout`, B moved off
// zero so that every adapter has a gradient.
std::vector<std::vector<float>> lora_step_gradients(const std::string& model_dir, double dropout,
                                                    bool disable_dropout) {
  GrpoConfig c = step_config(model_dir, {"", {{"loss_type", "grpo"}}});
  c.use_peft = true;
  c.lora_dropout = dropout;
  c.disable_dropout = disable_dropout;
  GrpoInputs in = grpo_testing::tiny_grpo_inputs(model_dir, {});
  in.lora =
      model::zero_lora(in.model_config, {4, 8.0, dropout, false, model::resolve_lora_targets({"all-linear"}, "t")});
  train::init_lora(*in.lora, 3);
  for (auto& layer : in.lora->layers)
    for (model::LoraLinear& l : layer)
      for (size_t i = 0; i < l.b.size(); ++i) l.b[i] = 0.01f * static_cast<float>(i % 7) - 0.03f;
  GrpoUpdate update(c, in.model_config, in.weights, nullptr, &*in.lora);
  std::vector<GrpoPrompt> prompts;
  Rollout r = random_rollout(update, prompts, 5);
  update.step(r, prompts, 0.0, 0);
  std::vector<std::vector<float>> grads;
  for (const std::span<float>& g : update.gradients()) grads.emplace_back(g.begin(), g.end());
  return grads;
}

TEST(GrpoVariants, disable_dropout_turns_the_lora_dropout_off_in_training) {
  test::TempDir dir;
  const std::string model_dir = dir.file("model");
  grpo_testing::write_byte_model(model_dir);
  const auto without = lora_step_gradients(model_dir, 0.0, false);
  EXPECT_EQ(lora_step_gradients(model_dir, 0.5, true), without);
  EXPECT_NE(lora_step_gradients(model_dir, 0.5, false), without);
}

// The error load_grpo_config gives for `overrides` on a valid config ("" when none).
std::string variant_error(const std::vector<std::string>& overrides) {
  test::TempDir dir;
  const std::string path = dir.file("grpo.yaml");
  test::write_text(path,
                   "model_name_or_path: m\ndataset_task: countdown\noutput_dir: o\nreward_funcs: [accuracy]\n"
                   "num_generations: 4\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 2\n");
  try {
    load_grpo_config(path, overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GrpoConfigTemplate, r1_zero_think_is_a_template_and_refuses_the_format_reward_that_cannot_score_after_it) {
  EXPECT_EQ(variant_error({"prompt_template=r1_zero_think"}), "");
  EXPECT_EQ(variant_error({"prompt_template=r1_zero_think", "reward_funcs=[accuracy, format_think_open]"}), "");
  EXPECT_EQ(variant_error({"prompt_template=r1_zero", "reward_funcs=[accuracy, format]"}), "");
  const std::string refused = variant_error({"prompt_template=r1_zero_think", "reward_funcs=[accuracy, format]"});
  EXPECT_NE(refused.find("reward_funcs: format never scores after prompt_template r1_zero_think"), std::string::npos)
      << refused;
  const std::string unknown = variant_error({"prompt_template=r1"});
  EXPECT_NE(unknown.find("prompt_template: must be r1_zero, r1_zero_think, chat or raw"), std::string::npos) << unknown;
}

TEST(GrpoVariants, the_new_keys_have_trls_defaults_and_bad_values_name_the_key) {
  test::TempDir dir;
  const GrpoConfig d;
  EXPECT_EQ(d.importance_sampling_level, "token");
  EXPECT_FALSE(d.delta.has_value());
  EXPECT_EQ(d.sapo_temperature_neg, 1.05);
  EXPECT_EQ(d.sapo_temperature_pos, 1.0);
  EXPECT_EQ(d.top_entropy_quantile, 1.0);
  EXPECT_EQ(d.ref_model_mixup_alpha, 0.6);
  EXPECT_EQ(d.ref_model_sync_steps, 512);
  EXPECT_FALSE(d.sync_ref_model);
  EXPECT_FALSE(d.disable_dropout);
  EXPECT_EQ(variant_error({"importance_sampling_level=sequence", "loss_type=cispo", "epsilon_high=5",
                           "steps_per_generation=4", "top_entropy_quantile=0.2", "disable_dropout=true"}),
            "");
  EXPECT_EQ(variant_error({"loss_type=sapo", "generation_batch_size=16"}), "");
  EXPECT_EQ(variant_error({"beta=0.04", "sync_ref_model=true", "delta=4"}), "");
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"importance_sampling_level=sentence"}, "importance_sampling_level must be token or sequence"},
      {{"loss_type=gspo"}, "loss_type must be grpo, bnpo, dr_grpo, dapo, cispo or sapo"},
      {{"delta=1"}, "delta: must be greater than 1"},
      {{"delta=4", "loss_type=cispo"}, "delta: applies to the clipped losses"},
      {{"loss_type=cispo", "epsilon_high=0"}, "epsilon_high: must be positive with cispo"},
      {{"sapo_temperature_neg=0"}, "sapo_temperature_neg: must be positive"},
      {{"sapo_temperature_pos=-1"}, "sapo_temperature_pos: must be positive"},
      {{"top_entropy_quantile=1.5"}, "top_entropy_quantile: must be in [0, 1]"},
      {{"steps_per_generation=3"}, "steps_per_generation: (3) must be a multiple of gradient_accumulation_steps (2)"},
      {{"steps_per_generation=-1"}, "steps_per_generation: must not be negative"},
      {{"generation_batch_size=10"}, "generation_batch_size: (10) must be a multiple of per_device_train_batch_size"},
      {{"generation_batch_size=16", "steps_per_generation=4"}, "cannot be set together with steps_per_generation"},
      {{"generation_batch_size=4", "gradient_accumulation_steps=1", "num_generations=8"},
       "num_generations: per_device_train_batch_size × steps_per_generation (4) must be a multiple of "
       "num_generations (8)"},
      {{"sync_ref_model=true"}, "sync_ref_model: needs beta > 0"},
      {{"sync_ref_model=true", "beta=0.04", "use_peft=true"}, "sync_ref_model: is not supported with use_peft"},
      {{"ref_model_mixup_alpha=1.5"}, "ref_model_mixup_alpha: must be in [0, 1]"},
      {{"ref_model_sync_steps=0"}, "ref_model_sync_steps: must be at least 1"},
      {{"disable_dropout=maybe"}, "disable_dropout"},
      {{"steps_per_generation=two"}, "steps_per_generation"},
  };
  for (const auto& [overrides, want] : bad) {
    const std::string got = variant_error(overrides);
    EXPECT_NE(got.find(want), std::string::npos) << overrides[0] << ": " << got;
    EXPECT_EQ(got.find('\n'), std::string::npos) << got;
  }
  // The resolved config writes every new key.
  const std::string yaml = to_yaml(d);
  for (const char* key : {"importance_sampling_level", "delta", "sapo_temperature_neg", "sapo_temperature_pos",
                          "top_entropy_quantile", "steps_per_generation", "generation_batch_size", "sync_ref_model",
                          "ref_model_mixup_alpha", "ref_model_sync_steps", "disable_dropout"})
    EXPECT_NE(yaml.find(std::string(key) + ":"), std::string::npos) << key;
}

}  // namespace
}  // namespace aha::rl
