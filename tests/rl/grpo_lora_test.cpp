// GRPO with LoRA (use_peft): the adapters' gradients against central finite differences of the
// step's loss; the KL reference log-probs are the base model's (the decoder's own logits, adapters
// off); only the adapters change; resume is bit-identical; the output is a PEFT adapter directory
// that `aha generate` and `aha merge` accept; an adapter directory can be GRPO's starting model.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/adapter.hpp"
#include "aha/model/decoder.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/rl/grpo_update.hpp"
#include "aha/train/init_weights.hpp"
#include "rl/grpo_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_lora.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha::rl {
namespace {

namespace fs = std::filesystem;
using train::testing::read_json_lines;
using train::testing::slurp;

struct Fixture {
  test::TempDir dir;
  std::string model_dir = dir.file("base");

  Fixture() { grpo_testing::write_byte_model(model_dir); }

  GrpoConfig config(const std::string& out) const {
    GrpoConfig c = grpo_testing::tiny_grpo_config(model_dir, dir.file(out));
    c.num_generations = 4;
    c.per_device_train_batch_size = 4;
    c.learning_rate = 2e-2;
    c.max_steps = 6;
    c.save_steps = 3;
    c.num_iterations = 2;  // checkpoint-3 falls between the two updates of one rollout
    c.beta = 0.04;
    c.loss_type = "grpo";
    c.use_peft = true;
    c.lora_r = 4;
    c.lora_alpha = 8;
    c.lora_dropout = 0.1;
    c.lora_target_modules = {"all-linear"};
    return c;
  }

  // What load_grpo_inputs gives for `c`: the tiny model's inputs with new adapters.
  GrpoInputs inputs(const GrpoConfig& c, int fail_at = 0) const {
    GrpoInputs in = grpo_testing::tiny_grpo_inputs(model_dir, {"1+2=", "3+4=", "5+6=", "7+8="}, fail_at);
    in.lora = model::zero_lora(in.model_config, {c.lora_r, c.lora_alpha, c.lora_dropout, false,
                                                 model::resolve_lora_targets(c.lora_target_modules, "test")});
    train::init_lora(*in.lora, static_cast<uint64_t>(c.seed));
    in.base_model = fs::absolute(model_dir).lexically_normal().string();
    return in;
  }
};

// A fixed rollout: two groups of two completions of different lengths, with advantages.
Rollout fixed_rollout() {
  Rollout r;
  const std::vector<std::vector<int32_t>> ids = {{50, 51, 52}, {53, 54}, {55, 56, 57}, {58}};
  const double advantages[] = {0.7, -0.7, 1.1, -1.1};
  for (size_t i = 0; i < ids.size(); ++i) {
    Completion c;
    c.prompt = static_cast<int64_t>(i / 2);
    c.ids = ids[i];
    c.advantage = advantages[i];
    r.completions.push_back(c);
  }
  return r;
}

TEST(GrpoLora, adapter_gradients_match_central_finite_differences_of_the_loss) {
  Fixture f;
  GrpoConfig c = f.config("unused");
  c.max_grad_norm = 0;  // the gradients themselves, unclipped
  c.num_generations = 2;
  GrpoInputs in = f.inputs(c);
  *in.lora = test::random_lora(in.model_config, {"all-linear"}, 3, c.lora_dropout);
  GrpoUpdate update(c, in.model_config, in.weights, nullptr, &*in.lora);
  Rollout r = fixed_rollout();
  update.step(r, in.prompts, 0.0);  // fills old_logp and ref_logp; learning rate 0 changes nothing
  // Move the policy away from π_old so that the ratio (and the clipping) matters.
  for (auto& layer : in.lora->layers)
    for (model::LoraLinear& l : layer)
      for (float& v : l.a) v *= 1.5f;
  update.step(r, in.prompts, 0.0);
  std::vector<std::vector<float>> analytic;
  for (const auto& g : update.gradients()) analytic.emplace_back(g.begin(), g.end());
  const std::vector<model::Parameter> params = model::lora_parameters(*in.lora);
  ASSERT_EQ(params.size(), analytic.size());
  int checked = 0, nonzero = 0;
  std::mt19937 rng(7);
  for (size_t t = 0; t < params.size(); t += 5) {
    std::vector<float>& values = *params[t].values;
    for (int k = 0; k < 3; ++k) {
      const size_t i = std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng);
      const float saved = values[i], h = 1e-2f;
      values[i] = saved + h;
      const double up = update.step(r, in.prompts, 0.0).loss;
      values[i] = saved - h;
      const double down = update.step(r, in.prompts, 0.0).loss;
      values[i] = saved;
      const double numeric = (up - down) / (2.0 * h), got = analytic[t][i];
      EXPECT_NEAR(got, numeric, 1e-5 + 5e-3 * std::fabs(numeric)) << params[t].name << "[" << i << "]";
      ++checked;
      if (std::fabs(numeric) > 1e-4) ++nonzero;
    }
  }
  EXPECT_GE(checked, 15);
  EXPECT_GE(nonzero, checked / 2) << "most checked gradients should be non-zero";
}

TEST(GrpoLora, reference_logprobs_are_the_base_models_without_adapters) {
  Fixture f;
  GrpoConfig c = f.config("unused");
  GrpoInputs in = f.inputs(c);
  *in.lora = test::random_lora(in.model_config, {"all-linear"}, 4, c.lora_dropout);
  GrpoUpdate update(c, in.model_config, in.weights, nullptr, &*in.lora);
  Rollout r = fixed_rollout();
  update.step(r, in.prompts, 0.0);
  const model::Model base(f.model_dir);  // the decoder's inference path, from the files
  double max_ref = 0, max_policy = 0;
  for (const Completion& x : r.completions) {
    std::vector<int32_t> ids = in.prompts[x.prompt].ids;
    const size_t n = ids.size();
    ids.insert(ids.end(), x.ids.begin(), x.ids.end());
    const std::vector<float> logits = base.logits(ids);
    const int64_t vocab = base.config().vocab_size;
    ASSERT_EQ(x.ref_logp.size(), x.ids.size());
    for (size_t t = 0; t < x.ids.size(); ++t) {
      const float* row = logits.data() + (n - 1 + t) * vocab;
      double max = row[0], sum = 0;
      for (int64_t v = 0; v < vocab; ++v) max = std::max<double>(max, row[v]);
      for (int64_t v = 0; v < vocab; ++v) sum += std::exp(row[v] - max);
      const double expected = row[x.ids[t]] - max - std::log(sum);
      max_ref = std::max(max_ref, std::fabs(x.ref_logp[t] - expected));
      max_policy = std::max(max_policy, std::fabs(x.old_logp[t] - expected));
    }
  }
  EXPECT_LT(max_ref, 1e-4);
  EXPECT_GT(max_policy, 1e-2) << "the adapters must change the policy's log-probs, or the test proves nothing";
}

TEST(GrpoLora, trains_only_the_adapters_and_writes_a_peft_adapter_directory) {
  Fixture f;
  const GrpoConfig c = f.config("run");
  GrpoInputs in = f.inputs(c);
  const model::Lora initial = *in.lora;
  const std::string base_bytes = slurp(f.model_dir + "/model.safetensors");
  run_grpo(c, in, {});
  // The base is untouched, in memory and on disk; the adapters moved.
  const model::Weights base = model::load_weights(io::ModelDir(f.model_dir));
  EXPECT_EQ(model::to_tensors(in.weights).at("model.layers.0.self_attn.q_proj.weight").to_f32(),
            model::to_tensors(base).at("model.layers.0.self_attn.q_proj.weight").to_f32());
  EXPECT_EQ(slurp(f.model_dir + "/model.safetensors"), base_bytes);
  for (const std::string d : {"run", "run/checkpoint-3", "run/checkpoint-6"}) {
    EXPECT_TRUE(is_file(f.dir.file(d) + "/adapter_config.json")) << d;
    EXPECT_TRUE(is_file(f.dir.file(d) + "/adapter_model.safetensors")) << d;
    EXPECT_FALSE(fs::exists(f.dir.file(d) + "/model.safetensors")) << d;
  }
  const Json adapter = read_json_file(f.dir.file("run/adapter_config.json"));
  EXPECT_EQ(adapter["base_model_name_or_path"], fs::absolute(f.model_dir).lexically_normal().string());
  EXPECT_EQ(adapter["r"], 4);
  const model::Lora trained = model::load_adapter(io::ModelDir(f.dir.file("run")));
  EXPECT_NE(trained.layers[0][model::q_proj].b, initial.layers[0][model::q_proj].b);
  EXPECT_NE(trained.layers[1][model::down_proj].a, initial.layers[1][model::down_proj].a);
  // The optimizer holds the adapters' moments only.
  EXPECT_EQ(io::SafetensorsFile(f.dir.file("run/checkpoint-3/optimizer.safetensors")).names().size(), 2u * 28u);
  const Json provenance = read_json_file(f.dir.file("run/provenance.json"));
  EXPECT_EQ(provenance["run"]["kind"], "grpo") << provenance.dump();
  const auto lines = read_json_lines(c.output_dir + "/metrics.jsonl");
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_GT(lines[1]["kl"].get<double>(), 0.0);
  // aha generate and aha merge accept the output directory.
  const test::RunResult gen =
      test::run_aha("generate --threads 1 --model " + c.output_dir + " --ids 49,43 --max-tokens 4 --seed 1 --json");
  EXPECT_EQ(gen.status, 0) << gen.err;
  EXPECT_NE(gen.out.find("\"ids\""), std::string::npos) << gen.out;
  const test::RunResult merge = test::run_aha("merge --adapter " + c.output_dir + " --out " + f.dir.file("merged"));
  EXPECT_EQ(merge.status, 0) << merge.err;
  EXPECT_TRUE(is_file(f.dir.file("merged/model.safetensors")));
}

TEST(GrpoLora, resume_after_a_crash_mid_rollout_is_bit_identical) {
  Fixture f;
  GrpoConfig c = f.config("straight");
  GrpoInputs straight = f.inputs(c);
  run_grpo(c, straight, {});
  c.output_dir = f.dir.file("crashed");
  GrpoInputs crashing = f.inputs(c, 3);  // rollouts at steps 0, 2, 4: the third one fails
  EXPECT_THROW(run_grpo(c, crashing, {}), Error);
  ASSERT_TRUE(is_file(c.output_dir + "/checkpoint-3/adapter_model.safetensors"));
  GrpoInputs resumed = f.inputs(c);
  GrpoRunOptions resume;
  resume.resume = train::ResumeMode::newest;
  run_grpo(c, resumed, resume);
  EXPECT_EQ(slurp(f.dir.file("straight/adapter_model.safetensors")),
            slurp(c.output_dir + "/adapter_model.safetensors"));
  EXPECT_EQ(slurp(f.dir.file("straight/checkpoint-6/optimizer.safetensors")),
            slurp(c.output_dir + "/checkpoint-6/optimizer.safetensors"));
  const auto a = read_json_lines(f.dir.file("straight/metrics.jsonl"));
  const auto b = read_json_lines(c.output_dir + "/metrics.jsonl");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i]["loss"], b[i]["loss"]) << i;
}

TEST(GrpoLora, an_adapter_directory_is_a_starting_model_merged_at_load) {
  Fixture f;
  model::Weights weights = model::load_weights(io::ModelDir(f.model_dir));
  io::ModelConfig mc = io::ModelDir(f.model_dir).config();
  const model::Lora lora = test::random_lora(mc, {"q_proj", "v_proj"}, 5);
  const std::string adapter = f.dir.file("adapter");
  model::write_adapter(adapter, lora, fs::absolute(f.model_dir).string());
  test::write_text(f.dir.file("prompts.jsonl"), "{\"prompt\": \"1+1=\", \"answer\": \"2\"}\n");
  GrpoConfig c;
  c.model_name_or_path = adapter;
  c.dataset_path = f.dir.file("prompts.jsonl");
  c.prompt_template = "raw";
  c.reward_funcs = {{"accuracy"}};
  c.output_dir = f.dir.file("out");
  const GrpoInputs in = load_grpo_inputs(c);
  model::merge_lora(weights, lora);
  EXPECT_EQ(model::to_tensors(in.weights).at("model.layers.1.self_attn.v_proj.weight").to_f32(),
            model::to_tensors(weights).at("model.layers.1.self_attn.v_proj.weight").to_f32());
  EXPECT_FALSE(in.lora.has_value());
  EXPECT_EQ(in.prompts.at(0).ids, in.tokenizer->encode("1+1="));
  // New adapters on an adapter would need its merge as their base: refused, as `aha sft` does.
  c.use_peft = true;
  EXPECT_THROW(load_grpo_inputs(c), Error);
}

}  // namespace
}  // namespace aha::rl
