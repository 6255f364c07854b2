// The decoder's training forward and backward over a batch of whole sequences (no KV cache).
#pragma once

#include <cstdint>
#include <span>

#include "aha/io/hf_config.hpp"
#include "aha/model/activations.hpp"
#include "aha/model/gradients.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/weights.hpp"

namespace aha::model {

// `batch` sequences of `seq` tokens, row-major (batch, seq), each at positions 0 .. seq-1.
// The loss is Σ_r loss_weights[r] · cross_entropy(logits_r, targets[r]) / normaliser.
//
// With sequence_rows, the sequences share rows instead: tokens, targets and loss_weights have one
// entry per row (at most batch · seq), and sequence s is rows sequence_rows[s·seq + t] for
// t = 0, 1, .. until -1 or seq. A row in several sequences (a prompt that completions share) has
// the same place t and the same rows before it in each; every row is in one at least. Each row is
// computed once; its values are the bits of the same row in the (batch, seq) layout, and its
// gradient sums what every sequence it is in sends back.
struct TrainBatch {
  std::span<const int32_t> tokens;              // (batch, seq) input ids
  std::span<const int32_t> targets;             // (batch, seq) the id each position predicts; < 0: none
  std::span<const float> loss_weights;          // (batch, seq) weight of each token's loss; 0 masks it
  double normaliser = 1.0;                      // > 0, e.g. the number of target tokens
  std::span<const int64_t> sequence_rows = {};  // (batch, seq) or empty: see above
};

// LoRA adapters on the frozen weights: the adapters (nullptr: none), their gradients (needed by
// loss_and_gradients) and the micro-batch's dropout seed. Dropout applies only when gradients
// are computed (training mode); compute_loss runs the adapters as PEFT does in eval mode.
struct LoraPass {
  const Lora* lora = nullptr;
  Lora* grads = nullptr;
  uint64_t dropout_seed = 0;
  bool dropout = true;  // false: no LoRA dropout even in training mode (GRPO's disable_dropout)
};

// The loss of `batch`, whose shape must be the one `acts` was planned for. Leaves the per-token
// cross-entropies in acts.losses.
double compute_loss(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch, Activations& acts,
                    const Lora* lora = nullptr);

// compute_loss, then adds d(loss)/d(weight) to every non-empty tensor of `grads` (empty ones are
// frozen) and, with `lora`, d(loss)/d(adapter) to lora.grads. Deterministic: the same inputs and
// thread count give bit-identical gradients, with or without gradient checkpointing.
double loss_and_gradients(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                          Activations& acts, Gradients& grads, const LoraPass& lora = {});

// Per-token log-probabilities for GRPO: logprobs[r] = log softmax(logits_r / temperature)[target_r]
// and entropies[r] = the entropy of that distribution, 0 where target_r < 0 (loss_weights and
// normaliser of `batch` are not used). Keeps in `acts` what backward_logprobs needs. With
// lora.grads set, LoRA runs in training mode (dropout), as for loss_and_gradients.
void forward_logprobs(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                      double temperature, Activations& acts, std::span<float> logprobs, std::span<float> entropies,
                      const LoraPass& lora = {});

// After forward_logprobs with the same weights, batch and temperature: adds
// Σ_r dlogprobs[r] · d logprobs[r] / d(weight) to every non-empty tensor of `grads`. One pass
// back; only the LM head's logits are recomputed, one chunk at a time. With `lora` (the same as
// the forward's), also adds d/d(adapter) to lora.grads.
void backward_logprobs(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                       double temperature, std::span<const float> dlogprobs, Activations& acts, Gradients& grads,
                       const LoraPass& lora = {});

// Frees the memory the passes of this thread keep from one pass to the next (the LM head packed
// in bf16, each way, and the last held matrix packed), before other work that needs memory (GRPO's
// rollouts).
void release_pass_memory();

}  // namespace aha::model
