// The decoder with its matrices held in bf16 (--dtype bfloat16): against the fp32 decoder on
// the same bf16-stored weights, invariant to batching and threads, and holding the matrices once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "aha/base/threads.hpp"
#include "aha/model/decoder.hpp"
#include "aha/model/lora.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_lora.hpp"
#include "support/tiny_model.hpp"

namespace aha::model {
namespace {

const std::vector<int32_t> kIds = {1, 7, 3, 60, 22, 22, 9, 41, 0, 13, 5, 38};

float largest_magnitude(const std::vector<float>& v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

// A tiny model of each architecture variant stored in BF16, in a temporary directory.
struct Bf16Model {
  std::string name;
  test::TempDir dir;
};

std::vector<std::unique_ptr<Bf16Model>> bf16_models() {
  std::vector<std::unique_ptr<Bf16Model>> models;
  unsigned seed = 30;
  for (const auto& [name, config] : test::tiny_model_variants()) {
    models.push_back(std::make_unique<Bf16Model>());
    models.back()->name = name;
    test::write_tiny_model(models.back()->dir.path().string(), config, seed++, tensor::DType::BF16);
  }
  return models;
}

// The weights are bf16 values exactly, so the fp32 decoder differs from the bf16 one only by
// rounding each linear's input to bf16 (relative 2^-8 per element). Through the layers that
// stays near 2^-8 of the logits' scale; 2% of the largest logit bounds it with room for the
// tiny models' few layers. It must not be zero either: the bf16 path has to have run.
TEST(DecoderBf16, agrees_with_fp32_on_the_same_bf16_weights) {
  for (const auto& m : bf16_models()) {
    const Model fp32(m->dir.path().string(), DTypeChoice::float32);
    const Model bf16(m->dir.path().string(), DTypeChoice::bfloat16);
    ASSERT_EQ(bf16.dtype(), ComputeDType::bfloat16);
    const std::vector<float> want = fp32.logits(kIds), got = bf16.logits(kIds);
    const float scale = largest_magnitude(want);
    float worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
    EXPECT_LE(worst, 0.02f * scale) << m->name;
    EXPECT_GT(worst, 0.0f) << m->name;
  }
}

TEST(DecoderBf16, auto_keeps_the_stored_dtype) {
  test::TempDir f32;
  test::write_tiny_model(f32.path().string(), test::tiny_llama_config(), 3);
  EXPECT_EQ(Model(f32.path().string(), DTypeChoice::automatic).dtype(), ComputeDType::float32);
  for (const auto& m : bf16_models())
    EXPECT_EQ(Model(m->dir.path().string(), DTypeChoice::automatic).dtype(), ComputeDType::bfloat16) << m->name;
}

TEST(DecoderBf16, packing_from_the_file_equals_rounding_fp32_weights_and_holds_matrices_once) {
  for (const auto& m : bf16_models()) {
    const Model from_file(m->dir.path().string(), DTypeChoice::bfloat16);
    const Model fp32(m->dir.path().string(), DTypeChoice::float32);
    const Model rounded(fp32.config(), fp32.weights(), ComputeDType::bfloat16);
    EXPECT_EQ(from_file.logits(kIds), rounded.logits(kIds)) << m->name;
    for (const Model* model : {&from_file, &rounded}) {
      const Weights& w = model->weights();
      EXPECT_TRUE(w.embed_tokens.empty() && w.lm_head.weight.empty()) << m->name;
      EXPECT_TRUE(w.layers[0].q_proj.weight.empty() && w.layers[0].down_proj.weight.empty()) << m->name;
      EXPECT_FALSE(w.final_norm.empty()) << m->name;
    }
  }
}

// GRPO's policy takes new weights each step: in bf16 they are packed from the caller's fp32
// weights with the adapters merged per matrix, the same bits as a model built from merged weights.
TEST(DecoderBf16, set_weights_with_lora_equals_a_model_of_the_merged_weights) {
  for (const auto& m : bf16_models()) {
    const Model fp32(m->dir.path().string(), DTypeChoice::float32);
    const Lora lora = test::random_lora(fp32.config(), {"q_proj", "v_proj", "down_proj"}, 4);
    Weights merged = fp32.weights();
    merge_lora(merged, lora);
    Model policy(fp32.config(), fp32.weights(), ComputeDType::bfloat16);
    policy.set_weights(fp32.weights(), &lora);
    EXPECT_EQ(policy.logits(kIds), Model(fp32.config(), merged, ComputeDType::bfloat16).logits(kIds)) << m->name;
    EXPECT_NE(policy.logits(kIds), Model(fp32.config(), fp32.weights(), ComputeDType::bfloat16).logits(kIds));
    EXPECT_TRUE(policy.weights().layers[0].q_proj.weight.empty()) << m->name;
  }
}

TEST(DecoderBf16, a_sequence_has_the_same_bits_alone_in_a_batch_and_at_any_thread_count) {
  for (const auto& m : bf16_models()) {
    const Model model(m->dir.path().string(), DTypeChoice::bfloat16);
    const int64_t vocab = model.config().vocab_size;
    const std::vector<int32_t> other = {5, 4, 3, 2, 1, 0, 9};
    KVCache alone_cache = model.new_cache(16);
    std::vector<float> alone(vocab);
    model.forward(kIds, alone_cache, alone.data(), true);

    KVCache a = model.new_cache(16), b = model.new_cache(16);
    const std::vector<SequenceChunk> chunks = {{other, &b}, {kIds, &a}};
    std::vector<float> batch(2 * vocab);
    model.forward_batch(chunks, batch.data());
    EXPECT_EQ(std::vector<float>(batch.begin() + vocab, batch.end()), alone) << m->name;

    const int threads = num_threads();
    set_num_threads(1);
    KVCache one = model.new_cache(16);
    std::vector<float> single(vocab);
    model.forward(kIds, one, single.data(), true);
    set_num_threads(threads);
    EXPECT_EQ(single, alone) << m->name;
  }
}

TEST(DecoderBf16, prefill_and_decode_agree) {
  for (const auto& m : bf16_models()) {
    const Model model(m->dir.path().string(), DTypeChoice::bfloat16);
    const int64_t vocab = model.config().vocab_size;
    const std::vector<float> prefill = model.logits(kIds);
    KVCache cache = model.new_cache(static_cast<int64_t>(kIds.size()));
    std::vector<float> step(vocab);
    for (size_t t = 0; t < kIds.size(); ++t) {
      model.forward(std::span(&kIds[t], 1), cache, step.data(), true);
      for (int64_t v = 0; v < vocab; ++v)
        ASSERT_NEAR(step[v], prefill[t * vocab + v], 1e-4f * largest_magnitude(prefill))
            << m->name << " position " << t;
    }
  }
}

}  // namespace
}  // namespace aha::model
