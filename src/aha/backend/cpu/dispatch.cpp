#include "aha/backend/cpu/dispatch.hpp"

// The avx512 copy is built on x86-64 only (CMakeLists.txt).
namespace aha::backend::cpu {

const Ops& cpu_ops_for(IsaLevel level) {
#if defined(__x86_64__)
  if (level >= IsaLevel::avx512) return avx512::fp32_ops();
#endif
  (void)level;
  return avx2::fp32_ops();
}

double fma_chains_for(IsaLevel level, int64_t steps, float* sink) {
#if defined(__x86_64__)
  if (level >= IsaLevel::avx512) return avx512::fma_chains(steps, sink);
#endif
  (void)level;
  return avx2::fma_chains(steps, sink);
}

}  // namespace aha::backend::cpu

namespace aha::backend {

const Ops& cpu_ops() {
  // Chosen once. A bad AHA_ISA throws from isa_level(), and again at the next call.
  static const Ops& table = cpu::cpu_ops_for(cpu::isa_level());
  return table;
}

}  // namespace aha::backend
