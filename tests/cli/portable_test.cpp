// One binary for every x86-64 with AVX2 (CMakeLists.txt builds for x86-64-v3): run by qemu-user
// as a Haswell, a CPU without AVX-512, aha finds the avx2 level and writes the logits and samples
// that it writes natively at AHA_ISA=avx2, and at the machine's own level, bit for bit. Skipped
// where qemu-x86_64 (Debian's qemu-user, see scripts/install-deps) is not installed.
#include <gtest/gtest.h>

#include <string>

#include "aha/base/file.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha {
namespace {

using test::run_shell;

const std::string kHaswell = "qemu-x86_64 -cpu Haswell ";

// `args` run by aha under `prefix` (environment, emulator); stdout into `out`, stderr dropped
// (qemu warns about the CPU features it leaves out).
void run_aha_as(const std::string& prefix, const std::string& args, const std::string& out) {
  const auto r = run_shell("(" + prefix + AHA_BINARY " " + args + " 2>/dev/null) >" + out);
  ASSERT_EQ(r.first, 0) << prefix << args << "\n" << r.second;
}

class Portable : public ::testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer's shadow memory does not map under qemu-user; the portable binary is the
    // plain build's, which the default suite checks.
    GTEST_SKIP() << "not under AddressSanitizer";
#endif
    if (run_shell("command -v qemu-x86_64 >/dev/null").first != 0)
      GTEST_SKIP() << "qemu-x86_64 is not installed (Debian package qemu-user)";
  }
};

TEST_F(Portable, a_haswell_finds_the_avx2_level) {
  test::TempDir dir;
  run_aha_as(kHaswell, "--version", dir.file("version"));
  EXPECT_NE(read_file(dir.file("version")).find("kernels: avx2"), std::string::npos) << read_file(dir.file("version"));
}

TEST_F(Portable, logits_and_samples_on_a_haswell_equal_the_native_ones_bit_for_bit) {
  for (const auto& [name, config] : test::tiny_model_variants()) {
    test::TempDir model_dir, dir;
    const std::string model = model_dir.path().string();
    test::write_tiny_model(model, config, 11);
    const std::string logits = "logits --threads 2 --model " + model + " --ids 1,5,9,3,7,2,8,4,6,1,2,3 --out ";
    const std::string sampled =
        "generate --threads 2 --model " + model + " --ids 1,2,3 --max-tokens 12 --temperature 1 --seed 7 --n 2 --json";
    for (const auto& [side, prefix] :
         {std::pair<std::string, std::string>{"haswell", kHaswell}, {"avx2", "AHA_ISA=avx2 "}, {"native", ""}}) {
      run_aha_as(prefix, logits + dir.file(side + ".safetensors"), dir.file(side + ".log"));
      run_aha_as(prefix, sampled, dir.file(side + ".jsonl"));
    }
    for (const char* side : {"avx2", "native"}) {
      EXPECT_EQ(read_file(dir.file("haswell.safetensors")), read_file(dir.file(std::string(side) + ".safetensors")))
          << name << ": logits differ from " << side;
      EXPECT_EQ(read_file(dir.file("haswell.jsonl")), read_file(dir.file(std::string(side) + ".jsonl")))
          << name << ": samples differ from " << side;
    }
  }
}

}  // namespace
}  // namespace aha
