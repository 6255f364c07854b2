// Softmax cross-entropy of logits against target token ids, one loss per row.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// logits (rows, vocab), targets (rows) -> losses (rows) = logsumexp(logits_r) - logits_r[target_r].
// A negative target (such as Hugging Face's -100) means no target: its loss is 0. Targets must
// already be checked < vocab.
void cross_entropy_forward(float* losses, const float* logits, const int32_t* targets, int64_t rows, int64_t vocab);

// cross_entropy_forward, and entropies (rows) = the entropy of softmax(logits_r) (0 where the
// target is negative), in one pass over each row: GRPO's per-token log-probs (−loss) and entropy.
void cross_entropy_and_entropy(float* losses, float* entropies, const float* logits, const int32_t* targets,
                               int64_t rows, int64_t vocab);

// Backward of cross_entropy_forward: dlogits (rows, vocab) += dlosses_r · (softmax(logits_r) -
// onehot(target_r)). Rows with a negative target or a zero dloss are left untouched.
void cross_entropy_backward(float* dlogits, const float* dlosses, const float* logits, const int32_t* targets,
                            int64_t rows, int64_t vocab);

// cross_entropy_forward and cross_entropy_backward in one pass over each row, for the LM head:
// writes losses (rows), and overwrites logits (rows, vocab) with dlosses_r · (softmax(logits_r) -
// onehot(target_r)) (all zero where the target is negative).
void cross_entropy_fused(float* losses, float* logits, const float* dlosses, const int32_t* targets, int64_t rows,
                         int64_t vocab);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
