// Test-only reference: grouped-query causal self-attention over a key/value cache, plain loops,
// forward and backward; cpu::attention_flash_forward/backward are compared with it.
#pragma once

#include <cstdint>

namespace aha::backend::cpu::reference {

// q (rows, heads, head_dim); k, v (ctx, kv_heads, head_dim) -> out (rows, heads, head_dim).
// Query row r sits at position past + r and attends to cache positions 0 ..= past + r;
// query head h reads key/value head h / (heads / kv_heads). Scores are scaled by 1/sqrt(head_dim).
void attention_forward(float* out, const float* q, const float* k, const float* v, int64_t rows, int64_t past,
                       int64_t heads, int64_t kv_heads, int64_t head_dim);

// Backward of attention_forward, recomputing the softmax from q and k: dout (rows, heads, head_dim)
// -> dq (rows, heads, head_dim) +=, dk, dv (past + rows, kv_heads, head_dim) +=. Any of dq, dk, dv
// may be nullptr. Every sum runs in a fixed order, independent of the thread count.
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                        const float* v, int64_t rows, int64_t past, int64_t heads, int64_t kv_heads, int64_t head_dim);

}  // namespace aha::backend::cpu::reference
