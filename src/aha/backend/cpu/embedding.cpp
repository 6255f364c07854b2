#include "aha/backend/cpu/embedding.hpp"

#include <cstring>

#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(out + r * dim, table + static_cast<int64_t>(tokens[r]) * dim, static_cast<size_t>(dim) * sizeof(float));
}

void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t rows, int64_t dim) {
  // Each thread owns a range of columns and walks every row in order.
  parallel_for(static_cast<size_t>(dim), [&](size_t begin, size_t end) {
    for (int64_t r = 0; r < rows; ++r) {
      float* d = dtable + static_cast<int64_t>(tokens[r]) * dim;
      const float* g = dout + r * dim;
      for (size_t i = begin; i < end; ++i) d[i] += g[i];
    }
  });
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
