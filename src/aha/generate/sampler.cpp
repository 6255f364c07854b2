#include "aha/generate/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "aha/backend/cpu/simd.hpp"
#include "aha/base/error.hpp"

namespace aha::generate {
namespace {

namespace simd = aha::backend::cpu::simd;

// Lowest index of the largest value: greedy decoding, ties to the smaller id.
int32_t argmax(std::span<const float> values) {
  return static_cast<int32_t>(std::max_element(values.begin(), values.end()) - values.begin());
}

constexpr size_t kBlock = 64;  // weights are summed in blocks of this many ids

// Sum of v[0 .. n) in a fixed order: 16 lane sums in double, then the lanes in order.
double block_sum(const float* v, size_t n) {
  double lanes[16] = {};
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) lanes[l] += v[i + l];
  double s = 0.0;
  for (double x : lanes) s += x;
  for (; i < n; ++i) s += v[i];
  return s;
}

// Sum of the weights of every id (blocks of kBlock ids in order).
double weight_total(const std::vector<float>& weights) {
  double total = 0.0;
  for (size_t b = 0; b < weights.size(); b += kBlock)
    total += block_sum(weights.data() + b, std::min(kBlock, weights.size() - b));
  return total;
}

// weights[i] = e^(work[i] - top) for every id; returns their sum.
double exponentiate(const std::vector<float>& work, float top, std::vector<float>& weights) {
  weights.resize(work.size());
  for (size_t i = 0; i < work.size(); ++i) weights[i] = simd::exp_nonpositive(work[i] - top);
  return weight_total(weights);
}

}  // namespace

void mask_padded_ids(std::span<float> logits, int64_t text_vocab) {
  if (text_vocab <= 0) return;
  for (size_t i = static_cast<size_t>(text_vocab); i < logits.size(); ++i) logits[i] = -INFINITY;
}

void validate(const SamplingParams& p) {
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature))
    fail("temperature must be a finite number >= 0, got {}", p.temperature);
  if (p.top_k < 0) fail("top_k must be >= 0 (0 turns it off), got {}", p.top_k);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) fail("top_p must be in (0, 1], got {}", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p < 1.0f)) fail("min_p must be in [0, 1), got {}", p.min_p);
  if (!(p.repetition_penalty > 0.0f) || !std::isfinite(p.repetition_penalty))
    fail("repetition_penalty must be a finite number > 0, got {}", p.repetition_penalty);
  if (!std::isfinite(p.presence_penalty) || std::fabs(p.presence_penalty) > 2.0f)
    fail("presence_penalty must be in [-2, 2], got {}", p.presence_penalty);
  if (!std::isfinite(p.frequency_penalty) || std::fabs(p.frequency_penalty) > 2.0f)
    fail("frequency_penalty must be in [-2, 2], got {}", p.frequency_penalty);
  if (p.top_logprobs < 0 || p.top_logprobs > 20) fail("top_logprobs must be from 0 to 20, got {}", p.top_logprobs);
}

Sampler::Sampler(const SamplingParams& params, int64_t text_vocab)
    : params_(params), text_vocab_(text_vocab), rng_(params.seed) {
  validate(params);
  if (text_vocab < 0) fail("the tokenizer's vocabulary size must be >= 0 (0: no limit), got {}", text_vocab);
}

void Sampler::apply_penalties(std::vector<float>& logits, std::span<const int32_t> prompt,
                              std::span<const int32_t> completion) const {
  const int64_t vocab = static_cast<int64_t>(logits.size());
  if (params_.repetition_penalty != 1.0f) {
    std::vector<bool> seen(logits.size());
    for (auto span : {prompt, completion})
      for (int32_t t : span)
        if (t >= 0 && t < vocab && !seen[t]) {
          seen[t] = true;
          float& l = logits[t];
          l = l < 0 ? l * params_.repetition_penalty : l / params_.repetition_penalty;
        }
  }
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) {
    std::unordered_map<int32_t, int> counts;
    for (int32_t t : completion)
      if (t >= 0 && t < vocab) ++counts[t];
    for (const auto& [t, n] : counts)
      logits[t] -= params_.presence_penalty + params_.frequency_penalty * static_cast<float>(n);
  }
}

// Draws from the distribution `weights` (unnormalised, summing to `total`, in the order of
// `scaled`) restricted by top-k, then top-p, then min-p.
int32_t Sampler::draw(const std::vector<float>& scaled, const std::vector<float>& weights, double total) {
  if (params_.top_k == 0 && params_.top_p >= 1.0f && params_.min_p <= 0.0f) {
    // The whole distribution, in id order: no need to sort a large vocabulary. Whole blocks
    // are skipped by their sums (the ones `total` was made of), then ids are walked one by one.
    const double u = uniform() * total;
    double cumulative = 0.0;
    for (size_t b = 0; b < weights.size(); b += kBlock) {
      const size_t n = std::min(kBlock, weights.size() - b);
      const double block = block_sum(weights.data() + b, n);
      if (!(u < cumulative + block) && b + n < weights.size()) {
        cumulative += block;
        continue;
      }
      for (size_t i = b; i < b + n; ++i)
        if (u < (cumulative += weights[i])) return static_cast<int32_t>(i);
      for (size_t i = b + n; i-- > b;)  // rounding left u just past the walk: the last id with weight
        if (weights[i] > 0.0f) return static_cast<int32_t>(i);
    }
    return argmax(scaled);
  }
  std::vector<int32_t> order(scaled.size());
  std::iota(order.begin(), order.end(), 0);
  auto by_logit = [&](int32_t a, int32_t b) { return scaled[a] > scaled[b] || (scaled[a] == scaled[b] && a < b); };
  size_t keep = order.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), by_logit);
    total = 0.0;
    for (size_t i = 0; i < keep; ++i) total += weights[order[i]];
  } else {
    std::sort(order.begin(), order.end(), by_logit);
  }
  if (params_.top_p < 1.0f) {
    // Smallest prefix whose probability reaches top_p (at least one token).
    double cumulative = 0.0;
    size_t n = 0;
    while (n < keep && cumulative < params_.top_p * total) cumulative += weights[order[n++]];
    keep = std::max<size_t>(n, 1);
  }
  if (params_.min_p > 0.0f) {
    const float floor = params_.min_p * weights[order[0]];
    size_t n = 1;
    while (n < keep && weights[order[n]] >= floor) ++n;
    keep = n;
  }
  double mass = 0.0;
  for (size_t i = 0; i < keep; ++i) mass += weights[order[i]];
  const double u = uniform() * mass;
  double cumulative = 0.0;
  for (size_t i = 0; i < keep; ++i)
    if (u < (cumulative += weights[order[i]])) return order[i];
  for (size_t i = keep; i-- > 0;)  // rounding left u just past the walk: the last id with weight
    if (weights[order[i]] > 0.0f) return order[i];
  return order[0];
}

double Sampler::uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

Sample Sampler::sample(std::span<const float> logits, std::span<const int32_t> prompt,
                       std::span<const int32_t> completion) {
  thread_local std::vector<float> work, weights;  // a vocabulary each, reused across calls
  work.assign(logits.begin(), logits.end());
  for (float& x : work) x = std::isnan(x) ? -INFINITY : x;  // a NaN logit can never be chosen
  apply_penalties(work, prompt, completion);
  const bool greedy = params_.temperature == 0.0f;
  if (!greedy)
    for (float& x : work) x /= params_.temperature;
  // Padded ids are masked for the choice only: log Z over the whole vocabulary is taken first,
  // relative to its own maximum `full_top`.
  const bool padded = text_vocab_ > 0 && static_cast<size_t>(text_vocab_) < work.size();
  const size_t drawable = padded ? static_cast<size_t>(text_vocab_) : work.size();
  float full_top = -INFINITY;
  double full_total = 0.0;
  if (padded) {
    full_top = work[argmax(work)];
    if (full_top != -INFINITY) full_total = exponentiate(work, full_top, weights);
    mask_padded_ids(work, text_vocab_);
  }
  // One pass of exponentials serves both the draw and (unpadded) the log-probability.
  const int32_t best = argmax(std::span<const float>(work).first(drawable));
  const float top = work[best];
  if (top == -INFINITY) return {best, -INFINITY};  // every logit NaN or -inf: nothing to weigh
  double total;
  if (padded && top == full_top) {  // a real id is the largest: its weights are already there
    std::fill(weights.begin() + text_vocab_, weights.end(), 0.0f);
    total = weight_total(weights);
  } else {
    total = exponentiate(work, top, weights);
  }
  const int32_t token = greedy ? best : draw(work, weights, total);
  const double log_total =
      padded ? static_cast<double>(full_top) - static_cast<double>(top) + std::log(full_total) : std::log(total);
  auto logprob_of = [&](int32_t id) { return static_cast<float>(static_cast<double>(work[id] - top) - log_total); };
  Sample out{token, logprob_of(token)};
  if (params_.top_logprobs > 0) {
    std::vector<int32_t> order(drawable);
    std::iota(order.begin(), order.end(), 0);
    const auto k =
        static_cast<std::ptrdiff_t>(std::min<size_t>(static_cast<size_t>(params_.top_logprobs), order.size()));
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int32_t a, int32_t b) { return work[a] > work[b] || (work[a] == work[b] && a < b); });
    for (std::ptrdiff_t i = 0; i < k; ++i) out.top.push_back({order[i], logprob_of(order[i])});
  }
  return out;
}

}  // namespace aha::generate
