// Checks shared by the decoder tests of each compute dtype (bf16, q8_0): tiny models of every
// architecture variant stored in a dtype, and the batch- and thread-invariance of a model's logits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aha/model/decoder.hpp"
#include "aha/tensor/dtype.hpp"
#include "support/temp_dir.hpp"

namespace aha::test {

// The ids the decoder tests feed.
inline const std::vector<int32_t> kDecoderIds = {1, 7, 3, 60, 22, 22, 9, 41, 0, 13, 5, 38};

// The largest |x| of `v`.
float largest_magnitude(const std::vector<float>& v);

// A tiny model of one architecture variant (test::tiny_model_variants), written in `dir`.
struct StoredModel {
  std::string name;
  TempDir dir;
  std::string path() const { return dir.path().string(); }
};

// Every variant stored in `dtype`, with seeds first_seed, first_seed + 1, ...
std::vector<std::unique_ptr<StoredModel>> stored_tiny_models(tensor::DType dtype, unsigned first_seed);

// kDecoderIds' last logits are the same bits alone, beside another sequence in one batch and on one
// thread (gtest expectations naming `name`).
void expect_batch_and_thread_invariant(const model::Model& model, const std::string& name);

}  // namespace aha::test
