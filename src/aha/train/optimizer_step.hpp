// The one optimizer step every trainer (pretrain, SFT, GRPO) shares: per micro-batch gradients
// added into buffers of their own, combined in the fixed tree over the micro-batches' global
// indices (dist/tree_sum.hpp) and across processes through the communicator, then global-norm
// clipping, the finiteness check and AdamW.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "aha/dist/communicator.hpp"
#include "aha/dist/tree_sum.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/model/activations.hpp"
#include "aha/model/gradients.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/training.hpp"
#include "aha/train/adamw.hpp"

namespace aha::train {

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

// What one micro-batch adds its gradients into, and the scalars it reports (scalar 0 is its
// loss; the others are sums the caller defines, e.g. token counts). All start at zero.
struct MicroBatchSums {
  model::Gradients* grads = nullptr;  // every weight's gradient (empty tensors when frozen)
  model::LoraPass pass;               // with LoRA: the adapters, their gradients, the dropout seed
  std::vector<double> scalars;
};

struct OptimizerResult {
  std::vector<double> scalars;  // the tree sums of the micro-batches' scalars over all ranks
  double grad_norm = 0.0;       // global L2 norm of the summed gradients before clipping
  bool finite = true;           // false: the loss or the norm was NaN or infinite; no update
};

class OptimizerStep {
 public:
  // Trains `weights` (kept by reference), or with `lora` only the adapters (kept by reference)
  // on frozen `weights`, their dropout drawn from the stream (seed, "lora_dropout",
  // step · micro-batches + micro-batch). Keeps activations for up to `activation_shapes`
  // (batch, seq) shapes. `comm` (kept by reference) spans the processes of the run.
  OptimizerStep(const io::ModelConfig& config, model::Weights& weights, model::Lora* lora, bool gradient_checkpointing,
                uint64_t seed, size_t activation_shapes, dist::Communicator& comm = dist::single_process());
  ~OptimizerStep();

  // Starts step `global_step` (the steps done before it) over `micro_batches` micro-batches (of
  // all ranks together), each reporting `scalars` scalars.
  void begin(int64_t global_step, int64_t micro_batches, size_t scalars);

  // Runs `compute` for micro-batch `index` (global; increasing within a step): it adds the
  // micro-batch's gradients into the sums it is given and sets their scalars.
  void accumulate(int64_t index, const std::function<void(MicroBatchSums&)>& compute);

  // Sums the micro-batches' gradients and scalars over the tree and the ranks, clips the
  // gradients to `max_grad_norm` (0: no clipping) and applies AdamW with `options`, unless the
  // loss (scalar 0) or the norm is NaN or infinite.
  OptimizerResult finish(const AdamWOptions& options, double max_grad_norm);

  // Planned activations for a (batch, seq) micro-batch, in the step's precision.
  model::Activations& activations(int64_t batch, int64_t seq);
  // Mixed precision (`bf16: true`): the passes' matrix products in bf16, from the next pass on.
  void set_bf16(bool bf16) { bf16_ = bf16; }

  // The optimizer, for checkpoints.
  AdamW& optimizer() { return optimizer_; }
  // The HF (or PEFT) names of the trained tensors, in the optimizer's order.
  const std::vector<std::string>& parameter_names() const { return tensors_.names; }
  // The gradients of the last step (after clipping), in parameter_names' order.
  const std::vector<std::span<float>>& gradients() const { return tensors_.grads; }

 private:
  struct Buffer;
  class Buffers;

  const io::ModelConfig& config_;
  model::Weights& weights_;
  model::Lora* lora_;
  uint64_t seed_;
  bool checkpointing_;
  bool bf16_ = false;
  size_t activation_shapes_;
  dist::Communicator& comm_;
  std::unique_ptr<Buffers> buffers_;  // buffer 0 holds the step's summed gradients
  OptimizerTensors tensors_;
  AdamW optimizer_;
  std::optional<dist::TreeStack> stack_;
  int64_t global_step_ = 0, micro_batches_ = 0;
  size_t scalars_ = 0;
  std::map<std::pair<int64_t, int64_t>, std::unique_ptr<model::Activations>> acts_;
};

}  // namespace aha::train
