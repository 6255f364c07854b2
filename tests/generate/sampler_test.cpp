#include "aha/generate/sampler.hpp"

#include <gtest/gtest.h>

#include <bit>
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

TEST(Sampler, mask_padded_ids_sets_exactly_the_ids_past_the_tokenizer_to_minus_infinity) {
  std::vector<float> logits = kLogits;
  mask_padded_ids(logits, 3);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 3.0f, 2.0f, -INFINITY, -INFINITY}));
  for (int64_t text_vocab : {0, 5, 7}) {  // no tokenizer, or one as large as the vocabulary or larger
    std::vector<float> same = kLogits;
    mask_padded_ids(same, text_vocab);
    EXPECT_EQ(same, kLogits) << text_vocab;
  }
}

// Ids 3 and 4 are padding past a 3-token tokenizer and hold the largest logits.
const std::vector<float> kPadded = {1.0f, 2.0f, 0.5f, 4.0f, 3.5f};

TEST(Sampler, greedy_never_picks_a_padded_id_and_its_logprob_is_over_the_whole_vocabulary) {
  Sample out = Sampler({.temperature = 0.0f}, 3).sample(kPadded, {}, {});
  EXPECT_EQ(out.token, 1);
  EXPECT_NEAR(out.logprob, std::log(softmax(kPadded, 1.0)[1]), 1e-6);          // 2 - log(sum of all five e^x)
  EXPECT_EQ(Sampler({.temperature = 0.0f}).sample(kPadded, {}, {}).token, 3);  // unmasked, for contrast
}

TEST(Sampler, sampling_draws_only_real_ids_in_the_proportions_of_their_softmax) {
  const int draws = 30000;
  for (SamplingParams params : {SamplingParams{.temperature = 1.5f, .seed = 7},
                                SamplingParams{.temperature = 1.5f, .top_k = 4, .top_p = 0.999f, .seed = 8}}) {
    Sampler sampler(params, 3);
    std::map<int32_t, int> counts;
    const auto full = softmax(kPadded, 1.5);
    for (int i = 0; i < draws; ++i) {
      const Sample out = sampler.sample(kPadded, {}, {});
      ++counts[out.token];
      ASSERT_LT(out.token, 3);
      ASSERT_NEAR(out.logprob, std::log(full[out.token]), 1e-6);
    }
    const auto real = softmax({kPadded[0], kPadded[1], kPadded[2]}, 1.5);
    for (int32_t t = 0; t < 3; ++t) {
      const double sd = std::sqrt(real[t] * (1 - real[t]) / draws);
      EXPECT_NEAR(counts[t] / double(draws), real[t], 5 * sd + 1e-4) << t;
    }
  }
}

TEST(Sampler, top_logprobs_list_only_real_ids) {
  Sample out = Sampler({.temperature = 1.5f, .top_logprobs = 5}, 3).sample(kPadded, {}, {});
  const auto p = softmax(kPadded, 1.5);
  ASSERT_EQ(out.top.size(), 3u);
  const int32_t expected[] = {1, 0, 2};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out.top[i].token, expected[i]);
    EXPECT_NEAR(out.top[i].logprob, std::log(p[expected[i]]), 1e-6);
  }
}

TEST(Sampler, a_tokenizer_as_large_as_the_vocabulary_changes_no_bit) {
  // 300 ids: several blocks of the weight sums and a last partial one.
  std::vector<float> logits(300);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(0.37f * static_cast<float>(i)) * 4.0f;
  for (SamplingParams params : {SamplingParams{.temperature = 0.9f, .seed = 1, .top_logprobs = 3},
                                SamplingParams{.temperature = 0.9f, .top_k = 40, .top_p = 0.9f, .seed = 2}}) {
    Sampler plain(params), same(params, 300), larger(params, 400);
    for (int i = 0; i < 200; ++i) {
      const Sample a = plain.sample(logits, {}, {}), b = same.sample(logits, {}, {}), c = larger.sample(logits, {}, {});
      ASSERT_EQ(a.token, b.token);
      ASSERT_EQ(a.token, c.token);
      ASSERT_EQ(std::bit_cast<uint32_t>(a.logprob), std::bit_cast<uint32_t>(b.logprob));
      ASSERT_EQ(std::bit_cast<uint32_t>(a.logprob), std::bit_cast<uint32_t>(c.logprob));
      ASSERT_EQ(a.top.size(), b.top.size());
    }
  }
}

TEST(Sampler, padding_inside_a_block_of_a_large_vocabulary_is_never_drawn) {
  // 200 real ids of 300: the padding starts inside the fourth block of 64, and every padded
  // logit is 8 above the real ones.
  std::vector<float> logits(300);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = std::sin(0.37f * static_cast<float>(i)) + (i >= 200 ? 8.0f : 0.0f);
  Sampler sampler({.temperature = 1.5f, .seed = 11}, 200);
  std::map<int32_t, int> counts;
  for (int i = 0; i < 5000; ++i) ++counts[sampler.sample(logits, {}, {}).token];
  EXPECT_LT(counts.rbegin()->first, 200);
  EXPECT_GT(counts.size(), 100u);  // the real ids are all drawn from, not one fallback id
  EXPECT_THROW(Sampler({}, -1), Error);
}

TEST(Sampler, draws_what_the_unlimited_sampler_draws_from_the_masked_logits) {
  // 200 real ids of 300, the padded ones 8 above the real ones (the largest logit padded) or 8
  // below (the largest real): the same random stream picks the same ids and lists the same top.
  for (float shift : {8.0f, -8.0f}) {
    std::vector<float> logits(300);
    for (size_t i = 0; i < logits.size(); ++i)
      logits[i] = std::sin(0.37f * static_cast<float>(i)) + (i >= 200 ? shift : 0.0f);
    std::vector<float> masked = logits;
    mask_padded_ids(masked, 200);
    for (SamplingParams params : {SamplingParams{.temperature = 1.5f, .seed = 3, .top_logprobs = 3},
                                  SamplingParams{.temperature = 0.9f, .top_k = 40, .top_p = 0.9f, .seed = 4},
                                  SamplingParams{.temperature = 0.0f, .top_logprobs = 2}}) {
      Sampler limited(params, 200), plain(params);
      for (int i = 0; i < 300; ++i) {
        const Sample a = limited.sample(logits, {}, {}), b = plain.sample(masked, {}, {});
        ASSERT_EQ(a.token, b.token) << shift << " draw " << i;
        ASSERT_EQ(a.top.size(), b.top.size());
        for (size_t k = 0; k < a.top.size(); ++k) ASSERT_EQ(a.top[k].token, b.top[k].token);
      }
    }
  }
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
