#include "aha/tensor/embedding.hpp"

#include <cstring>

namespace aha::tensor {

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t rows,
                       int64_t dim) {
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(out + r * dim, table + static_cast<int64_t>(tokens[r]) * dim,
                static_cast<size_t>(dim) * sizeof(float));
}

}  // namespace aha::tensor
