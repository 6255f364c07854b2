// The decoder with its matrices held in bf16 (--dtype bfloat16): against the fp32 decoder on
// the same bf16-stored weights, invariant to batching and threads, and holding the matrices once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "aha/model/decoder.hpp"
#include "aha/model/lora.hpp"
#include "support/decoder_checks.hpp"
#include "support/tiny_lora.hpp"
#include "support/tiny_model.hpp"

namespace aha::model {
namespace {

using test::kDecoderIds;
using test::largest_magnitude;

// A tiny model of each architecture variant stored in BF16, in a temporary directory.
std::vector<std::unique_ptr<test::StoredModel>> bf16_models() {
  return test::stored_tiny_models(tensor::DType::BF16, 30);
}

// The weights are bf16 values exactly, so the fp32 decoder differs from the bf16 one only by
// rounding each linear's input to bf16 (relative 2^-8 per element). Through the layers that
// stays near 2^-8 of the logits' scale; 2% of the largest logit bounds it with room for the
// tiny models' few layers. It must not be zero either: the bf16 path has to have run.
TEST(DecoderBf16, agrees_with_fp32_on_the_same_bf16_weights) {
  for (const auto& m : bf16_models()) {
    const Model fp32(m->path(), DTypeChoice::float32);
    const Model bf16(m->path(), DTypeChoice::bfloat16);
    ASSERT_EQ(bf16.dtype(), ComputeDType::bfloat16);
    const std::vector<float> want = fp32.logits(kDecoderIds), got = bf16.logits(kDecoderIds);
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
    EXPECT_EQ(Model(m->path(), DTypeChoice::automatic).dtype(), ComputeDType::bfloat16) << m->name;
}

TEST(DecoderBf16, packing_from_the_file_equals_rounding_fp32_weights_and_holds_matrices_once) {
  for (const auto& m : bf16_models()) {
    const Model from_file(m->path(), DTypeChoice::bfloat16);
    const Model fp32(m->path(), DTypeChoice::float32);
    const Model rounded(fp32.config(), fp32.weights(), ComputeDType::bfloat16);
    EXPECT_EQ(from_file.logits(kDecoderIds), rounded.logits(kDecoderIds)) << m->name;
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
    const Model fp32(m->path(), DTypeChoice::float32);
    const Lora lora = test::random_lora(fp32.config(), {"q_proj", "v_proj", "down_proj"}, 4);
    Weights merged = fp32.weights();
    merge_lora(merged, lora);
    Model policy(fp32.config(), fp32.weights(), ComputeDType::bfloat16);
    policy.set_weights(fp32.weights(), &lora);
    EXPECT_EQ(policy.logits(kDecoderIds), Model(fp32.config(), merged, ComputeDType::bfloat16).logits(kDecoderIds))
        << m->name;
    EXPECT_NE(policy.logits(kDecoderIds),
              Model(fp32.config(), fp32.weights(), ComputeDType::bfloat16).logits(kDecoderIds));
    EXPECT_TRUE(policy.weights().layers[0].q_proj.weight.empty()) << m->name;
  }
}

TEST(DecoderBf16, a_sequence_has_the_same_bits_alone_in_a_batch_and_at_any_thread_count) {
  for (const auto& m : bf16_models())
    test::expect_batch_and_thread_invariant(Model(m->path(), DTypeChoice::bfloat16), m->name);
}

TEST(DecoderBf16, prefill_and_decode_agree) {
  for (const auto& m : bf16_models()) {
    const Model model(m->path(), DTypeChoice::bfloat16);
    const int64_t vocab = model.config().vocab_size;
    const std::vector<float> prefill = model.logits(kDecoderIds);
    KVCache cache = model.new_cache(static_cast<int64_t>(kDecoderIds.size()));
    std::vector<float> step(vocab);
    for (size_t t = 0; t < kDecoderIds.size(); ++t) {
      model.forward(std::span(&kDecoderIds[t], 1), cache, step.data(), true);
      for (int64_t v = 0; v < vocab; ++v)
        ASSERT_NEAR(step[v], prefill[t * vocab + v], 1e-4f * largest_magnitude(prefill))
            << m->name << " position " << t;
    }
  }
}

}  // namespace
}  // namespace aha::model
