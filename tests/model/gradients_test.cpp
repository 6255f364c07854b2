// The training forward and backward: gradients against PyTorch autograd (float64) for every
// architecture variant, and the bit-for-bit guarantees (checkpointing, threads, logit chunks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "aha/base/error.hpp"
#include "aha/base/threads.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/decoder.hpp"
#include "aha/model/training.hpp"
#include "support/gradient_oracle.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha::model {
namespace {

// A batch of `batch` x `seq` random tokens predicting their successors, with some ignored
// targets (-100), masked tokens (weight 0) and negative weights (as GRPO advantages are).
struct Batch {
  int64_t batch = 2, seq = 7;
  std::vector<int32_t> tokens, targets;
  std::vector<float> weights;
  double normaliser = 9.0;

  explicit Batch(unsigned seed, int64_t vocab = 64) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(vocab) - 1);
    std::uniform_real_distribution<float> weight(-1.0f, 2.0f);
    for (int64_t i = 0; i < batch * seq; ++i) {
      tokens.push_back(id(rng));
      targets.push_back(i % seq == seq - 1 ? -100 : id(rng));
      weights.push_back(i % 5 == 2 ? 0.0f : weight(rng));
    }
  }
  TrainBatch view() const { return {tokens, targets, weights, normaliser}; }
};

struct Result {
  double loss = 0.0;
  Gradients grads;
};

Result run(const Model& m, const Batch& b, bool checkpointing, int64_t chunk_rows = 0, bool bf16 = false) {
  Activations acts(m.config(), b.batch, b.seq, checkpointing, chunk_rows);
  acts.bf16 = bf16;
  Result r{0.0, zero_gradients_like(m.weights())};
  r.loss = loss_and_gradients(m.config(), m.weights(), b.view(), acts, r.grads);
  return r;
}

void expect_identical(const Result& a, const Result& b, const std::string& what) {
  EXPECT_EQ(a.loss, b.loss) << what;
  auto ta = to_tensors(a.grads), tb = to_tensors(b.grads);
  ASSERT_EQ(ta.size(), tb.size()) << what;
  for (const auto& [name, t] : ta) EXPECT_EQ(t.to_f32(), tb.at(name).to_f32()) << what << ": " << name;
}

// Each architecture variant's tiny model written into `dir` (seed 17): (name, directory) pairs.
std::vector<std::pair<std::string, std::string>> write_variants(const test::TempDir& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, config] : test::tiny_model_variants()) {
    out.emplace_back(name, dir.file(name));
    std::filesystem::create_directories(out.back().second);
    test::write_tiny_model(out.back().second, config, 17);
  }
  return out;
}

// The oracle case `name` of r (its gradients written into `dir`) for the model in `model_dir`,
// batch `b`, with `bf16` products in the reference.
Json gradient_case(const test::TempDir& dir, const std::string& name, const std::string& model_dir, const Result& r,
                   const Batch& b, bool bf16 = false) {
  const std::string grads = dir.file(name + ".safetensors");
  io::write_safetensors(grads, to_tensors(r.grads));
  return test::oracle_case({{"name", name}, {"model", model_dir}, {"grads", grads}, {"loss", r.loss}, {"bf16", bf16}},
                           b);
}

TEST(Gradients, match_pytorch_autograd_for_every_architecture_with_and_without_checkpointing) {
  test::TempDir dir;
  const Batch b(3);
  Json cases = Json::array();
  for (const auto& [name, model_dir] : write_variants(dir)) {
    const Model m(model_dir);
    for (bool checkpointing : {false, true})
      cases.push_back(
          gradient_case(dir, name + (checkpointing ? "+checkpointing" : ""), model_dir, run(m, b, checkpointing), b));
  }
  EXPECT_GT(test::check_gradient_oracle("grad_reference.py", dir, cases).tensors, 100u);
}

// The median over every case's tensors of a gradient oracle report's relative errors.
double median_tensor_error(const Json& report) {
  std::vector<double> errors;
  for (const Json& c : report["cases"])
    for (const auto& [tensor, error] : c["tensors"].items()) errors.push_back(error.get<double>());
  if (errors.empty()) return 0.0;
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
  return errors[errors.size() / 2];
}

// Mixed precision (bf16: true) against autograd over the same products with bf16 operands
// (hf_reference.Bf16Matmul). Both round fp32 values to bf16, but their fp32 values differ in the
// last bits, so now and then one value lies between them and a bf16 half-way point and rounds
// the other way: it moves by 2^-8 of itself, and everything upstream of it with it. So each
// tensor is held to 1e-2, and the typical one (the median) to the fp32 oracle's 1e-4, which the
// fp32 gradients of the same batch must miss (the bf16 rounding is what is checked).
TEST(Gradients, in_mixed_precision_match_pytorch_autograd_with_bf16_operands) {
  test::TempDir dir;
  const Batch b(3);
  Json bf16_cases = Json::array(), fp32_cases = Json::array();
  for (const auto& [name, model_dir] : write_variants(dir)) {
    const Model m(model_dir);
    bf16_cases.push_back(gradient_case(dir, name + "+bf16", model_dir, run(m, b, true, 0, true), b, true));
    fp32_cases.push_back(gradient_case(dir, name + "+fp32", model_dir, run(m, b, true), b, true));
  }
  const test::OracleReport report = test::check_gradient_oracle("grad_reference.py", dir, bf16_cases, 1e-2);
  EXPECT_GT(report.tensors, 50u);
  EXPECT_LT(median_tensor_error(report.report), 1e-4);
  EXPECT_GT(median_tensor_error(test::run_gradient_oracle("grad_reference.py", dir, fp32_cases)), 1e-3)
      << "the fp32 gradients against the bf16 reference";
}

TEST(Gradients, checkpointing_gives_bit_identical_loss_and_gradients) {
  const Batch b(4);
  for (const auto& [name, config] : test::tiny_model_variants()) {
    test::TempDir dir;
    test::write_tiny_model(dir.path().string(), config, 5);
    Model m(dir.path().string());
    expect_identical(run(m, b, false), run(m, b, true), name);
  }
}

TEST(Gradients, are_bit_identical_across_thread_counts_and_logit_chunk_sizes) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_model_variants()[4].second, 6);
  Model m(dir.path().string());
  const Batch b(5);
  set_num_threads(1);
  const Result one = run(m, b, false);
  set_num_threads(3);
  const Result three = run(m, b, false);
  const Result chunked = run(m, b, true, 3);
  set_num_threads(2);
  expect_identical(one, three, "1 vs 3 threads");
  expect_identical(one, chunked, "logits in chunks of 3 rows");
}

// In bf16 each chunk of the LM head's rows sums its part of d(head) from zero, so the head's
// gradient depends on the chunk size (a fixed function of the vocabulary and the rows).
TEST(Gradients, in_mixed_precision_are_bit_identical_across_thread_counts_and_with_checkpointing) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_model_variants()[1].second, 6);  // tied head
  Model m(dir.path().string());
  const Batch b(5);
  set_num_threads(1);
  const Result one = run(m, b, false, 3, true);
  set_num_threads(3);
  const Result three = run(m, b, false, 3, true);
  const Result checkpointed = run(m, b, true, 3, true);
  set_num_threads(2);
  expect_identical(one, three, "bf16, 1 vs 3 threads");
  expect_identical(one, checkpointed, "bf16, with gradient checkpointing");
}

TEST(Gradients, loss_matches_compute_loss_and_the_inference_logits) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_model_variants()[2].second, 7);
  Model m(dir.path().string());
  const Batch b(6);
  Activations acts(m.config(), b.batch, b.seq, false);
  const double loss = compute_loss(m.config(), m.weights(), b.view(), acts);
  EXPECT_EQ(loss, run(m, b, false).loss);
  // The same loss from the decoder's logits, one sequence at a time.
  double expected = 0.0;
  const int64_t vocab = m.config().vocab_size;
  for (int64_t s = 0; s < b.batch; ++s) {
    const auto logits = m.logits(std::span(b.tokens).subspan(s * b.seq, b.seq));
    for (int64_t t = 0; t < b.seq; ++t) {
      const int64_t r = s * b.seq + t;
      if (b.targets[r] < 0) continue;
      double sum = 0.0;
      for (int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(logits[t * vocab + v]));
      expected += b.weights[r] * (std::log(sum) - logits[t * vocab + b.targets[r]]);
    }
  }
  EXPECT_NEAR(loss, expected / b.normaliser, 1e-5 * std::fabs(expected));
}

TEST(Gradients, frozen_weights_get_no_gradient_and_the_others_are_unchanged) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_model_variants()[0].second, 8);
  Model m(dir.path().string());
  const Batch b(7);
  const Result full = run(m, b, false);
  Activations acts(m.config(), b.batch, b.seq, false);
  Gradients frozen = zero_gradients_like(m.weights());
  frozen.embed_tokens.clear();
  frozen.layers[1].q_proj.weight.clear();
  loss_and_gradients(m.config(), m.weights(), b.view(), acts, frozen);
  EXPECT_EQ(frozen.layers[1].q_proj.weight.size(), 0u);
  EXPECT_EQ(frozen.layers[0].q_proj.weight, full.grads.layers[0].q_proj.weight);
  EXPECT_EQ(frozen.lm_head.weight, full.grads.lm_head.weight);
}

// With the head frozen it runs only on the rows with a target (gathered, in chunks that need not
// be consecutive rows); every other gradient keeps its bits, in fp32 and in bf16.
TEST(Gradients, a_frozen_head_changes_no_other_gradient) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_model_variants()[0].second, 8);  // untied head
  Model m(dir.path().string());
  const Batch b(9);
  for (bool bf16 : {false, true})
    for (int64_t chunk_rows : {0, 3}) {
      const Result full = run(m, b, false, chunk_rows, bf16);
      Activations acts(m.config(), b.batch, b.seq, false, chunk_rows);
      acts.bf16 = bf16;
      Result frozen{0.0, zero_gradients_like(m.weights())};
      frozen.grads.lm_head.weight.clear();
      frozen.loss = loss_and_gradients(m.config(), m.weights(), b.view(), acts, frozen.grads);
      frozen.grads.lm_head.weight = full.grads.lm_head.weight;
      expect_identical(full, frozen, fmt::format("bf16 {}, logit chunks of {} rows", bf16, chunk_rows));
    }
}

TEST(Gradients, reject_bad_batches) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_llama_config(), 9);
  Model m(dir.path().string());
  Activations acts(m.config(), 1, 3, false);
  Gradients g = zero_gradients_like(m.weights());
  std::vector<int32_t> tokens = {1, 2, 3}, targets = {2, 3, -100};
  std::vector<float> weights = {1, 1, 1};
  auto call = [&](double normaliser) {
    loss_and_gradients(m.config(), m.weights(), {tokens, targets, weights, normaliser}, acts, g);
  };
  EXPECT_NO_THROW(call(2.0));
  EXPECT_THROW(call(0.0), Error);
  targets[1] = 64;
  EXPECT_THROW(call(1.0), Error);
  targets[1] = 3;
  tokens[0] = -1;
  EXPECT_THROW(call(1.0), Error);
  tokens = {1, 2};
  EXPECT_THROW(call(1.0), Error);
}

}  // namespace
}  // namespace aha::model
