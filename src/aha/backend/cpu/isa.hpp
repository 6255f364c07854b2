// The instruction-set level the CPU kernels may use, found at run time (cpuid, and xgetbv for the
// registers the operating system saves), so that one binary built for the x86-64 baseline still
// runs its bf16 kernels at the machine's speed. AHA_ISA lowers the level (to compare kernels or
// to reproduce another machine's results); it never raises it.
#pragma once

#include <optional>
#include <string_view>

namespace aha::backend::cpu {

// Ordered: each level includes the ones before it.
enum class IsaLevel {
  generic,     // plain C++ loops (no x86 extension assumed)
  avx2,        // AVX2 and FMA
  avx512,      // AVX-512 F, BW, VL (with the ZMM state enabled by the OS)
  avx512bf16,  // and AVX512_BF16 (vdpbf16ps) and AVX512_VNNI (vpdpbusd)
  amx,         // and AMX-TILE with AMX-BF16, the tile data state granted by Linux
};

// The level's name as AHA_ISA spells it ("avx512bf16").
std::string_view isa_name(IsaLevel level);

// The level named `name`, or nullopt.
std::optional<IsaLevel> isa_from_name(std::string_view name);

// The highest level this CPU and operating system offer; detected once (thread-safe). For amx it
// asks Linux for the tile data state (arch_prctl ARCH_REQ_XCOMP_PERM) and settles for avx512bf16
// when refused.
IsaLevel detected_isa();

// The level AHA_ISA asks for (`env` is its value, null when unset) on a machine that offers
// `detected`: throws a bad-input Error naming AHA_ISA for an unknown name or a level above
// `detected`.
IsaLevel choose_isa(const char* env, IsaLevel detected);

// The level the kernels use: choose_isa(getenv("AHA_ISA"), detected_isa()), decided once.
IsaLevel isa_level();

}  // namespace aha::backend::cpu
