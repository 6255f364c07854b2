// Choosing the next token from logits: greedy, temperature, top-k, top-p, min-p, and
// repetition / presence / frequency penalties, with a seeded random stream per sequence.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace aha::generate {

struct SamplingParams {
  float temperature = 1.0f;         // 0: greedy
  int64_t top_k = 0;                // 0: off
  float top_p = 1.0f;               // in (0, 1]; 1: off
  float min_p = 0.0f;               // in [0, 1); 0: off
  float repetition_penalty = 1.0f;  // > 0; 1: off (as transformers: over prompt and completion)
  float presence_penalty = 0.0f;    // subtracted once from tokens already generated (OpenAI)
  float frequency_penalty = 0.0f;   // subtracted per earlier occurrence in the completion (OpenAI)
  uint64_t seed = 0;
  int64_t top_logprobs = 0;  // also report this many most likely tokens, 0 to 20 (OpenAI)
};

// Checks every field's range; a bad one is a bad-input Error naming it.
void validate(const SamplingParams& params);

// A token and its log-probability under the model's distribution after penalties and
// temperature (before top-k/top-p/min-p truncation and the padded-id mask; temperature 0
// counts as 1).
struct Alternative {
  int32_t token;
  float logprob;
};
struct Sample {
  int32_t token;
  float logprob;
  std::vector<Alternative> top = {};  // the top_logprobs most likely tokens, most likely first
};

// Sets the logits of ids at or past `text_vocab` to -inf: checkpoints pad their vocabulary past the
// tokenizer's, and a padded id has no text. `text_vocab` 0 masks nothing.
void mask_padded_ids(std::span<float> logits, int64_t text_vocab);

// Samples one sequence's tokens; owns that sequence's random stream.
class Sampler {
 public:
  // Ids at or past `text_vocab` (the tokenizer's vocab_size) are never chosen, greedy included,
  // and never listed in `top`; log-probabilities stay over the whole vocabulary. 0: no limit.
  explicit Sampler(const SamplingParams& params, int64_t text_vocab = 0);

  // Picks the next token from `logits` (vocab). `prompt` and `completion` are the tokens so
  // far, for the penalties.
  Sample sample(std::span<const float> logits, std::span<const int32_t> prompt, std::span<const int32_t> completion);

 private:
  void apply_penalties(std::vector<float>& logits, std::span<const int32_t> prompt,
                       std::span<const int32_t> completion) const;
  int32_t draw(const std::vector<float>& scaled, const std::vector<float>& weights, double total);
  double uniform();

  SamplingParams params_;
  int64_t text_vocab_;
  std::mt19937_64 rng_;
};

}  // namespace aha::generate
