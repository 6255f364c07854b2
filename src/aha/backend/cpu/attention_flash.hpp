// Grouped-query causal self-attention for training, as FlashAttention organises it: the forward
// keeps only each query row's log-sum-exp, and the backward recomputes the probabilities from it.
// Vectorised over keys (scores) and over head_dim (weighted sums), threaded over (sequence, KV
// head). attention_forward / attention_backward (attention.hpp) are the plain versions that tests
// compare these with.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// `batch` sequences of `seq` rows at positions 0 .. seq-1: q (batch·seq, heads, head_dim);
// k, v (batch·seq, kv_heads, head_dim) -> out (batch·seq, heads, head_dim) and lse (batch·seq,
// heads) = log Σ_(t <= r) exp(scale·q_r·k_t), scale = 1/sqrt(head_dim). Query head h reads KV head
// h / (heads / kv_heads). Results do not depend on the thread count.
void attention_flash_forward(float* out, float* lse, const float* q, const float* k, const float* v, int64_t batch,
                             int64_t seq, int64_t heads, int64_t kv_heads, int64_t head_dim);

// Backward of attention_flash_forward from its out and lse: dout (batch·seq, heads, head_dim) ->
// dq (batch·seq, heads, head_dim) +=, dk, dv (batch·seq, kv_heads, head_dim) +=. Each KV head's
// gradients are summed by one thread in a fixed order: results do not depend on the thread count.
void attention_flash_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                              const float* q, const float* k, const float* v, int64_t batch, int64_t seq, int64_t heads,
                              int64_t kv_heads, int64_t head_dim);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
