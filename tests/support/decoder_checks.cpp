#include "support/decoder_checks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "aha/base/threads.hpp"
#include "support/tiny_model.hpp"

namespace aha::test {

float largest_magnitude(const std::vector<float>& v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

std::vector<std::unique_ptr<StoredModel>> stored_tiny_models(tensor::DType dtype, unsigned first_seed) {
  std::vector<std::unique_ptr<StoredModel>> models;
  unsigned seed = first_seed;
  for (const auto& [name, config] : tiny_model_variants()) {
    models.push_back(std::make_unique<StoredModel>());
    models.back()->name = name;
    write_tiny_model(models.back()->path(), config, seed++, dtype);
  }
  return models;
}

void expect_batch_and_thread_invariant(const model::Model& model, const std::string& name) {
  const int64_t vocab = model.config().vocab_size;
  const std::vector<int32_t> other = {5, 4, 3, 2, 1, 0, 9};
  model::KVCache alone_cache = model.new_cache(16);
  std::vector<float> alone(vocab);
  model.forward(kDecoderIds, alone_cache, alone.data(), true);

  model::KVCache a = model.new_cache(16), b = model.new_cache(16);
  const std::vector<model::SequenceChunk> chunks = {{other, &b}, {kDecoderIds, &a}};
  std::vector<float> batch(2 * vocab);
  model.forward_batch(chunks, batch.data());
  EXPECT_EQ(std::vector<float>(batch.begin() + vocab, batch.end()), alone) << name;

  const int threads = num_threads();
  set_num_threads(1);
  model::KVCache one = model.new_cache(16);
  std::vector<float> single(vocab);
  model.forward(kDecoderIds, one, single.data(), true);
  set_num_threads(threads);
  EXPECT_EQ(single, alone) << name;
}

}  // namespace aha::test
