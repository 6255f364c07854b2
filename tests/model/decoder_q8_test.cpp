// The decoder with its matrices quantized to q8_0 (--dtype q8_0): close to the fp32 decoder, the
// same bits whether packed from the file or from loaded weights, with adapters merged before
// quantizing, invariant to batching and threads, and holding the matrices once. The product
// itself is checked against q8_0's definition in tests/backend/gemm_q8_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "aha/io/model_dir.hpp"
#include "aha/model/decoder.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/weights.hpp"
#include "support/decoder_checks.hpp"
#include "support/tiny_lora.hpp"

namespace aha::model::q8_test {
namespace {

using test::kDecoderIds;
using test::largest_magnitude;

std::vector<std::unique_ptr<test::StoredModel>> stored_models(tensor::DType dtype) {
  return test::stored_tiny_models(dtype, 50);
}

// Each value of a weight and of a linear's input moves by at most half a step of its block
// (max|x| / 254); through the tiny models' few layers that stays within 5% of the largest logit.
// It must not be zero either: the q8_0 path has to have run.
TEST(DecoderQ8, agrees_with_fp32_within_q8_0_error) {
  for (const auto& m : stored_models(tensor::DType::F32)) {
    const Model fp32(m->path(), DTypeChoice::float32);
    const Model q8(m->path(), DTypeChoice::q8_0);
    ASSERT_EQ(q8.dtype(), ComputeDType::q8_0);
    const std::vector<float> want = fp32.logits(kDecoderIds), got = q8.logits(kDecoderIds);
    const float scale = largest_magnitude(want);
    float worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
    EXPECT_LE(worst, 0.05f * scale) << m->name;
    EXPECT_GT(worst, 0.0f) << m->name;
  }
}

TEST(DecoderQ8, packing_from_the_file_equals_quantizing_loaded_weights_and_holds_matrices_once) {
  for (tensor::DType stored : {tensor::DType::F32, tensor::DType::BF16})
    for (const auto& m : stored_models(stored)) {
      const Model from_file(m->path(), DTypeChoice::q8_0);
      const Model fp32(m->path(), DTypeChoice::float32);
      const Model quantized(fp32.config(), fp32.weights(), ComputeDType::q8_0);
      EXPECT_EQ(from_file.logits(kDecoderIds), quantized.logits(kDecoderIds)) << m->name;
      for (const Model* model : {&from_file, &quantized}) {
        const Weights& w = model->weights();
        EXPECT_TRUE(w.embed_tokens.empty() && w.lm_head.weight.empty()) << m->name;
        EXPECT_TRUE(w.layers[0].q_proj.weight.empty() && w.layers[0].down_proj.weight.empty()) << m->name;
        EXPECT_FALSE(w.final_norm.empty()) << m->name;
      }
    }
}

// A LoRA run's frozen base holds its BF16 matrices as bits (load_weights' hold_bf16): the q8_0
// policy quantizes them row by row from the bits, the same bits as from the file.
TEST(DecoderQ8, quantizing_held_bf16_bits_equals_quantizing_the_file) {
  for (const auto& m : stored_models(tensor::DType::BF16)) {
    const io::ModelDir dir(m->path());
    const Weights held = load_weights(dir, true);
    EXPECT_TRUE(held.layers[0].q_proj.weight.empty()) << m->name;  // the bits, not fp32 values
    const Model from_file(m->path(), DTypeChoice::q8_0);
    EXPECT_EQ(Model(held.config, held, ComputeDType::q8_0).logits(kDecoderIds), from_file.logits(kDecoderIds))
        << m->name;
  }
}

// A quantized rollout policy takes new weights each step: quantized from the caller's fp32
// weights with the adapters merged per matrix, the same bits as a model of the merged weights.
TEST(DecoderQ8, set_weights_with_lora_equals_a_model_of_the_merged_weights) {
  for (const auto& m : stored_models(tensor::DType::F32)) {
    const Model fp32(m->path(), DTypeChoice::float32);
    const Lora lora = test::random_lora(fp32.config(), {"q_proj", "v_proj", "down_proj"}, 4);
    Weights merged = fp32.weights();
    merge_lora(merged, lora);
    Model policy(fp32.config(), fp32.weights(), ComputeDType::q8_0);
    policy.set_weights(fp32.weights(), &lora);
    EXPECT_EQ(policy.logits(kDecoderIds), Model(fp32.config(), merged, ComputeDType::q8_0).logits(kDecoderIds))
        << m->name;
    EXPECT_NE(policy.logits(kDecoderIds), Model(fp32.config(), fp32.weights(), ComputeDType::q8_0).logits(kDecoderIds));
  }
}

TEST(DecoderQ8, a_sequence_has_the_same_bits_alone_in_a_batch_and_at_any_thread_count) {
  for (const auto& m : stored_models(tensor::DType::BF16))
    test::expect_batch_and_thread_invariant(Model(m->path(), DTypeChoice::q8_0), m->name);
}

}  // namespace
}  // namespace aha::model::q8_test
