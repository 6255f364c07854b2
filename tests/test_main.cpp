#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "aha/backend/cpu/isa.hpp"

namespace {

// The exit status CTest counts as skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt).
constexpr int kSkipped = 77;

// AHA_ISA names a level above this CPU's: the run at that level (tests/CMakeLists.txt) is skipped.
bool above_this_cpu(const char* isa) {
  using namespace aha::backend::cpu;
  const std::optional<IsaLevel> wanted = isa ? isa_from_name(isa) : std::nullopt;
  if (!wanted || *wanted <= detected_isa()) return false;
  std::printf("AHA_ISA=%s: this CPU offers only %s; skipped\n", isa, std::string(isa_name(detected_isa())).c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (above_this_cpu(std::getenv("AHA_ISA"))) return kSkipped;
  return RUN_ALL_TESTS();
}
