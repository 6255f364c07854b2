// The shared optimizer step reduces its micro-batches in a fixed tree: a step whose micro-batches
// are held in two groups, as two processes would hold them, gives the bits of one group.
#include "aha/train/optimizer_step.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "aha/base/random.hpp"
#include "aha/data/batches.hpp"
#include "aha/train/init_weights.hpp"
#include "support/tiny_model.hpp"
#include "tests/dist/fake_ranks.hpp"

namespace aha::train {
namespace {

std::vector<data::MicroBatch> micro_batches(int count) {
  RandomStream rng(2, "test");
  std::vector<data::Sequence> seqs(static_cast<size_t>(2 * count));
  for (auto& s : seqs) {
    const int len = 6 + static_cast<int>(rng.below(8));
    for (int i = 0; i < len; ++i) s.tokens.push_back(static_cast<int32_t>(rng.below(64)));
    s.labels.assign(static_cast<size_t>(len), 1);
  }
  std::vector<data::MicroBatch> mbs;
  for (int k = 0; k < count; ++k) mbs.push_back(data::make_micro_batch(seqs, {2 * k, 2 * k + 1}));
  return mbs;
}

struct Trained {
  model::Weights weights;
  OptimizerResult result;
};

// Two optimizer steps over `mbs`, this rank computing micro-batches [lo, hi).
Trained train(const io::ModelConfig& config, const std::vector<data::MicroBatch>& mbs, int64_t lo, int64_t hi,
              dist::Communicator& comm) {
  Trained t{init_weights(config, 0.02, 5), {}};
  OptimizerStep step(config, t.weights, nullptr, false, 0, 4, comm);
  double targets = 0;
  for (const data::MicroBatch& mb : mbs) targets += static_cast<double>(mb.target_tokens);
  for (int64_t s = 0; s < 2; ++s) {
    step.begin(s, static_cast<int64_t>(mbs.size()), 1);
    for (int64_t k = lo; k < hi; ++k) {
      const data::MicroBatch& mb = mbs[static_cast<size_t>(k)];
      step.accumulate(k, [&](MicroBatchSums& sums) {
        sums.scalars[0] = model::loss_and_gradients(config, t.weights, {mb.tokens, mb.targets, mb.weights, targets},
                                                    step.activations(mb.batch, mb.seq), *sums.grads, sums.pass);
      });
    }
    t.result = step.finish({1e-2, 0.9, 0.999, 1e-8, 0.1}, 1.0);
  }
  return t;
}

bool same_bits(model::Weights& a, model::Weights& b) {
  const auto pa = model::parameters(a), pb = model::parameters(b);
  for (size_t i = 0; i < pa.size(); ++i)
    if (pa[i].values->size() != pb[i].values->size() ||
        std::memcmp(pa[i].values->data(), pb[i].values->data(), pa[i].values->size() * sizeof(float)) != 0)
      return false;
  return true;
}

TEST(OptimizerStep, micro_batches_in_two_groups_give_the_bits_of_one_group) {
  const io::ModelConfig config = io::parse_model_config(test::tiny_llama_config(), "config.json");
  const std::vector<data::MicroBatch> mbs = micro_batches(5);
  Trained one = train(config, mbs, 0, 5, dist::single_process());
  for (int64_t split : {1, 2, 4}) {
    std::vector<Trained> ranks(2);
    dist::testing::FakeRanks::run(2, [&](dist::Communicator& comm) {
      const bool first = comm.rank() == 0;
      ranks[static_cast<size_t>(comm.rank())] = train(config, mbs, first ? 0 : split, first ? split : 5, comm);
    });
    for (Trained& r : ranks) {
      EXPECT_TRUE(same_bits(r.weights, one.weights)) << "split at " << split;
      EXPECT_EQ(r.result.scalars, one.result.scalars) << "split at " << split;
      EXPECT_EQ(r.result.grad_norm, one.result.grad_norm) << "split at " << split;
    }
  }
  EXPECT_TRUE(one.result.finite);
  EXPECT_GT(one.result.grad_norm, 0.0);
}

}  // namespace
}  // namespace aha::train
