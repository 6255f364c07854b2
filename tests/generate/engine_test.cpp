#include "aha/generate/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "aha/base/error.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha::generate {
namespace {

// Every sample's tokens, keyed by (request, sample).
using Outputs = std::map<std::pair<int64_t, int64_t>, std::vector<int32_t>>;

Outputs run_all(Engine& engine, std::map<std::pair<int64_t, int64_t>, FinishReason>* finish = nullptr) {
  Outputs out;
  engine.run([&](const TokenEvent& e) {
    out[{e.request, e.sample}].push_back(e.token);
    if (finish && e.finish != FinishReason::none) (*finish)[{e.request, e.sample}] = e.finish;
    return true;
  });
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Json config = test::tiny_llama_config();
    config["vocab_size"] = 96;
    test::write_tiny_model(dir_.path().string(), config, 21);
    model_ = std::make_unique<model::Model>(dir_.path().string());
  }
  test::TempDir dir_;
  std::unique_ptr<model::Model> model_;
};

TEST_F(EngineTest, greedy_tokens_are_the_argmax_of_full_forwards) {
  Engine engine(*model_, {});
  engine.submit({.prompt = {1, 5, 7}, .sampling = {.temperature = 0.0f}, .max_tokens = 12});
  std::vector<int32_t> got = run_all(engine)[{0, 0}];
  ASSERT_EQ(got.size(), 12u);
  std::vector<int32_t> seq = {1, 5, 7};
  const int64_t vocab = model_->config().vocab_size;
  for (int32_t token : got) {
    std::vector<float> logits = model_->logits(seq);
    const float* last = logits.data() + (seq.size() - 1) * vocab;
    const int32_t best = static_cast<int32_t>(std::max_element(last, last + vocab) - last);
    std::vector<float> sorted(last, last + vocab);
    std::sort(sorted.rbegin(), sorted.rend());
    if (sorted[0] - sorted[1] < 1e-4f * std::fabs(sorted[0])) {
      // A near-tie: either of the two best is right; report it and go on with the engine's.
      std::printf("near-tie at position %zu: gap %g\n", seq.size(), sorted[0] - sorted[1]);
      ASSERT_GE(last[token], sorted[1]);
    } else {
      ASSERT_EQ(token, best) << "position " << seq.size();
    }
    seq.push_back(token);
  }
}

TEST_F(EngineTest, batched_samples_equal_single_runs_with_the_same_seeds) {
  const std::vector<std::vector<int32_t>> prompts = {{1, 2, 3}, {4}, {9, 8, 7, 6, 5}};
  SamplingParams sampling{.temperature = 1.0f, .top_k = 20, .seed = 100};
  // Together: three prompts, four samples each, in one engine with room for only five
  // sequences, so samples join as others finish.
  Engine together(*model_, {.max_batch = 5});
  for (const auto& p : prompts) together.submit({.prompt = p, .sampling = sampling, .n = 4, .max_tokens = 10});
  Outputs batched = run_all(together);
  // Alone: each sample as its own request with seed + i.
  for (size_t r = 0; r < prompts.size(); ++r)
    for (int64_t i = 0; i < 4; ++i) {
      Engine alone(*model_, {});
      SamplingParams s = sampling;
      s.seed += static_cast<uint64_t>(i);
      alone.submit({.prompt = prompts[r], .sampling = s, .max_tokens = 10});
      const auto key = std::make_pair(static_cast<int64_t>(r), i);
      EXPECT_EQ(run_all(alone)[std::make_pair(int64_t{0}, int64_t{0})], batched[key]) << r << "/" << i;
    }
}

TEST_F(EngineTest, eos_ends_a_sample_and_max_tokens_clamps_to_the_context) {
  Engine greedy(*model_, {});
  greedy.submit({.prompt = {3}, .sampling = {.temperature = 0.0f}, .max_tokens = 6});
  std::vector<int32_t> free_run = run_all(greedy)[{0, 0}];
  Engine stopping(*model_, {});
  stopping.submit({.prompt = {3}, .sampling = {.temperature = 0.0f}, .max_tokens = 6, .eos_ids = {free_run[2]}});
  std::map<std::pair<int64_t, int64_t>, FinishReason> finish;
  std::vector<int32_t> stopped = run_all(stopping, &finish)[{0, 0}];
  const size_t first = std::find(free_run.begin(), free_run.end(), free_run[2]) - free_run.begin();
  EXPECT_EQ(stopped, std::vector<int32_t>(free_run.begin(), free_run.begin() + first + 1));
  EXPECT_EQ((finish[{0, 0}]), FinishReason::stop);

  Engine small(*model_, {.ctx_size = 8});
  small.submit({.prompt = {1, 2, 3, 4, 5}, .sampling = {.temperature = 0.0f}, .max_tokens = 100});
  finish.clear();
  EXPECT_EQ((run_all(small, &finish)[{0, 0}].size()), 3u);
  EXPECT_EQ((finish[{0, 0}]), FinishReason::length);
}

TEST_F(EngineTest, a_callback_can_stop_one_sample) {
  Engine engine(*model_, {});
  engine.submit({.prompt = {1}, .sampling = {.temperature = 1.0f, .seed = 3}, .n = 2, .max_tokens = 8});
  Outputs out;
  engine.run([&](const TokenEvent& e) {
    out[{e.request, e.sample}].push_back(e.token);
    return !(e.sample == 0 && out[{e.request, e.sample}].size() == 3);
  });
  EXPECT_EQ((out[{0, 0}].size()), 3u);
  EXPECT_EQ((out[{0, 1}].size()), 8u);
}

TEST_F(EngineTest, ids_past_the_tokenizer_are_never_sampled) {
  // A tokenizer of 10 ids on a model of 96: greedy and sampled tokens all stay below 10.
  Engine engine(*model_, {.text_vocab = 10});
  engine.submit({.prompt = {1, 5, 7}, .sampling = {.temperature = 0.0f}, .max_tokens = 12});
  engine.submit({.prompt = {2, 3}, .sampling = {.temperature = 1.5f, .seed = 4}, .n = 4, .max_tokens = 12});
  const Outputs out = run_all(engine);
  ASSERT_EQ(out.size(), 5u);
  for (const auto& [key, tokens] : out) {
    EXPECT_EQ(tokens.size(), 12u);
    for (int32_t t : tokens) EXPECT_LT(t, 10) << key.first << "/" << key.second;
  }
  EXPECT_THROW(Engine(*model_, {.text_vocab = -1}), Error);
}

TEST_F(EngineTest, bad_requests_are_refused) {
  Engine engine(*model_, {.ctx_size = 8});
  EXPECT_THROW(engine.submit({.prompt = {}}), Error);
  EXPECT_THROW(engine.submit({.prompt = {1, 96}}), Error);
  EXPECT_THROW(engine.submit({.prompt = {-1}}), Error);
  EXPECT_THROW(engine.submit({.prompt = std::vector<int32_t>(8, 1)}), Error);
  EXPECT_THROW(engine.submit({.prompt = {1}, .max_tokens = 0}), Error);
  EXPECT_THROW(engine.submit({.prompt = {1}, .n = 0}), Error);
  EXPECT_THROW(engine.submit({.prompt = {1}, .sampling = {.temperature = -1.0f}}), Error);
  EXPECT_TRUE(engine.idle());
}

}  // namespace
}  // namespace aha::generate
