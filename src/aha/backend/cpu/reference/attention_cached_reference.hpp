// Test-only reference: the plain attention of query rows against key/value caches (each row may
// belong to a different sequence, as in batched decode, or to the same one, as in prefill), which
// the fast cpu::attention_cached_forward and the training attention are compared with.
#pragma once

#include <cstdint>

namespace aha::backend::cpu::reference {

// q (rows, heads, head_dim); row r attends to keys[r] and values[r], each (lengths[r], kv_heads,
// head_dim) -> out (rows, heads, head_dim). Causality is the caller's: lengths[r] is the number
// of positions row r may see, its own included. Query head h reads kv head h / (heads / kv_heads);
// scores are scaled by 1/sqrt(head_dim).
void attention_cached_forward(float* out, const float* q, const float* const* keys, const float* const* values,
                              const int64_t* lengths, int64_t rows, int64_t heads, int64_t kv_heads, int64_t head_dim);

}  // namespace aha::backend::cpu::reference
