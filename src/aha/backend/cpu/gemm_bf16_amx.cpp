// The amx level of gemm_bf16: tiles of 16 rows x 64 bytes. A tile of A is 16 rows x 32 bf16 of
// k; a tile of B is 16 pairs of k x 16 columns, each row the columns' (w[j][2q], w[j][2q+1])
// pairs, which is how PackedBf16 stores a panel's half (rows 128 bytes apart); TDPBF16PS adds
// A·B into a tile of 16 x 16 fp32 sums. Four sum tiles (32 x 32), two of A and two of B use
// all eight tiles.
//
// Untested on the machine this was written on (it has no AMX): tests/backend/gemm_bf16_test.cpp
// checks this level against the reference wherever detected_isa() reaches amx.
#if defined(__x86_64__)

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "aha/backend/cpu/gemm_bf16_kernels.hpp"

// The tile instructions name their tiles in the instruction, so they are macros (or templates);
// unlike GCC's _tile_loadd and _tile_stored, these tell the compiler that memory is read or
// written.
#define AHA_TILE_LOAD(t, base, stride)                                                   \
  __asm__ volatile("{tileloadd (%0,%1,1), %%tmm" #t "|tileloadd %%tmm" #t ", [%0+%1*1]}" \
                   :                                                                     \
                   : "r"(base), "r"(static_cast<long>(stride))                           \
                   : "memory")
#define AHA_TILE_ZERO(t) __asm__ volatile("tilezero %%tmm" #t ::)
// c += a · b
#define AHA_TILE_DPBF16PS(c, a, b)                                                                                 \
  __asm__ volatile("{tdpbf16ps %%tmm" #b ", %%tmm" #a ", %%tmm" #c "|tdpbf16ps %%tmm" #c ", %%tmm" #a ", %%tmm" #b \
                   "}" ::)

namespace aha::backend::cpu::bf16 {
namespace {

constexpr int kTileRows = 16;
constexpr int kTileBytes = 64;

// Stores tile t to base, rows stride bytes apart.
template <int t>
__attribute__((target("amx-tile"))) void store_tile(void* base, int64_t stride) {
  __asm__ volatile("{tilestored %%tmm%c2, (%0,%1,1)|tilestored [%0+%1*1], %%tmm%c2}"
                   :
                   : "r"(base), "r"(static_cast<long>(stride)), "i"(t)
                   : "memory");
}

// LDTILECFG's operand (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};  // bytes per row of each tile
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

// Tiles 0-3 sums, 4-5 A, 6-7 B: all 16 rows x 64 bytes. The configuration belongs to the
// calling thread.
__attribute__((target("amx-tile"))) void configure_tiles() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) config.colsb[t] = kTileBytes, config.rows[t] = kTileRows;
  __asm__ volatile("ldtilecfg %0" : : "m"(config) : "memory");
}

// Stores sum tile `t` (rows r0.., columns c0.. of a 32 x 32 tile at c) when any of it lies within
// rows x width: straight into C when whole, else through a buffer.
template <int t>
__attribute__((target("amx-tile"))) void store_sums(float* c, int64_t ldc, int r0, int c0, int rows, int64_t width) {
  const int tile_rows = std::min(kTileRows, rows - r0), tile_cols = static_cast<int>(std::min<int64_t>(16, width - c0));
  if (tile_rows <= 0 || tile_cols <= 0) return;
  float* dst = c + r0 * ldc + c0;
  if (tile_rows == kTileRows && tile_cols == 16) {
    store_tile<t>(dst, ldc * static_cast<int64_t>(sizeof(float)));
    return;
  }
  alignas(64) float buf[kTileRows * 16];
  store_tile<t>(buf, kTileBytes);
  for (int r = 0; r < tile_rows; ++r) std::memcpy(dst + r * ldc, buf + r * 16, tile_cols * sizeof(float));
}

// Sums of `rows` (1..32) rows from a x 32 columns of the panel at b (all of padded k) into c.
// With one row tile the second half of A is neither read nor multiplied.
template <bool two_row_tiles>
__attribute__((target("amx-tile,amx-bf16"))) void tile_pair(const uint16_t* a, int64_t lda, const uint16_t* b,
                                                            int64_t padded_k, float* c, int64_t ldc, int rows,
                                                            int64_t width) {
  const int64_t a_stride = lda * sizeof(uint16_t), b_stride = 2 * kBf16PanelWidth * sizeof(uint16_t);
  AHA_TILE_ZERO(0);
  AHA_TILE_ZERO(1);
  if (two_row_tiles) {
    AHA_TILE_ZERO(2);
    AHA_TILE_ZERO(3);
  }
  for (int64_t k0 = 0; k0 < padded_k; k0 += kBf16Depth) {
    const uint16_t* bk = b + (k0 / 2) * 2 * kBf16PanelWidth;  // 16 pairs of k from here
    AHA_TILE_LOAD(4, a + k0, a_stride);
    AHA_TILE_LOAD(6, bk, b_stride);                    // columns 0..15
    AHA_TILE_LOAD(7, bk + kBf16PanelWidth, b_stride);  // columns 16..31
    AHA_TILE_DPBF16PS(0, 4, 6);
    AHA_TILE_DPBF16PS(1, 4, 7);
    if (two_row_tiles) {
      AHA_TILE_LOAD(5, a + kTileRows * lda + k0, a_stride);
      AHA_TILE_DPBF16PS(2, 5, 6);
      AHA_TILE_DPBF16PS(3, 5, 7);
    }
  }
  store_sums<0>(c, ldc, 0, 0, rows, width);
  store_sums<1>(c, ldc, 0, 16, rows, width);
  if (two_row_tiles) {
    store_sums<2>(c, ldc, 16, 0, rows, width);
    store_sums<3>(c, ldc, 16, 16, rows, width);
  }
}

__attribute__((target("amx-tile"))) void release_tiles() { __asm__ volatile("tilerelease" ::); }

}  // namespace

void amx_block(const Block& blk) {
  configure_tiles();
  const uint16_t* a = static_cast<const uint16_t*>(blk.a);
  const int64_t padded_k = blk.b.padded_k();
  for (int64_t p = blk.p0; p < blk.p1; ++p) {
    const int64_t col = p * kBf16PanelWidth, width = std::min(kBf16PanelWidth, blk.b.n - col);
    for (int64_t i = blk.i0; i < blk.i1; i += 2 * kTileRows) {
      const int rows = static_cast<int>(std::min<int64_t>(2 * kTileRows, blk.i1 - i));
      float* c = blk.c + i * blk.ldc + col;
      if (rows > kTileRows)
        tile_pair<true>(a + i * blk.lda, blk.lda, blk.b.panel(p), padded_k, c, blk.ldc, rows, width);
      else tile_pair<false>(a + i * blk.lda, blk.lda, blk.b.panel(p), padded_k, c, blk.ldc, rows, width);
    }
  }
  release_tiles();
}

}  // namespace aha::backend::cpu::bf16

#endif  // __x86_64__
