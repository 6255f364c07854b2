#include "aha/backend/cpu/isa.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>

#include "aha/base/error.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace aha::backend::cpu {
namespace {

constexpr std::array<std::string_view, 5> kIsaNames = {"generic", "avx2", "avx512", "avx512bf16", "amx"};

#if defined(__x86_64__)

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r;
  if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx)) return {};
  return r;
}

bool bit(uint32_t reg, int n) { return (reg >> n) & 1u; }

// XCR0: the register states the OS saves on a context switch; a unit is usable only when its
// state is among them. Reading it needs OSXSAVE, checked by the caller.
uint64_t xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// Linux hands out the 8 KB tile data state only to processes that ask (since 5.16); without it
// the first tile instruction kills the process.
bool linux_grants_tile_data() {
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

IsaLevel detect() {
  const CpuidRegs leaf1 = cpuid(1, 0);
  const bool osxsave = bit(leaf1.ecx, 27), avx = bit(leaf1.ecx, 28), fma = bit(leaf1.ecx, 12);
  if (!osxsave || !avx || !fma) return IsaLevel::generic;
  const uint64_t xcr = xcr0();
  const CpuidRegs leaf7 = cpuid(7, 0);
  if ((xcr & 0x6) != 0x6 || !bit(leaf7.ebx, 5)) return IsaLevel::generic;  // XMM, YMM; AVX2
  // Opmask, upper ZMM0-15, ZMM16-31; AVX512 F, BW, VL.
  if ((xcr & 0xe0) != 0xe0 || !bit(leaf7.ebx, 16) || !bit(leaf7.ebx, 30) || !bit(leaf7.ebx, 31)) return IsaLevel::avx2;
  // AVX512_BF16, and AVX512_VNNI, which every CPU with it has (the q8_0 product's vpdpbusd).
  if (leaf7.eax < 1 || !bit(cpuid(7, 1).eax, 5) || !bit(leaf7.ecx, 11)) return IsaLevel::avx512;
  // AMX-BF16 and AMX-TILE, their config and data states enabled by the OS, then Linux's grant.
  const bool amx = bit(leaf7.edx, 22) && bit(leaf7.edx, 24) && (xcr & 0x60000) == 0x60000;
  if (!amx || !linux_grants_tile_data()) return IsaLevel::avx512bf16;
  return IsaLevel::amx;
}

#else

IsaLevel detect() { return IsaLevel::generic; }

#endif

}  // namespace

std::string_view isa_name(IsaLevel level) { return kIsaNames[static_cast<size_t>(level)]; }

std::optional<IsaLevel> isa_from_name(std::string_view name) {
  for (size_t i = 0; i < kIsaNames.size(); ++i)
    if (kIsaNames[i] == name) return static_cast<IsaLevel>(i);
  return std::nullopt;
}

IsaLevel detected_isa() {
  static const IsaLevel level = detect();
  return level;
}

IsaLevel choose_isa(const char* env, IsaLevel detected) {
  if (!env) return detected;
  const std::optional<IsaLevel> wanted = isa_from_name(env);
  if (!wanted)
    fail("AHA_ISA: expected generic, avx2, avx512, avx512bf16 or amx, got '{}' (this CPU has {})", env,
         isa_name(detected));
  if (*wanted > detected)
    fail("AHA_ISA={}: this CPU (and operating system) offers only up to {}; AHA_ISA can lower the level, not raise it",
         env, isa_name(detected));
  return *wanted;
}

IsaLevel isa_level() {
  // A bad AHA_ISA throws from the initialiser, which then runs again (and throws again) next call.
  static const IsaLevel level = choose_isa(std::getenv("AHA_ISA"), detected_isa());
  return level;
}

}  // namespace aha::backend::cpu
