// steps_per_generation (one generation batch spread over several optimizer steps, as TRL's
// GRPOTrainer buffers it), and sync_ref_model (TR-DPO's reference mixup, as TRL's
// SyncRefModelCallback) on a tiny model: the step cadence, the default left unchanged, resume
// in the middle of a generation batch, and the reference against a mixup computed by hand from the
// checkpoints' files.
#include <gtest/gtest.h>

#include <cmath>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/rl/grpo.hpp"
#include "rl/grpo_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "train/fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;
using train::testing::slurp;

// Groups of 8, micro-batches of 8 accumulated twice (tiny_grpo_config).
struct GenerationFixture : grpo_testing::TinyGrpoRun {
  std::vector<Json> run(const GrpoConfig& c) const {
    GrpoInputs in = inputs();
    run_grpo(c, in, {});
    return read_json_lines(c.output_dir + "/metrics.jsonl");
  }
};

TEST(GrpoGeneration, one_generation_batch_feeds_steps_per_generation_over_accumulation_optimizer_steps) {
  GenerationFixture f;
  GrpoConfig c = f.config("spg");
  c.max_steps = 6;
  c.steps_per_generation = 4;  // 4 micro-batches of 8: 32 completions, 2 optimizer steps each
  c.log_completions_steps = 1;
  const auto lines = f.run(c);
  ASSERT_EQ(lines.size(), 6u);
  const auto logged = read_json_lines(c.output_dir + "/completions.jsonl");
  ASSERT_EQ(logged.size(), 6u * 32u);  // every step logs its generation batch
  for (size_t s = 0; s < 6; ++s) {
    const bool generates = s % 2 == 0;
    // A generation batch's rollout metrics are logged once, on the step that drew it (as TRL).
    EXPECT_EQ(lines[s].contains("generation_tokens_per_second"), generates) << s;
    EXPECT_EQ(lines[s].contains("reward"), generates) << s;
    if (generates) {
      EXPECT_GT(lines[s]["generation_seconds"].get<double>(), 0.0) << s;
    }
    // The two steps of a generation batch share its completions and rewards, not their slice.
    const size_t first = (s - s % 2) * 32;
    for (size_t i = 0; i < 32; ++i) EXPECT_EQ(logged[s * 32 + i]["completion"], logged[first + i]["completion"]);
    if (!generates) {
      EXPECT_NE(lines[s]["loss"], lines[s - 1]["loss"]) << s;
      // Its old log-probs are those of the weights that sampled the batch, one update ago: some
      // ratios have left the trust region (with old = current weights every ratio would be 1).
      EXPECT_GT(lines[s]["clip_ratio/region_mean"].get<double>(), 0.0) << s;
    } else {
      EXPECT_EQ(lines[s]["clip_ratio/region_mean"].get<double>(), 0.0) << s;
    }
  }
  EXPECT_NE(logged[0]["completion"].dump() + logged[1]["completion"].dump(),
            logged[64]["completion"].dump() + logged[65]["completion"].dump());
  // Without max_steps: one epoch of 6 prompts in generation batches of 4 prompts is 2 batches of 2
  // steps; with num_iterations 2 each batch is used twice (4 steps per generation).
  c.max_steps = -1;
  c.output_dir = f.dir.file("epoch");
  EXPECT_EQ(f.run(c).size(), 4u);
  c.num_iterations = 2;
  c.output_dir = f.dir.file("iterations");
  const auto twice = f.run(c);
  ASSERT_EQ(twice.size(), 8u);
  for (size_t s = 0; s < 8; ++s) EXPECT_EQ(twice[s].contains("generation_tokens_per_second"), s % 4 == 0) << s;
}

TEST(GrpoGeneration, steps_per_generation_equal_to_accumulation_changes_nothing) {
  GenerationFixture f;
  GrpoConfig c = f.config("default");
  c.max_steps = 4;
  c.beta = 0.04;
  f.run(c);
  for (const char* key : {"steps_per_generation=2", "generation_batch_size=16"}) {
    GrpoConfig e = c;
    e.output_dir = f.dir.file(key);
    if (std::string(key).starts_with("steps")) e.steps_per_generation = 2;
    else e.generation_batch_size = 16;
    f.run(e);
    EXPECT_EQ(slurp(c.output_dir + "/model.safetensors"), slurp(e.output_dir + "/model.safetensors")) << key;
  }
}

TEST(GrpoGeneration, resume_in_the_middle_of_a_generation_batch_is_bit_identical) {
  GenerationFixture f;
  GrpoConfig c = f.config("straight");
  c.max_steps = 6;
  c.save_steps = 3;  // checkpoint-3 falls between the two steps of the second generation batch
  c.steps_per_generation = 4;
  c.beta = 0.04;
  c.loss_type = "grpo";
  f.run(c);
  c.output_dir = f.dir.file("crashed");
  GrpoInputs crashing = f.inputs(3);  // generations at steps 0, 2, 4: the third one fails
  EXPECT_THROW(run_grpo(c, crashing, {}), Error);
  ASSERT_TRUE(is_file(c.output_dir + "/checkpoint-3/trainer_state.json"));
  // The checkpoint keeps the generation batch: its 32 completions with their old log-probs.
  const Json kept = read_json_file(c.output_dir + "/checkpoint-3/trainer_state.json")["aha_rollout"];
  ASSERT_EQ(kept["completions"].size(), 32u);
  for (const Json& x : kept["completions"]) EXPECT_EQ(x["old_logp"].size(), x["ids"].size());
  GrpoInputs resumed = f.inputs();
  GrpoRunOptions resume;
  resume.resume = train::ResumeMode::newest;
  run_grpo(c, resumed, resume);
  EXPECT_EQ(slurp(f.dir.file("straight/model.safetensors")), slurp(c.output_dir + "/model.safetensors"));
  const auto a = read_json_lines(f.dir.file("straight/metrics.jsonl"));
  const auto b = read_json_lines(c.output_dir + "/metrics.jsonl");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i]["loss"], b[i]["loss"]) << i;
}

// Every tensor of the safetensors file `path`, as float.
std::map<std::string, std::vector<float>> tensors_of(const std::string& path) {
  const io::SafetensorsFile file(path);
  std::map<std::string, std::vector<float>> out;
  for (const std::string& name : file.names()) out[name] = file.get(name).to_f32();
  return out;
}

// Expects want = alpha · policy + (1 − alpha) · before, tensor by tensor, in double.
void expect_mixup(const std::string& what, const std::map<std::string, std::vector<float>>& got,
                  const std::map<std::string, std::vector<float>>& policy,
                  const std::map<std::string, std::vector<float>>& before, double alpha) {
  ASSERT_EQ(got.size(), policy.size()) << what;
  double moved = 0;
  for (const auto& [name, values] : got) {
    const std::vector<float>& p = policy.at(name);
    const std::vector<float>& b = before.at(name);
    ASSERT_EQ(values.size(), p.size()) << what << " " << name;
    for (size_t i = 0; i < values.size(); ++i) {
      const double want = alpha * p[i] + (1.0 - alpha) * b[i];
      EXPECT_NEAR(values[i], want, 1e-6 * std::max(1.0, std::fabs(want))) << what << " " << name << "[" << i << "]";
      moved = std::max(moved, std::fabs(static_cast<double>(p[i]) - b[i]));
    }
  }
  EXPECT_GT(moved, 1e-4) << what << ": the policy did not move, so the mixup is not exercised";
}

TEST(GrpoGeneration, sync_ref_model_mixes_the_policy_into_the_reference_every_sync_steps_as_tr_dpo) {
  GenerationFixture f;
  GrpoConfig c = f.config("sync");
  c.max_steps = 4;
  c.save_steps = 1;
  c.beta = 0.04;
  c.sync_ref_model = true;
  c.ref_model_sync_steps = 2;  // after steps 2 and 4; alpha the default 0.6
  f.run(c);
  const auto initial = tensors_of(f.model_dir + "/model.safetensors");
  const auto checkpoint = [&](int step, const std::string& file) {
    return tensors_of(fmt::format("{}/checkpoint-{}/{}", c.output_dir, step, file));
  };
  // No sync after step 1: the reference is still the starting model.
  EXPECT_EQ(checkpoint(1, "ref_model/model.safetensors"), initial);
  const auto ref2 = checkpoint(2, "ref_model/model.safetensors");
  expect_mixup("step 2", ref2, checkpoint(2, "model.safetensors"), initial, 0.6);
  EXPECT_EQ(checkpoint(3, "ref_model/model.safetensors"), ref2);
  expect_mixup("step 4", checkpoint(4, "ref_model/model.safetensors"), checkpoint(4, "model.safetensors"), ref2, 0.6);

  // A run resumed from checkpoint-3 takes its reference from the checkpoint: bit-identical.
  GrpoConfig r = c;
  r.output_dir = f.dir.file("resumed");
  GrpoInputs crashing = f.inputs(4);  // the fourth step's rollout fails
  EXPECT_THROW(run_grpo(r, crashing, {}), Error);
  GrpoInputs resumed = f.inputs();
  GrpoRunOptions resume;
  resume.resume = train::ResumeMode::newest;
  run_grpo(r, resumed, resume);
  EXPECT_EQ(slurp(c.output_dir + "/model.safetensors"), slurp(r.output_dir + "/model.safetensors"));
  const auto a = read_json_lines(c.output_dir + "/metrics.jsonl");
  const auto b = read_json_lines(r.output_dir + "/metrics.jsonl");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i]["kl"], b[i]["kl"]) << i;
}

}  // namespace
}  // namespace aha::rl
