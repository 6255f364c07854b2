// Attention of the decoder's query rows over their sequences' key/value caches, for inference:
// the same math as reference::attention_cached_forward (which tests pin against a
// double-precision reference), written for speed: a vectorisable exp and vector accumulation
// of the values. Each (row, head) is computed alone, so a row's result does not depend on the
// other rows of a batch or on the thread count.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// q (rows, heads, head_dim); row r attends to the first lengths[r] positions of keys[r] and
// values[r], each laid out as KVCache lays them out, (kv_heads, capacities[r], head_dim)
// -> out (rows, heads, head_dim); query head h reads kv head h / (heads / kv_heads); scores
// are scaled by 1/sqrt(head_dim).
void attention_cached_forward(float* out, const float* q, const float* const* keys, const float* const* values,
                              const int64_t* lengths, const int64_t* capacities, int64_t rows, int64_t heads,
                              int64_t kv_heads, int64_t head_dim);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
