// One optimisation step over accumulated micro-batches: gradients of the mean token loss, global
// norm clipping, and an AdamW update (skipped when the loss or the norm is not finite); and the
// mean token loss of a held-out set.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aha/data/batches.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/model/activations.hpp"
#include "aha/model/gradients.hpp"
#include "aha/model/lora.hpp"
#include "aha/train/adamw.hpp"

namespace aha::train {

struct StepResult {
  double loss = 0.0;       // mean loss per target token over all micro-batches of the step
  double grad_norm = 0.0;  // global L2 norm of the gradients before clipping
  int64_t tokens_in = 0;   // input tokens (without padding)
  bool finite = true;      // false: the update was skipped
};

// The tensors a step trains: every weight, or with `lora` only the adapters.
std::vector<model::Parameter> trained_parameters(model::Weights& weights, model::Lora* lora);

// Element counts of `params`, for AdamW.
std::vector<int64_t> parameter_sizes(const std::vector<model::Parameter>& params);

// Gradient buffers for training `weights`: zeros shaped like them, or with LoRA every base
// tensor frozen (empty).
model::Gradients gradients_for(const model::Weights& weights, bool lora);

// The trained tensors (`params`) with their gradients (`grads`, the same order) as the optimizer
// takes them: names, AdamW slots (no weight decay for vectors: norms, biases) and gradient spans.
struct OptimizerTensors {
  std::vector<std::string> names;
  std::vector<ParamSlot> slots;
  std::vector<std::span<float>> grads;
};
OptimizerTensors optimizer_tensors(const std::vector<model::Parameter>& params,
                                   const std::vector<model::Parameter>& grads);

class GradientStep {
 public:
  // Trains `weights` (kept by reference; every tensor trainable) of a model with config `config`;
  // or, with `lora`, trains only the adapters (kept by reference) on frozen `weights`, their
  // dropout drawn from the stream (seed, "lora_dropout", step · micro-batches + micro-batch).
  GradientStep(const io::ModelConfig& config, model::Weights& weights, bool gradient_checkpointing,
               model::Lora* lora = nullptr, uint64_t seed = 0);

  // Accumulates the gradients of `micro_batches`, normalised by their total target tokens (as
  // transformers does with num_items_in_batch), clips them to `max_grad_norm` (0: no clipping)
  // and applies AdamW with `options`, unless the loss or the norm is NaN or infinite.
  // `global_step` (the steps done before this one) picks the LoRA dropout masks.
  StepResult step(const std::vector<data::MicroBatch>& micro_batches, const AdamWOptions& options,
                  double max_grad_norm, int64_t global_step = 0);

  // Mean loss per target token of `sequences`, in micro-batches of `batch_size`.
  double mean_loss(const std::vector<data::Sequence>& sequences, int64_t batch_size);

  // The optimizer, for checkpoints.
  AdamW& optimizer() { return optimizer_; }
  // The HF (or PEFT) names of the trained tensors, in the optimizer's order.
  const std::vector<std::string>& parameter_names() const { return tensors_.names; }

 private:
  model::Activations& activations(int64_t batch, int64_t seq);

  const io::ModelConfig& config_;
  model::Weights& weights_;
  model::Gradients grads_;
  model::Lora* lora_;
  model::Lora lora_grads_;
  uint64_t seed_;
  bool checkpointing_;
  OptimizerTensors tensors_;
  AdamW optimizer_;
  std::map<std::pair<int64_t, int64_t>, std::unique_ptr<model::Activations>> acts_;
};

}  // namespace aha::train
