#include "aha/generate/sampler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "aha/base/error.hpp"

namespace aha::generate {
namespace {

const std::vector<float> kLogits = {1.0f, 3.0f, 2.0f, 0.5f, 2.9f};

std::vector<double> softmax(const std::vector<float>& x, double temperature) {
  std::vector<double> p(x.size());
  double total = 0;
  for (size_t i = 0; i < x.size(); ++i) total += p[i] = std::exp(x[i] / temperature);
  for (double& v : p) v /= total;
  return p;
}

std::map<int32_t, int> histogram(SamplingParams params, int draws) {
  Sampler sampler(params);
  std::map<int32_t, int> counts;
  for (int i = 0; i < draws; ++i) ++counts[sampler.sample(kLogits, {}, {}).token];
  return counts;
}

TEST(Sampler, greedy_takes_the_argmax_and_reports_its_logprob) {
  Sampler s({.temperature = 0.0f});
  Sample out = s.sample(kLogits, {}, {});
  EXPECT_EQ(out.token, 1);
  EXPECT_NEAR(out.logprob, std::log(softmax(kLogits, 1.0)[1]), 1e-6);
}

TEST(Sampler, top_logprobs_are_the_best_tokens_of_the_tempered_softmax) {
  Sampler s({.temperature = 0.5f, .seed = 3, .top_logprobs = 3});
  Sample out = s.sample(kLogits, {}, {});
  auto p = softmax(kLogits, 0.5);
  ASSERT_EQ(out.top.size(), 3u);
  const int32_t expected[] = {1, 4, 2};  // logits 3.0, 2.9, 2.0
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out.top[i].token, expected[i]);
    EXPECT_NEAR(out.top[i].logprob, std::log(p[expected[i]]), 1e-6);
  }
  EXPECT_NEAR(out.logprob, std::log(p[out.token]), 1e-6);
  Sampler none({.temperature = 0.5f, .seed = 3});
  EXPECT_TRUE(none.sample(kLogits, {}, {}).top.empty());
  EXPECT_THROW(Sampler({.top_logprobs = 21}), Error);
}

TEST(Sampler, temperature_sampling_follows_the_softmax) {
  const int draws = 40000;
  auto counts = histogram({.temperature = 0.7f, .seed = 5}, draws);
  auto p = softmax(kLogits, 0.7);
  for (int32_t t = 0; t < 5; ++t) {
    const double sd = std::sqrt(p[t] * (1 - p[t]) / draws);
    EXPECT_NEAR(counts[t] / double(draws), p[t], 5 * sd + 1e-4) << t;
  }
}

TEST(Sampler, top_k_top_p_and_min_p_truncate_then_renormalise) {
  const int draws = 20000;
  auto k2 = histogram({.temperature = 1.0f, .top_k = 2, .seed = 1}, draws);
  EXPECT_EQ(k2.size(), 2u);  // only tokens 1 and 4
  const double p1 = std::exp(3.0) / (std::exp(3.0) + std::exp(2.9));
  EXPECT_NEAR(k2[1] / double(draws), p1, 0.015);
  // top_p: token 1 alone has p ~ 0.37, tokens 1+4 ~ 0.70: p = 0.5 keeps two.
  auto p50 = histogram({.temperature = 1.0f, .top_p = 0.5f, .seed = 2}, draws);
  EXPECT_EQ(p50.size(), 2u);
  EXPECT_EQ(histogram({.temperature = 1.0f, .top_p = 0.3f, .seed = 3}, 200).size(), 1u);
  // min_p 0.5: tokens with p >= 0.5 p_max: 1, 4 (0.905), 2 (0.368 -> out).
  auto m = histogram({.temperature = 1.0f, .min_p = 0.5f, .seed = 4}, draws);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.count(1) && m.count(4));
}

TEST(Sampler, same_seed_same_tokens) {
  Sampler a({.temperature = 1.0f, .seed = 9}), b({.temperature = 1.0f, .seed = 9}),
      c({.temperature = 1.0f, .seed = 10});
  std::vector<int32_t> ta, tb, tc;
  for (int i = 0; i < 50; ++i) {
    ta.push_back(a.sample(kLogits, {}, {}).token);
    tb.push_back(b.sample(kLogits, {}, {}).token);
    tc.push_back(c.sample(kLogits, {}, {}).token);
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
}

TEST(Sampler, penalties_match_hand_computed_logits) {
  // Repetition 2: token 1 (3.0 -> 1.5), token 3 (0.5 -> 0.25); greedy then picks token 4 (2.9).
  std::vector<int32_t> prompt = {1}, completion = {3};
  Sample rep = Sampler({.temperature = 0.0f, .repetition_penalty = 2.0f}).sample(kLogits, prompt, completion);
  EXPECT_EQ(rep.token, 4);
  std::vector<float> expect = {1.0f, 1.5f, 2.0f, 0.25f, 2.9f};
  EXPECT_NEAR(rep.logprob, std::log(softmax(expect, 1.0)[4]), 1e-6);
  // Presence 0.5 + frequency 0.1 on token 1 generated twice: 3.0 - 0.5 - 0.2 = 2.3 < 2.9.
  std::vector<int32_t> twice = {1, 1};
  Sample pres =
      Sampler({.temperature = 0.0f, .presence_penalty = 0.5f, .frequency_penalty = 0.1f}).sample(kLogits, {}, twice);
  EXPECT_EQ(pres.token, 4);
  // The prompt does not count for presence.
  EXPECT_EQ(Sampler({.temperature = 0.0f, .presence_penalty = 2.0f}).sample(kLogits, twice, {}).token, 1);
}

TEST(Sampler, rejects_out_of_range_parameters) {
  EXPECT_THROW(validate({.temperature = -0.1f}), Error);
  EXPECT_THROW(validate({.temperature = NAN}), Error);
  EXPECT_THROW(validate({.top_k = -1}), Error);
  EXPECT_THROW(validate({.top_p = 0.0f}), Error);
  EXPECT_THROW(validate({.top_p = 1.5f}), Error);
  EXPECT_THROW(validate({.min_p = 1.0f}), Error);
  EXPECT_THROW(validate({.repetition_penalty = 0.0f}), Error);
  EXPECT_NO_THROW(validate({}));
}

}  // namespace
}  // namespace aha::generate
