// The AdamW optimizer and global gradient-norm clipping, computed as torch.optim.AdamW and
// torch.nn.utils.clip_grad_norm_ compute them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace aha::train {

// AdamW hyperparameters under the Hugging Face Trainer's names.
struct AdamWOptions {
  double learning_rate = 1e-3;  // the step's rate; a schedule changes it between steps
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double weight_decay = 0.0;  // decoupled: applied as values *= 1 - learning_rate · weight_decay
};

// One tensor the optimizer updates in place from its gradient.
struct ParamSlot {
  std::span<float> values;
  std::span<const float> grads;  // as many elements as values
  bool decay = true;             // false for norms and biases: no weight decay
};

class AdamW {
 public:
  // Zero moments for tensors of the given element counts, at step 0.
  explicit AdamW(const std::vector<int64_t>& sizes);

  // One update of every tensor; params[i] must have sizes[i] elements.
  void step(std::span<const ParamSlot> params, const AdamWOptions& options);

  // Steps taken so far (torch's "step").
  int64_t steps() const { return steps_; }
  // Restores the step count (for resuming from a checkpoint).
  void set_steps(int64_t steps) { steps_ = steps; }
  // First moment of tensor i (torch's "exp_avg"), for checkpoints.
  std::vector<float>& exp_avg(size_t i) { return exp_avg_[i]; }
  // Second moment of tensor i (torch's "exp_avg_sq"), for checkpoints.
  std::vector<float>& exp_avg_sq(size_t i) { return exp_avg_sq_[i]; }

 private:
  int64_t steps_ = 0;
  std::vector<std::vector<float>> exp_avg_, exp_avg_sq_;
};

// The L2 norm of all gradients together; when it exceeds max_norm every gradient is scaled by
// max_norm / (norm + 1e-6), as torch.nn.utils.clip_grad_norm_. Returns the norm before clipping.
double clip_grad_norm(std::span<const std::span<float>> grads, double max_norm);

}  // namespace aha::train
