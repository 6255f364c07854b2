// The scalars of one AdamW step (torch.optim.AdamW), shared by every tensor it updates.
#pragma once

namespace aha::backend {

// The scalars of one AdamW step, shared by every tensor of the step.
struct AdamWStep {
  float beta1, beta2;
  float step_size;   // learning_rate / (1 − β1^t)
  float bias2_sqrt;  // sqrt(1 − β2^t)
  float eps;
  float decay;  // 1 − learning_rate · weight_decay, or 1 without decay
};

}  // namespace aha::backend
