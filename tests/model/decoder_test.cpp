#include "aha/model/decoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/threads.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha::model {
namespace {

float max_abs(const std::vector<float>& v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

TEST(Decoder, prefill_and_token_by_token_decode_agree) {
  const std::vector<int32_t> ids = {1, 7, 3, 60, 22, 22, 9, 41, 0, 13, 5, 38};
  for (const auto& [name, config] : test::tiny_model_variants()) {
    test::TempDir dir;
    test::write_tiny_model(dir.path().string(), config, 11);
    Model m(dir.path().string());
    const int64_t vocab = m.config().vocab_size;
    std::vector<float> prefill = m.logits(ids);
    KVCache cache = m.new_cache(static_cast<int64_t>(ids.size()));
    std::vector<float> step(vocab);
    const float bound = 1e-4f * max_abs(prefill);
    for (size_t t = 0; t < ids.size(); ++t) {
      m.forward(std::span(&ids[t], 1), cache, step.data(), true);
      for (int64_t v = 0; v < vocab; ++v)
        ASSERT_NEAR(step[v], prefill[t * vocab + v], bound) << name << " position " << t;
    }
    EXPECT_EQ(cache.length(), static_cast<int64_t>(ids.size()));
    // A prefill of a prefix followed by decode steps agrees too.
    KVCache mixed = m.new_cache(static_cast<int64_t>(ids.size()));
    std::vector<float> part(5 * vocab);
    m.forward(std::span(ids.data(), 5), mixed, part.data(), false);
    m.forward(std::span(ids.data() + 5, ids.size() - 5), mixed, step.data(), true);
    for (int64_t v = 0; v < vocab; ++v) ASSERT_NEAR(step[v], prefill[(ids.size() - 1) * vocab + v], bound) << name;
  }
}

TEST(Decoder, batched_pass_matches_each_sequence_alone_bit_for_bit) {
  test::TempDir dir;
  Json qwen3 = test::tiny_model_variants().back().second;
  test::write_tiny_model(dir.path().string(), qwen3, 12);
  Model m(dir.path().string());
  const int64_t vocab = m.config().vocab_size;
  const std::vector<std::vector<int32_t>> prompts = {{1, 2, 3, 4, 5}, {9}, {7, 7, 7}};
  const std::vector<int32_t> next = {11, 12, 13};
  // Alone: prefill each prompt, then one decode step.
  std::vector<std::vector<float>> alone;
  for (size_t s = 0; s < prompts.size(); ++s) {
    KVCache cache = m.new_cache(8);
    std::vector<float> out(vocab);
    m.forward(prompts[s], cache, out.data(), true);
    m.forward(std::span(&next[s], 1), cache, out.data(), true);
    alone.push_back(out);
  }
  // Together: one batched prefill of all prompts, then one batched decode step.
  std::vector<KVCache> caches;
  for (size_t s = 0; s < prompts.size(); ++s) caches.push_back(m.new_cache(8));
  std::vector<SequenceChunk> prefill, step;
  for (size_t s = 0; s < prompts.size(); ++s) {
    prefill.push_back({prompts[s], &caches[s]});
    step.push_back({std::span(&next[s], 1), &caches[s]});
  }
  std::vector<float> out(prompts.size() * vocab);
  m.forward_batch(prefill, out.data());
  m.forward_batch(step, out.data());
  for (size_t s = 0; s < prompts.size(); ++s) {
    EXPECT_EQ(caches[s].length(), static_cast<int64_t>(prompts[s].size() + 1));
    EXPECT_EQ(std::vector<float>(out.begin() + s * vocab, out.begin() + (s + 1) * vocab), alone[s]) << s;
  }
}

TEST(Decoder, weights_in_bf16_and_f16_load_as_their_exact_values) {
  for (tensor::DType dtype : {tensor::DType::BF16, tensor::DType::F16}) {
    test::TempDir dir;
    test::write_tiny_model(dir.path().string(), test::tiny_llama_config(), 4, dtype);
    Model m(dir.path().string());
    // Every loaded value is representable in the stored dtype.
    for (float w : m.weights().layers[0].q_proj.weight) {
      const float back = dtype == tensor::DType::BF16 ? tensor::bf16_to_f32(tensor::f32_to_bf16(w))
                                                      : tensor::f16_to_f32(tensor::f32_to_f16(w));
      ASSERT_EQ(back, w);
    }
  }
}

TEST(Decoder, logits_are_bit_identical_across_thread_counts) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_llama_config(), 5);
  Model m(dir.path().string());
  const std::vector<int32_t> ids = {1, 2, 3, 4, 5, 6, 7};
  set_num_threads(1);
  auto one = m.logits(ids);
  set_num_threads(3);
  auto three = m.logits(ids);
  set_num_threads(2);
  EXPECT_EQ(one, three);
}

TEST(Decoder, rejects_tokens_outside_the_vocabulary_and_context_overflow) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_llama_config(), 6);
  Model m(dir.path().string());
  std::vector<int32_t> bad = {1, 64};
  try {
    m.logits(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token id 64 at position 1 is outside the vocabulary (size 64)"),
              std::string::npos);
  }
  KVCache cache = m.new_cache(2);
  std::vector<int32_t> three = {1, 2, 3};
  std::vector<float> out(3 * 64);
  EXPECT_THROW(m.forward(three, cache, out.data(), false), Error);
  EXPECT_EQ(cache.length(), 0);
}

TEST(Decoder, a_model_type_without_an_architecture_fails_naming_config_json_and_the_supported_types) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_llama_config(), 6);
  Json config = test::tiny_llama_config();
  config["model_type"] = "gpt2";  // config.json parses (Llama-shaped fields); no architecture is registered for it
  write_file_atomic(dir.file("config.json"), config.dump(2));
  try {
    Model m(dir.path().string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find(dir.file("config.json") + ": model_type 'gpt2' is not supported (supported: "),
              std::string::npos)
        << e.what();
    for (const char* type : {"llama", "mistral", "qwen2", "qwen3"})
      EXPECT_NE(std::string(e.what()).find(type), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aha::model
