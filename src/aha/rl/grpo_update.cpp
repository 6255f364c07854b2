#include "aha/rl/grpo_update.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "aha/base/error.hpp"
#include "aha/dist/gather_json.hpp"
#include "aha/model/training.hpp"
#include "aha/rl/grpo_loss.hpp"
#include "aha/rl/sampling_correction.hpp"

namespace aha::rl {
namespace {

// Completions [begin, end) as one training batch of (batch, seq) sequences, each its prompt and
// its completion but the last token, with the completion's tokens as targets of the rows that
// predict them. Completions of one prompt that follow each other share its rows but the last (the
// one that predicts each completion's first token), so a group's prompt is computed once.
struct Packed {
  int64_t batch = 0, seq = 0;
  std::vector<int32_t> tokens, targets;  // one per row
  std::vector<float> weights;            // unused by the log-prob passes; sized as the batch requires
  std::vector<int64_t> sequence_rows;    // (batch, seq): the row at each place, -1 past the end
  std::vector<int64_t> first;            // per completion: the row predicting its first token
  int64_t tokens_in = 0;                 // every sequence's tokens, a shared prompt counted in each

  model::TrainBatch train_batch() const { return {tokens, targets, weights, 1.0, sequence_rows}; }

  int64_t add_row(int32_t token, int32_t target) {
    tokens.push_back(token);
    targets.push_back(target);
    return static_cast<int64_t>(tokens.size()) - 1;
  }
};

Packed pack_shared(const Rollout& r, const std::vector<GrpoPrompt>& prompts, size_t begin, size_t end) {
  Packed p;
  p.batch = static_cast<int64_t>(end - begin);
  for (size_t c = begin; c < end; ++c) {
    if (r.completions[c].ids.empty() || prompts[r.completions[c].prompt].ids.empty())
      fail_internal("GRPO: an empty prompt or completion");
    p.seq = std::max<int64_t>(
        p.seq, static_cast<int64_t>(prompts[r.completions[c].prompt].ids.size() + r.completions[c].ids.size()) - 1);
  }
  p.sequence_rows.assign(p.batch * p.seq, -1);
  std::vector<int64_t> shared;  // the rows of the prompt but its last token
  for (size_t c = begin; c < end; ++c) {
    const std::vector<int32_t>& prompt = prompts[r.completions[c].prompt].ids;
    const std::vector<int32_t>& ids = r.completions[c].ids;
    const int64_t n = static_cast<int64_t>(prompt.size());
    if (c == begin || r.completions[c].prompt != r.completions[c - 1].prompt) {
      shared.clear();
      for (int64_t t = 0; t + 1 < n; ++t) shared.push_back(p.add_row(prompt[t], -1));
    }
    int64_t* places = p.sequence_rows.data() + static_cast<int64_t>(c - begin) * p.seq;
    std::copy(shared.begin(), shared.end(), places);
    p.first.push_back(p.add_row(prompt[n - 1], ids[0]));
    places[n - 1] = p.first.back();
    for (size_t t = 1; t < ids.size(); ++t) places[n - 1 + static_cast<int64_t>(t)] = p.add_row(ids[t - 1], ids[t]);
    p.tokens_in += n + static_cast<int64_t>(ids.size()) - 1;
  }
  p.weights.assign(p.tokens.size(), 0.0f);
  return p;
}

// `p` as whole sequences: (batch, seq) rows, each place its row's token and target, right-padded
// with token 0 and no target (share_prompt_rows: false).
Packed whole_sequences(const Packed& p) {
  Packed w;
  w.batch = p.batch, w.seq = p.seq, w.tokens_in = p.tokens_in;
  w.tokens.assign(p.sequence_rows.size(), 0);
  w.targets.assign(p.sequence_rows.size(), -1);
  w.weights.assign(p.sequence_rows.size(), 0.0f);
  for (size_t place = 0; place < p.sequence_rows.size(); ++place) {
    const int64_t row = p.sequence_rows[place];
    if (row < 0) continue;
    w.tokens[place] = p.tokens[row], w.targets[place] = p.targets[row];
    if (w.first.size() < p.first.size() && row == p.first[w.first.size()])
      w.first.push_back(static_cast<int64_t>(place));
  }
  return w;
}

Packed pack(const GrpoConfig& c, const Rollout& r, const std::vector<GrpoPrompt>& prompts, size_t begin, size_t end) {
  Packed p = pack_shared(r, prompts, begin, end);
  if (c.share_prompt_rows) return p;  // moved, not copied
  return whole_sequences(p);
}

// Completions [begin, end) of `p`'s logp rows into `into` (old_logp or ref_logp) of each.
void assign_rows(Rollout& r, const Packed& p, size_t begin, size_t end, const std::vector<float>& logp,
                 std::vector<float> Completion::*into) {
  for (size_t c = begin; c < end; ++c) {
    const float* row = logp.data() + p.first[c - begin];
    (r.completions[c].*into).assign(row, row + r.completions[c].ids.size());
  }
}

// With beta, the reference log-probs of completions [begin, end) (packed in `p`) unless they have
// them, from `reference` (null when beta is 0).
void fill_ref_logps(const GrpoConfig& c, const io::ModelConfig& model_config, const model::Weights* reference,
                    const Packed& p, model::Activations& acts, Rollout& r, size_t begin, size_t end) {
  if (c.beta == 0.0 || !r.completions[begin].ref_logp.empty()) return;
  const model::TrainBatch batch = p.train_batch();
  std::vector<float> logp(p.tokens.size()), ent(p.tokens.size());
  model::forward_logprobs(model_config, *reference, batch, c.temperature, acts, logp, ent);
  assign_rows(r, p, begin, end, logp, &Completion::ref_logp);
}

}  // namespace

void GrpoUpdate::share_logps(Rollout& r, size_t first, size_t begin, size_t end) {
  Json mine = Json::array();
  for (size_t c = begin; c < end; ++c) mine.push_back({r.completions[c].old_logp, r.completions[c].ref_logp});
  // The ranks' ranges follow each other in rank order and cover every completion from `first`.
  size_t c = first;
  for (const Json& theirs : dist::gather_json(comm_, mine))
    for (const Json& logps : theirs) {
      r.completions[c].old_logp = logps[0].get<std::vector<float>>();
      r.completions[c++].ref_logp = logps[1].get<std::vector<float>>();
    }
}

GrpoUpdate::GrpoUpdate(const GrpoConfig& config, const io::ModelConfig& model_config, model::Weights& weights,
                       const model::Weights* reference, model::Lora* lora, dist::Communicator& comm)
    : config_(config),
      model_config_(model_config),
      weights_(weights),
      reference_(reference),
      lora_(lora),
      comm_(comm),
      step_(model_config, weights, lora, config.gradient_checkpointing, static_cast<uint64_t>(config.seed), 4, comm) {
  step_.set_bf16(config.bf16);
  if (quantized_rollouts(config) && config.vllm_importance_sampling_correction)
    correction_ = parse_sampling_correction(config.vllm_importance_sampling_mode, "vllm_importance_sampling_mode");
}

namespace {
// The sums a micro-batch reports, in OptimizerStep's scalars.
enum Scalar { kLoss, kMaskTokens, kKl, kLowClip, kHighClip, kEntropy, kTokens, kClipCount, kScalars };
}  // namespace

void GrpoUpdate::fill_old_logps(Rollout& r, const std::vector<GrpoPrompt>& prompts) {
  const size_t size = static_cast<size_t>(config_.per_device_train_batch_size);
  const auto micro_batches = static_cast<int64_t>((r.completions.size() + size - 1) / size);
  const auto [first, end] = dist::share_of(comm_, micro_batches);
  for (int64_t k = first; k < end; ++k) {
    const size_t begin = static_cast<size_t>(k) * size, stop = std::min(r.completions.size(), begin + size);
    const Packed p = pack(config_, r, prompts, begin, stop);
    const model::TrainBatch batch = p.train_batch();
    model::Activations& acts = step_.activations(p.batch, p.seq);
    std::vector<float> logp(p.tokens.size()), ent(p.tokens.size());
    fill_ref_logps(config_, model_config_, reference(), p, acts, r, begin, stop);
    if (!r.completions[begin].old_logp.empty()) continue;
    model::forward_logprobs(model_config_, weights_, batch, config_.temperature, acts, logp, ent,
                            model::LoraPass{lora_, nullptr, 0});
    assign_rows(r, p, begin, stop, logp, &Completion::old_logp);
  }
  if (comm_.size() > 1) share_logps(r, 0, first * size, std::min(r.completions.size(), end * size));
}

UpdateResult GrpoUpdate::step(Rollout& r, const std::vector<GrpoPrompt>& prompts, double learning_rate,
                              int64_t global_step, size_t slice_begin, size_t slice_end) {
  const auto started = std::chrono::steady_clock::now();
  if (slice_end == 0) slice_end = r.completions.size();
  GrpoLossOptions o;
  o.beta = config_.beta;
  o.epsilon_low = config_.epsilon;
  o.epsilon_high = config_.epsilon_high.value_or(config_.epsilon);
  o.loss_type = parse_loss_type(config_.loss_type, "loss_type");
  o.sequence_level = parse_sequence_level(config_.importance_sampling_level, "importance_sampling_level");
  o.delta = config_.delta;
  o.sapo_temperature_pos = config_.sapo_temperature_pos;
  o.sapo_temperature_neg = config_.sapo_temperature_neg;
  o.top_entropy_quantile = config_.top_entropy_quantile;
  o.max_completion_length = config_.max_completion_length;
  // Every rank's micro-batches: TRL divides by gradient_accumulation_steps and DDP averages the
  // ranks' gradients, where aha sums them.
  o.gradient_accumulation_steps = config_.gradient_accumulation_steps * comm_.size();
  // dapo normalises by every completion token of the step, truncated ones included (as TRL).
  o.dapo_tokens = 0;
  for (const Completion& c : r.completions) o.dapo_tokens += static_cast<double>(c.ids.size());

  const size_t size = static_cast<size_t>(config_.per_device_train_batch_size);
  const auto micro_batches = static_cast<int64_t>((slice_end - slice_begin + size - 1) / size);
  // After kScalars, each micro-batch's own low and high clip ratios, for their min and max.
  step_.begin(global_step, micro_batches, kScalars + 2 * static_cast<size_t>(micro_batches));
  const auto [first, end] = dist::share_of(comm_, micro_batches);
  for (int64_t k = first; k < end; ++k) {
    const size_t begin = slice_begin + static_cast<size_t>(k) * size, end = std::min(slice_end, begin + size);
    step_.accumulate(k, [&](train::MicroBatchSums& s) {
      const Packed p = pack(config_, r, prompts, begin, end);
      const model::TrainBatch batch = p.train_batch();
      model::Activations& acts = step_.activations(p.batch, p.seq);
      std::vector<float> logp(p.tokens.size()), ent(p.tokens.size());
      fill_ref_logps(config_, model_config_, reference(), p, acts, r, begin, end);
      s.pass.dropout = !config_.disable_dropout;
      model::forward_logprobs(model_config_, weights_, batch, config_.temperature, acts, logp, ent, s.pass);
      CompletionTokens t;
      double entropy = 0;
      for (size_t c = begin; c < end; ++c) {
        Completion& x = r.completions[c];
        const int64_t first = p.first[c - begin], n = static_cast<int64_t>(x.ids.size());
        // The first update of a rollout is made with the weights that sampled it: π_old = π_θ.
        if (x.old_logp.empty()) x.old_logp.assign(logp.data() + first, logp.data() + first + n);
        const double m = loss_mask(config_, x);
        if (correction_) {
          const std::vector<double> w =
              sampling_weights(x.old_logp, x.sampling_logp, std::vector<double>(static_cast<size_t>(n), m),
                               *correction_, config_.vllm_importance_sampling_cap);
          t.sampling_weight.insert(t.sampling_weight.end(), w.begin(), w.end());
        }
        for (int64_t i = 0; i < n; ++i) {
          t.logp.push_back(logp[first + i]);
          t.old_logp.push_back(x.old_logp[i]);
          t.ref_logp.push_back(config_.beta != 0.0 ? x.ref_logp[i] : 0.0);
          t.mask.push_back(m);
          t.entropy.push_back(ent[first + i]);
          entropy += m * ent[first + i];
        }
        t.offsets.push_back(static_cast<int64_t>(t.logp.size()));
        t.advantages.push_back(x.advantage);
      }
      const GrpoLossResult l = grpo_loss(t, o);
      std::vector<float> dlogp(p.tokens.size(), 0.0f);
      for (size_t c = begin; c < end; ++c)
        for (int64_t i = t.offsets[c - begin]; i < t.offsets[c - begin + 1]; ++i)
          dlogp[p.first[c - begin] + (i - t.offsets[c - begin])] = static_cast<float>(l.dlogp[i]);
      // Every dlogp 0 (a micro-batch whose advantages are all 0, without the KL term): the backward
      // would add exact zeros to gradients that start at zero, so it is skipped.
      if (std::any_of(dlogp.begin(), dlogp.end(), [](float g) { return g != 0.0f; }))
        model::backward_logprobs(model_config_, weights_, batch, config_.temperature, dlogp, acts, *s.grads, s.pass);
      s.scalars[kLoss] = l.loss;
      s.scalars[kMaskTokens] = l.mask_tokens;
      s.scalars[kKl] = l.kl_sum;
      s.scalars[kLowClip] = l.low_clipped;
      s.scalars[kHighClip] = l.high_clipped;
      s.scalars[kEntropy] = entropy;
      s.scalars[kTokens] = static_cast<double>(p.tokens_in);
      s.scalars[kClipCount] = l.clip_count;
      const double counted = l.clip_count > 0 ? l.clip_count : std::nan("");
      s.scalars[kScalars + 2 * static_cast<size_t>(k)] = l.low_clipped / counted;
      s.scalars[kScalars + 2 * static_cast<size_t>(k) + 1] = l.high_clipped / counted;
    });
  }
  // The kept memory (the LM head packed in bf16) freed after the step's last pass, before what
  // follows (saving, the next rollouts) needs it. fill_old_logps, always followed by a step, keeps it.
  model::release_pass_memory();
  if (comm_.size() > 1)
    share_logps(r, slice_begin, slice_begin + first * size, std::min(slice_end, slice_begin + end * size));
  const train::OptimizerResult res =
      step_.finish({learning_rate, config_.adam_beta1, config_.adam_beta2, config_.adam_epsilon, config_.weight_decay},
                   config_.max_grad_norm);
  const std::vector<double>& sum = res.scalars;
  UpdateResult u;
  u.loss = sum[kLoss];
  u.grad_norm = res.grad_norm;
  u.finite = res.finite;
  u.tokens = static_cast<int64_t>(sum[kTokens]);
  const double tokens = std::max(1.0, sum[kMaskTokens]);
  const double clip_count = std::max(1.0, sum[kClipCount]);
  u.kl = sum[kKl] / tokens, u.low_clip = sum[kLowClip] / clip_count, u.high_clip = sum[kHighClip] / clip_count;
  u.entropy = sum[kEntropy] / tokens;
  u.low_clip_min = u.high_clip_max = std::nan("");
  for (size_t k = kScalars; k < sum.size(); k += 2) {
    if (std::isnan(sum[k])) continue;
    u.low_clip_min = std::isnan(u.low_clip_min) ? sum[k] : std::min(u.low_clip_min, sum[k]);
    u.high_clip_max = std::isnan(u.high_clip_max) ? sum[k + 1] : std::max(u.high_clip_max, sum[k + 1]);
  }
  u.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return u;
}

}  // namespace aha::rl
