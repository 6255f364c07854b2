#include "aha/io/safetensors.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "support/temp_dir.hpp"

namespace aha::io {
namespace {

using tensor::DType;
using tensor::Tensor;

// A safetensors file from a raw header text and `data_bytes` zero bytes of data.
std::string raw_file(const std::string& header, size_t data_bytes, uint64_t declared_len) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((declared_len >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

std::string raw_file(const std::string& header, size_t data_bytes) {
  return raw_file(header, data_bytes, header.size());
}

// The error message from opening a file with this content, or "" when it opens.
std::string open_error(const std::string& content) {
  test::TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  write_file_atomic(path, content);
  try {
    SafetensorsFile f(path);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
}

TEST(Safetensors, written_file_reads_back_bit_identically) {
  test::TempDir dir;
  std::vector<uint8_t> bf16 = {0x80, 0x3f, 0x40, 0xc0, 0xff, 0x7f};
  std::map<std::string, Tensor> in = {
      {"b.weight", Tensor::from_f32({2, 3}, {1, -2, 3.5f, 1e-30f, -0.0f, 7})},
      {"a.bias", Tensor::from_bytes(DType::BF16, {3}, bf16)},
      {"empty", Tensor::from_f32({0, 4}, {})},
      {"scalar", Tensor::from_f32({}, {42})},
  };
  write_safetensors(dir.file("x.safetensors"), in, {{"format", "pt"}});
  SafetensorsFile f(dir.file("x.safetensors"));
  EXPECT_EQ(f.metadata().at("format"), "pt");
  ASSERT_EQ(f.names().size(), in.size());
  for (const auto& [name, t] : in) {
    Tensor r = f.get(name);
    EXPECT_EQ(r.dtype(), t.dtype());
    EXPECT_EQ(r.shape(), t.shape());
    ASSERT_EQ(r.nbytes(), t.nbytes());
    if (t.nbytes() > 0) {
      EXPECT_EQ(std::memcmp(r.data(), t.data(), t.nbytes()), 0) << name;
    }
  }
  // Writing what was read gives the same file, byte for byte.
  std::map<std::string, Tensor> again;
  for (const auto& name : f.names()) again[name] = f.get(name);
  write_safetensors(dir.file("y.safetensors"), again, f.metadata());
  EXPECT_EQ(read_file(dir.file("x.safetensors")), read_file(dir.file("y.safetensors")));
  // The header is padded so the data starts 8-byte aligned.
  std::string bytes = read_file(dir.file("x.safetensors"));
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  EXPECT_EQ(len % 8, 0u);
}

TEST(Safetensors, reads_a_file_laid_out_by_the_python_library) {
  // Header as huggingface/safetensors writes it for {"w": torch.ones(2, dtype=float16)}.
  const std::string header = R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})";
  test::TempDir dir;
  std::string content = raw_file(header, 0) + std::string("\x00\x3c\x00\x3c", 4);
  write_file_atomic(dir.file("w.safetensors"), content);
  SafetensorsFile f(dir.file("w.safetensors"));
  EXPECT_EQ(f.get("w").to_f32(), (std::vector<float>{1.0f, 1.0f}));
}

TEST(Safetensors, rejects_damaged_files_with_a_clear_message) {
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(open_error(raw_file(ok, 8)), "");
  EXPECT_NE(open_error("abc").find("too short"), std::string::npos);
  EXPECT_NE(open_error(raw_file(ok, 8, 1000)).find("runs past the end"), std::string::npos);
  EXPECT_NE(open_error(raw_file(ok, 8, UINT64_MAX)).find("runs past the end"), std::string::npos);
  EXPECT_NE(open_error(raw_file("{not json", 0)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(open_error(raw_file("[1,2]", 0)).find("JSON object"), std::string::npos);
  EXPECT_NE(
      open_error(raw_file(R"({"w":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", 8)).find("unknown dtype 'F17'"),
      std::string::npos);
  EXPECT_NE(open_error(raw_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)).find("'shape'"),
            std::string::npos);
  EXPECT_NE(
      open_error(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8)).find("outside the data"),
      std::string::npos);
  EXPECT_NE(
      open_error(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)).find("outside the data"),
      std::string::npos);
  EXPECT_NE(open_error(raw_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 12)).find("needs 12"),
            std::string::npos);
  EXPECT_NE(open_error(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                12))
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(open_error(raw_file(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", 8))
                .find("too large"),
            std::string::npos);
  EXPECT_NE(open_error(raw_file(R"({"w":{"dtype":"F32","shape":[2]}})", 8)).find("data_offsets"), std::string::npos);
  EXPECT_NE(open_error(raw_file(R"({"__metadata__":{"a":1}})", 0)).find("__metadata__"), std::string::npos);
}

TEST(Safetensors, missing_tensor_names_the_file) {
  test::TempDir dir;
  write_safetensors(dir.file("x.safetensors"), {{"a", Tensor::from_f32({1}, {1})}});
  SafetensorsFile f(dir.file("x.safetensors"));
  EXPECT_THROW(f.get("b"), Error);
}

}  // namespace
}  // namespace aha::io
