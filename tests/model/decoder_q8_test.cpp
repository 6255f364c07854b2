// The decoder with its matrices quantized to q8_0 (--dtype q8_0): close to the fp32 decoder, the
// same bits whether packed from the file or from loaded weights, with adapters merged before
// quantizing, invariant to batching and threads, and holding the matrices once. The product
// itself is checked against q8_0's definition in tests/backend/gemm_q8_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "aha/base/threads.hpp"
#include "aha/model/decoder.hpp"
#include "aha/model/lora.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_lora.hpp"
#include "support/tiny_model.hpp"

namespace aha::model::q8_test {
namespace {

const std::vector<int32_t> kIds = {1, 7, 3, 60, 22, 22, 9, 41, 0, 13, 5, 38};

float largest_magnitude(const std::vector<float>& v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

struct StoredModel {
  std::string name;
  test::TempDir dir;
};

// A tiny model of each architecture variant, stored in `dtype`.
std::vector<std::unique_ptr<StoredModel>> stored_models(tensor::DType dtype) {
  std::vector<std::unique_ptr<StoredModel>> models;
  unsigned seed = 50;
  for (const auto& [name, config] : test::tiny_model_variants()) {
    models.push_back(std::make_unique<StoredModel>());
    models.back()->name = name;
    test::write_tiny_model(models.back()->dir.path().string(), config, seed++, dtype);
  }
  return models;
}

// Each value of a weight and of a linear's input moves by at most half a step of its block
// (max|x| / 254); through the tiny models' few layers that stays within 5% of the largest logit.
// It must not be zero either: the q8_0 path has to have run.
TEST(DecoderQ8, agrees_with_fp32_within_q8_0_error) {
  for (const auto& m : stored_models(tensor::DType::F32)) {
    const Model fp32(m->dir.path().string(), DTypeChoice::float32);
    const Model q8(m->dir.path().string(), DTypeChoice::q8_0);
    ASSERT_EQ(q8.dtype(), ComputeDType::q8_0);
    const std::vector<float> want = fp32.logits(kIds), got = q8.logits(kIds);
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
      const Model from_file(m->dir.path().string(), DTypeChoice::q8_0);
      const Model fp32(m->dir.path().string(), DTypeChoice::float32);
      const Model quantized(fp32.config(), fp32.weights(), ComputeDType::q8_0);
      EXPECT_EQ(from_file.logits(kIds), quantized.logits(kIds)) << m->name;
      for (const Model* model : {&from_file, &quantized}) {
        const Weights& w = model->weights();
        EXPECT_TRUE(w.embed_tokens.empty() && w.lm_head.weight.empty()) << m->name;
        EXPECT_TRUE(w.layers[0].q_proj.weight.empty() && w.layers[0].down_proj.weight.empty()) << m->name;
        EXPECT_FALSE(w.final_norm.empty()) << m->name;
      }
    }
}

// A quantized rollout policy takes new weights each step: quantized from the caller's fp32
// weights with the adapters merged per matrix, the same bits as a model of the merged weights.
TEST(DecoderQ8, set_weights_with_lora_equals_a_model_of_the_merged_weights) {
  for (const auto& m : stored_models(tensor::DType::F32)) {
    const Model fp32(m->dir.path().string(), DTypeChoice::float32);
    const Lora lora = test::random_lora(fp32.config(), {"q_proj", "v_proj", "down_proj"}, 4);
    Weights merged = fp32.weights();
    merge_lora(merged, lora);
    Model policy(fp32.config(), fp32.weights(), ComputeDType::q8_0);
    policy.set_weights(fp32.weights(), &lora);
    EXPECT_EQ(policy.logits(kIds), Model(fp32.config(), merged, ComputeDType::q8_0).logits(kIds)) << m->name;
    EXPECT_NE(policy.logits(kIds), Model(fp32.config(), fp32.weights(), ComputeDType::q8_0).logits(kIds));
  }
}

TEST(DecoderQ8, a_sequence_has_the_same_bits_alone_in_a_batch_and_at_any_thread_count) {
  for (const auto& m : stored_models(tensor::DType::BF16)) {
    const Model model(m->dir.path().string(), DTypeChoice::q8_0);
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

}  // namespace
}  // namespace aha::model::q8_test
