// One pretraining / SFT optimisation step over accumulated micro-batches: gradients of the mean
// token loss, then the shared optimizer step (tree sum, clipping, AdamW; skipped when the loss or
// the norm is not finite); and the mean token loss of a held-out set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/data/batches.hpp"
#include "aha/dist/communicator.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/model/lora.hpp"
#include "aha/train/adamw.hpp"
#include "aha/train/optimizer_step.hpp"

namespace aha::train {

struct StepResult {
  double loss = 0.0;       // mean loss per target token over all micro-batches of the step
  double grad_norm = 0.0;  // global L2 norm of the gradients before clipping
  int64_t tokens_in = 0;   // input tokens (without padding)
  bool finite = true;      // false: the update was skipped
};

class GradientStep {
 public:
  // Trains `weights` (kept by reference; every tensor trainable) of a model with config `config`;
  // or, with `lora`, trains only the adapters (kept by reference) on frozen `weights`, their
  // dropout drawn from the stream (seed, "lora_dropout", step · micro-batches + micro-batch).
  GradientStep(const io::ModelConfig& config, model::Weights& weights, bool gradient_checkpointing,
               model::Lora* lora = nullptr, uint64_t seed = 0, dist::Communicator& comm = dist::single_process());

  // Accumulates the gradients of `micro_batches` (the step's, of every rank: this rank computes
  // its equal share of them, in rank order), normalised by their total target tokens (as
  // transformers does with num_items_in_batch), summed in the fixed tree over their indices,
  // clips them to `max_grad_norm` (0: no clipping) and applies AdamW with `options`, unless the
  // loss or the norm is NaN or infinite. `global_step` (the steps done before this one) picks
  // the LoRA dropout masks.
  StepResult step(const std::vector<data::MicroBatch>& micro_batches, const AdamWOptions& options, double max_grad_norm,
                  int64_t global_step = 0);

  // Mean loss per target token of `sequences`, in micro-batches of `batch_size` (shared among
  // the ranks; the same value on every rank and for any number of them), padding-free or not.
  double mean_loss(const std::vector<data::Sequence>& sequences, int64_t batch_size, bool padding_free = false);

  // Mixed precision (`bf16: true`): matrix products in bf16, master weights and AdamW in fp32.
  void set_bf16(bool bf16) { step_.set_bf16(bf16); }

  // The optimizer, for checkpoints.
  AdamW& optimizer() { return step_.optimizer(); }
  // The HF (or PEFT) names of the trained tensors, in the optimizer's order.
  const std::vector<std::string>& parameter_names() const { return step_.parameter_names(); }

 private:
  const io::ModelConfig& config_;
  model::Weights& weights_;
  model::Lora* lora_;
  dist::Communicator& comm_;
  OptimizerStep step_;
};

}  // namespace aha::train
