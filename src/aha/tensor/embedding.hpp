// Token embedding lookup.
#pragma once

#include <cstdint>

namespace aha::tensor {

// tokens (rows), table (vocab, dim) -> out (rows, dim); ids must already be checked < vocab.
void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t rows,
                       int64_t dim);

}  // namespace aha::tensor
