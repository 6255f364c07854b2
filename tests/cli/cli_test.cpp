// The command-line contract: exit codes, one-line errors, --help, --version, aha logits.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "aha/backend/cpu/isa.hpp"
#include "aha/io/safetensors.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha {
namespace {

using test::run_aha;

// Exactly one line on stderr, containing `needle`, and exit status 2.
void expect_usage_error(const test::RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(Cli, version_prints_version_and_commit) {
  auto r = run_aha("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("aha 0."), std::string::npos);
  EXPECT_NE(r.out.find("commit "), std::string::npos);
}

TEST(Cli, version_names_the_bf16_kernel_level_that_aha_isa_can_lower) {
  auto r = test::run_shell("AHA_ISA=generic " AHA_BINARY " --version");
  EXPECT_EQ(r.first, 0) << r.second;
  EXPECT_NE(r.second.find("bf16 kernels: generic"), std::string::npos) << r.second;
  r = test::run_shell("AHA_ISA=sse2 " AHA_BINARY " --version");
  EXPECT_EQ(r.first, 2) << r.second;
  EXPECT_EQ(std::count(r.second.begin(), r.second.end(), '\n'), 1) << r.second;
  EXPECT_NE(r.second.find("AHA_ISA"), std::string::npos) << r.second;
  if (backend::cpu::detected_isa() < backend::cpu::IsaLevel::amx) {
    r = test::run_shell("AHA_ISA=amx " AHA_BINARY " --version");
    EXPECT_EQ(r.first, 2) << r.second;
    EXPECT_NE(r.second.find("AHA_ISA=amx"), std::string::npos) << r.second;
  }
}

TEST(Cli, every_command_has_help_and_threads) {
  auto top = run_aha("--help");
  EXPECT_EQ(top.status, 0);
  EXPECT_NE(top.out.find("logits"), std::string::npos);
  auto r = run_aha("logits --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--threads"), std::string::npos);
  EXPECT_NE(r.out.find("--model"), std::string::npos);
}

TEST(Cli, unknown_command_and_flag_are_one_line_exit_2) {
  expect_usage_error(run_aha("frobnicate"), "unknown command 'frobnicate'");
  expect_usage_error(run_aha("logits --bogus"), "unknown option or argument '--bogus'");
  expect_usage_error(run_aha("--bogus"), "'--bogus'");
  expect_usage_error(run_aha("logits --model x --ids 1"), "--out is required");
  expect_usage_error(run_aha("logits --model x --ids 1 --out y --threads 0"), "--threads");
}

TEST(Cli, logits_writes_t_by_vocab_f32) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_llama_config(), 7);
  const std::string out = dir.file("logits.safetensors");
  auto r = run_aha("logits --model " + dir.path().string() + " --ids 1,2,3 --out " + out + " --threads 1");
  ASSERT_EQ(r.status, 0) << r.err;
  io::SafetensorsFile f(out);
  tensor::Tensor t = f.get("logits");
  EXPECT_EQ(t.dtype(), tensor::DType::F32);
  EXPECT_EQ(t.shape(), (tensor::Shape{3, 64}));
}

// --dtype on a BF16 checkpoint: auto keeps bf16 (the same bits as bfloat16), float32 differs
// from it by at most the bf16 rounding of the activations (DecoderBf16 derives the bound).
TEST(Cli, logits_dtype_auto_keeps_bf16_and_float32_is_close) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_llama_config(), 7, tensor::DType::BF16);
  auto logits = [&](const std::string& dtype) {
    const std::string out = dir.file(dtype + ".safetensors");
    const std::string flag = dtype.empty() ? "" : " --dtype " + dtype;
    auto r = run_aha("logits --model " + dir.path().string() + " --ids 1,2,3,4 --out " + out + flag);
    EXPECT_EQ(r.status, 0) << r.err;
    return io::SafetensorsFile(out).get("logits").to_f32();
  };
  const std::vector<float> automatic = logits(""), bf16 = logits("bfloat16"), fp32 = logits("float32");
  EXPECT_EQ(automatic, bf16);
  ASSERT_EQ(fp32.size(), bf16.size());
  float scale = 0, worst = 0;
  for (size_t i = 0; i < fp32.size(); ++i) {
    scale = std::max(scale, std::fabs(fp32[i]));
    worst = std::max(worst, std::fabs(fp32[i] - bf16[i]));
  }
  EXPECT_GT(worst, 0.0f);
  EXPECT_LE(worst, 0.02f * scale);
  expect_usage_error(run_aha("logits --model " + dir.path().string() + " --ids 1 --out x --dtype half"),
                     "--dtype: dtype 'half' is not one of auto, float32, bfloat16");
}

TEST(Cli, bad_model_input_is_one_line_naming_the_file) {
  test::TempDir dir;
  const std::string d = dir.path().string(), out = dir.file("o.safetensors");
  test::write_tiny_model(d, test::tiny_llama_config(), 8);
  expect_usage_error(run_aha("logits --model " + d + " --ids 1,64 --out " + out), "outside the vocabulary");
  expect_usage_error(run_aha("logits --model " + d + " --ids 1,x --out " + out), "--ids: 'x' is not a token id");
  expect_usage_error(run_aha("logits --model " + d + " --ids 1,-3 --out " + out), "--ids");
  // Truncate the weights: the header now points past the end.
  std::filesystem::resize_file(d + "/model.safetensors", 200);
  expect_usage_error(run_aha("logits --model " + d + " --ids 1 --out " + out), d + "/model.safetensors");
  test::write_text(d + "/config.json", "{\"model_type\": ");
  expect_usage_error(run_aha("logits --model " + d + " --ids 1 --out " + out), d + "/config.json: not valid JSON");
  expect_usage_error(run_aha("logits --model /nonexistent --ids 1 --out " + out), "/nonexistent");
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace aha
