// One GRPO optimisation step over a rollout: per micro-batch one forward for the per-token
// log-probs, the GRPO loss and d loss / d logp, one backward; then the shared optimizer step
// (tree sum over the micro-batches, clipping, AdamW).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aha/dist/communicator.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/model/lora.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/rl/grpo_rollout.hpp"
#include "aha/rl/sampling_correction.hpp"
#include "aha/train/adamw.hpp"
#include "aha/train/optimizer_step.hpp"

namespace aha::rl {

struct UpdateResult {
  double loss = 0, grad_norm = 0;
  double kl = 0, entropy = 0;          // means over masked tokens
  double low_clip = 0, high_clip = 0;  // means over masked tokens (completions at the sequence level)
  // The least low_clip and the greatest high_clip of one micro-batch (TRL: of one process); NaN
  // when no micro-batch had a masked token.
  double low_clip_min = 0, high_clip_max = 0;
  int64_t tokens = 0;  // input tokens of the forward passes
  double seconds = 0;
  bool finite = true;  // false: the update was skipped
};

class GrpoUpdate {
 public:
  // Trains `weights` (kept by reference); `reference` (may be null when beta is 0) is the
  // frozen model the KL penalty measures against. With `lora` (kept by reference), trains only
  // the adapters on the frozen `weights`, their dropout drawn from the stream (seed,
  // "lora_dropout", step · micro-batches + micro-batch); the KL reference is then `weights` with
  // the adapters switched off, and `reference` is not used.
  GrpoUpdate(const GrpoConfig& config, const io::ModelConfig& model_config, model::Weights& weights,
             const model::Weights* reference, model::Lora* lora = nullptr,
             dist::Communicator& comm = dist::single_process());

  // One optimizer step over the rollout's completions [begin, end) (end 0: all of them), in
  // micro-batches of per_device_train_batch_size (shared among the ranks in rank order; the
  // gradients and sums are the tree's over all of them). Fills old_logp (and ref_logp) of
  // completions that lack them. dapo and cispo divide by the tokens of the whole rollout (TRL's
  // num_items_in_batch of the generation batch). `prompts` gives each completion's prompt ids.
  // `global_step` (the steps done before this one) picks the LoRA dropout masks.
  UpdateResult step(Rollout& rollout, const std::vector<GrpoPrompt>& prompts, double learning_rate,
                    int64_t global_step = 0, size_t begin = 0, size_t end = 0);

  // Fills old_logp (and with beta ref_logp) of every completion that lacks them with the weights
  // as they are, in forward passes only (LoRA without dropout): for a generation batch that
  // several optimizer steps share, or that another engine sampled, before the first of them.
  void fill_old_logps(Rollout& rollout, const std::vector<GrpoPrompt>& prompts);

  train::AdamW& optimizer() { return step_.optimizer(); }
  const std::vector<std::string>& parameter_names() const { return step_.parameter_names(); }
  // The gradients of the last step (after clipping), in parameter_names' order.
  const std::vector<std::span<float>>& gradients() const { return step_.gradients(); }

 private:
  const GrpoConfig& config_;
  const io::ModelConfig& model_config_;
  model::Weights& weights_;
  const model::Weights* reference_;
  model::Lora* lora_;
  dist::Communicator& comm_;
  train::OptimizerStep step_;
  std::optional<SamplingCorrection> correction_;  // set when another engine samples (rollout_quantization)

  // The KL reference: with LoRA the base, the same weights with the adapters off (no LoraPass).
  const model::Weights* reference() const { return lora_ ? &weights_ : reference_; }

  // With several ranks: every rank's old_logp and ref_logp into every rank's rollout (the ranks
  // computed those of completions first.. in rank order, this one [begin, end)), so that each
  // holds the whole rollout.
  void share_logps(Rollout& r, size_t first, size_t begin, size_t end);
};

}  // namespace aha::rl
