// The fp32 kernels of backend/cpu/ are compiled once per ISA level (CMakeLists.txt): with the
// build's baseline (x86-64-v3: AVX2 and FMA) into namespace cpu::avx2, and on x86-64 a second
// time, with AHA_CPU_AVX512 defined, into namespace cpu::avx512, where what stands between
// AHA_CPU_TARGET_BEGIN and AHA_CPU_TARGET_END is compiled for AVX-512 F, BW and VL. dispatch.cpp
// picks one copy by isa_level() at run time. The copies compute the same bits: simd.hpp's
// F32x16 is two AVX2 registers in one and an AVX-512 register in the other, lane for lane alike.
//
// A kernel source includes its headers first and puts only its own definitions between the
// markers: an inline function or template of another header compiled there would be an AVX-512
// copy that the linker may hand to every caller, also on machines without AVX-512.
//
// Code outside the copies that includes a kernel's header (the sampler and the SIMD tests use
// simd.hpp) sees the avx2 copy, as cpu::name; code that wants the level in use calls the kernels
// through the op table (dispatch.hpp).
#pragma once

#if defined(AHA_CPU_AVX512)
#define AHA_CPU_LEVEL_NS avx512
#if defined(__clang__)
#define AHA_CPU_TARGET_BEGIN \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx512bw,avx512vl\"))), apply_to = function)")
#define AHA_CPU_TARGET_END _Pragma("clang attribute pop")
#else
#define AHA_CPU_TARGET_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512vl\")")
#define AHA_CPU_TARGET_END _Pragma("GCC pop_options")
#endif
#else
#define AHA_CPU_LEVEL_NS avx2
#define AHA_CPU_TARGET_BEGIN
#define AHA_CPU_TARGET_END
#endif

namespace aha::backend::cpu {
namespace AHA_CPU_LEVEL_NS {}
// cpu::name is this translation unit's copy of name.
using namespace AHA_CPU_LEVEL_NS;
}  // namespace aha::backend::cpu
