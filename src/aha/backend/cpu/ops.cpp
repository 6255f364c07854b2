// The CPU backend's op table: the kernels of backend/cpu/, and linear's packed weight layout.
// Compiled once per ISA level, like the kernels (level.hpp); dispatch.cpp chooses the table.
#include "aha/backend/ops.hpp"

#include "aha/backend/cpu/adamw.hpp"
#include "aha/backend/cpu/attention_cached.hpp"
#include "aha/backend/cpu/attention_flash.hpp"
#include "aha/backend/cpu/cross_entropy.hpp"
#include "aha/backend/cpu/dispatch.hpp"
#include "aha/backend/cpu/embedding.hpp"
#include "aha/backend/cpu/geglu.hpp"
#include "aha/backend/cpu/gemm.hpp"
#include "aha/backend/cpu/matmul.hpp"
#include "aha/backend/cpu/rmsnorm.hpp"
#include "aha/backend/cpu/rope.hpp"
#include "aha/backend/cpu/swiglu.hpp"

namespace aha::backend {
namespace {

// A linear weight W (out, in) packed as B = Wᵀ (in, out) in the GEMM's panels.
struct PackedLinear final : PreparedLayout {
  cpu::PackedPanels panels;
  std::unique_ptr<PreparedLayout> clone() const override { return std::make_unique<PackedLinear>(*this); }
};

void linear_prepare(PreparedLinear& prepared, const float* weight, const float* bias, int64_t in, int64_t out_dim) {
  auto* packed = dynamic_cast<PackedLinear*>(prepared.layout.get());
  if (!packed) {
    prepared.layout = std::make_unique<PackedLinear>();
    packed = static_cast<PackedLinear*>(prepared.layout.get());
  }
  cpu::pack_panels(packed->panels, {weight, 1, in}, in, out_dim);
  prepared.in = in, prepared.out = out_dim;
  if (bias) prepared.bias.assign(bias, bias + out_dim);
  else prepared.bias.clear();
}

void linear_forward_prepared(float* out, const float* inp, const PreparedLinear& w, int64_t rows) {
  const auto& packed = static_cast<const PackedLinear&>(*w.layout);
  cpu::matmul_forward_packed(out, inp, packed.panels, w.bias.empty() ? nullptr : w.bias.data(), rows);
}

const Ops kCpu = {
    "cpu",
    cpu::matmul_forward,
    cpu::matmul_backward,
    linear_prepare,
    linear_forward_prepared,
    cpu::rmsnorm_forward,
    cpu::rmsnorm_backward,
    cpu::rope_forward,
    cpu::rope_backward,
    cpu::rope_forward_table,
    cpu::rope_backward_table,
    cpu::attention_flash_forward,
    cpu::attention_flash_backward,
    cpu::attention_cached_forward,
    cpu::swiglu_forward,
    cpu::swiglu_backward,
    cpu::geglu_forward,
    cpu::geglu_backward,
    cpu::embedding_forward,
    cpu::embedding_backward,
    cpu::cross_entropy_forward,
    cpu::cross_entropy_backward,
    cpu::cross_entropy_fused,
    cpu::cross_entropy_and_entropy,
    cpu::adamw_update,
};

}  // namespace

const Ops& cpu::AHA_CPU_LEVEL_NS::fp32_ops() { return kCpu; }

}  // namespace aha::backend
