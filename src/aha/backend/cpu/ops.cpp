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
#include "aha/backend/cpu/gemm_bf16.hpp"
#include "aha/backend/cpu/gemm_q8.hpp"
#include "aha/backend/cpu/matmul.hpp"
#include "aha/backend/cpu/matmul_bf16.hpp"
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

// A linear weight W (out, in) in bf16, packed for the bf16 GEMM.
struct PackedLinearBf16 final : PreparedLayout {
  cpu::PackedBf16 packed;
  std::unique_ptr<PreparedLayout> clone() const override { return std::make_unique<PackedLinearBf16>(*this); }
};

// A linear weight W (out, in) in q8_0, packed for the q8_0 product.
struct PackedLinearQ8 final : PreparedLayout {
  cpu::PackedQ8 packed;
  std::unique_ptr<PreparedLayout> clone() const override { return std::make_unique<PackedLinearQ8>(*this); }
};

// prepared's layout as a `Layout`, made anew when it holds another kind (its memory is reused
// otherwise); sets the sizes and the bias.
template <class Layout>
Layout& reuse_layout(PreparedLinear& prepared, const float* bias, int64_t in, int64_t out_dim) {
  auto* layout = dynamic_cast<Layout*>(prepared.layout.get());
  if (!layout) {
    prepared.layout = std::make_unique<Layout>();
    layout = static_cast<Layout*>(prepared.layout.get());
  }
  prepared.in = in, prepared.out = out_dim;
  if (bias) prepared.bias.assign(bias, bias + out_dim);
  else prepared.bias.clear();
  return *layout;
}

void linear_prepare(PreparedLinear& prepared, const float* weight, const float* bias, int64_t in, int64_t out_dim) {
  cpu::pack_panels(reuse_layout<PackedLinear>(prepared, bias, in, out_dim).panels, {weight, 1, in}, in, out_dim);
}

void linear_prepare_bf16(PreparedLinear& prepared, const uint16_t* weight, const float* bias, int64_t in,
                         int64_t out_dim) {
  cpu::pack_bf16_weight(reuse_layout<PackedLinearBf16>(prepared, bias, in, out_dim).packed, weight, in, out_dim);
}

void linear_prepare_bf16_transposed(PreparedLinear& prepared, const uint16_t* weight, int64_t in, int64_t out_dim) {
  cpu::pack_bf16_transposed(reuse_layout<PackedLinearBf16>(prepared, nullptr, out_dim, in).packed, weight, in, out_dim);
}

void linear_prepare_rounded(PreparedLinear& prepared, const float* weight, int64_t in, int64_t out_dim,
                            bool transposed) {
  const int64_t k = transposed ? out_dim : in, n = transposed ? in : out_dim;
  const cpu::MatrixView view = transposed ? cpu::MatrixView{weight, 1, in} : cpu::MatrixView{weight, in, 1};
  cpu::pack_bf16_rounded(reuse_layout<PackedLinearBf16>(prepared, nullptr, k, n).packed, view, k, n);
}

void linear_prepare_q8_0(PreparedLinear& prepared, const float* weight, const float* bias, int64_t in,
                         int64_t out_dim) {
  cpu::pack_q8_weight(reuse_layout<PackedLinearQ8>(prepared, bias, in, out_dim).packed, weight, in, out_dim);
}

void linear_prepare_q8_0_blocks(PreparedLinear& prepared, const uint8_t* blocks, const float* bias, int64_t in,
                                int64_t out_dim) {
  cpu::pack_q8_blocks(reuse_layout<PackedLinearQ8>(prepared, bias, in, out_dim).packed, blocks, in, out_dim);
}

void linear_forward_prepared(float* out, const float* inp, const PreparedLinear& w, int64_t rows) {
  const float* bias = w.bias.empty() ? nullptr : w.bias.data();
  if (const auto* packed = dynamic_cast<const PackedLinear*>(w.layout.get()))
    return cpu::matmul_forward_packed(out, inp, packed->panels, bias, rows);
  if (const auto* q8 = dynamic_cast<const PackedLinearQ8*>(w.layout.get())) {
    cpu::gemm_q8(out, inp, q8->packed, rows);
    if (bias)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < w.out; ++j) out[i * w.out + j] += bias[j];
    return;
  }
  cpu::matmul_forward_bf16_packed(out, inp, static_cast<const PackedLinearBf16&>(*w.layout).packed, bias, rows);
}

void linear_prepared_rows(float* out, const int32_t* ids, const PreparedLinear& w, int64_t rows) {
  if (const auto* q8 = dynamic_cast<const PackedLinearQ8*>(w.layout.get()))
    return cpu::unpack_q8_rows(out, q8->packed, ids, rows);
  const auto* packed = dynamic_cast<const PackedLinear*>(w.layout.get());
  if (!packed) return cpu::unpack_bf16_rows(out, static_cast<const PackedLinearBf16&>(*w.layout).packed, ids, rows);
  for (int64_t r = 0; r < rows; ++r) {  // element (k, j) of B = Wᵀ: panel j / 32, row k, column j % 32
    const float* column = packed->panels.panel(ids[r] / cpu::kPanelWidth) + ids[r] % cpu::kPanelWidth;
    for (int64_t k = 0; k < w.in; ++k) out[r * w.in + k] = column[k * cpu::kPanelWidth];
  }
}

const Ops kCpu = {
    "cpu",
    cpu::matmul_forward,
    cpu::matmul_backward,
    cpu::matmul_forward_bf16,
    cpu::matmul_backward_bf16,
    linear_prepare,
    linear_prepare_bf16,
    linear_prepare_bf16_transposed,
    linear_prepare_rounded,
    linear_prepare_q8_0,
    linear_prepare_q8_0_blocks,
    linear_forward_prepared,
    linear_prepared_rows,
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
