// The copies of the fp32 kernels, one per ISA level (level.hpp), as code outside them reaches
// them: each copy's op table, and its fused multiply-add loop for the benches' fp32 peak.
#pragma once

#include <cstdint>

#include "aha/backend/cpu/isa.hpp"
#include "aha/backend/ops.hpp"

namespace aha::backend::cpu {

namespace avx2 {
// This copy's op table (ops.cpp).
const Ops& fp32_ops();
// Independent fused multiply-add chains of F32x16 for `steps` steps, as many as hide the FMA
// latency in this copy's registers; returns the FLOPs done, and leaves a lane of their sum in
// *sink so that the loop is kept.
double fma_chains(int64_t steps, float* sink);
}  // namespace avx2

namespace avx512 {
const Ops& fp32_ops();
double fma_chains(int64_t steps, float* sink);
}  // namespace avx512

// The fp32 op table of `level`: the avx512 copy from avx512 up, the avx2 copy below (a build for
// the x86-64-v3 baseline runs nowhere below avx2). Every level's table gives the same bits.
const Ops& cpu_ops_for(IsaLevel level);

// fma_chains of the copy cpu_ops_for(level) uses.
double fma_chains_for(IsaLevel level, int64_t steps, float* sink);

}  // namespace aha::backend::cpu
