// Token embedding lookup.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// tokens (rows), table (vocab, dim) -> out (rows, dim); ids must already be checked < vocab.
void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t rows, int64_t dim);

// Backward of embedding_forward: dtable (vocab, dim) row tokens[r] += dout (rows, dim) row r,
// adding the rows in order so that repeated tokens sum deterministically.
void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t rows, int64_t dim);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
