#include <gtest/gtest.h>

#include <cstring>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/gguf/dequantize.hpp"
#include "aha/io/gguf/import_model.hpp"
#include "aha/io/gguf/reader.hpp"
#include "support/temp_dir.hpp"

namespace aha::io::gguf {
namespace {

// Little-endian GGUF bytes, written by hand from the specification.
struct GgufBytes {
  std::string bytes;
  template <typename T>
  GgufBytes& put(T value) {
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes.append(raw, sizeof(T));
    return *this;
  }
  GgufBytes& str(const std::string& s) {
    put<uint64_t>(s.size());
    bytes += s;
    return *this;
  }
  GgufBytes& key(const std::string& k, ValueType t) { return str(k).put(static_cast<uint32_t>(t)); }
  GgufBytes& pad(size_t alignment) {
    bytes.append((alignment - bytes.size() % alignment) % alignment, '\0');
    return *this;
  }
};

GgufBytes header(uint64_t tensors, uint64_t kvs) {
  GgufBytes g;
  g.put<uint32_t>(kMagic).put<uint32_t>(3).put<uint64_t>(tensors).put<uint64_t>(kvs);
  return g;
}

TEST(GgufReader, reads_every_value_type_and_tensor_placement) {
  GgufBytes g = header(2, 13);
  g.key("u8", ValueType::kUint8).put<uint8_t>(200);
  g.key("i8", ValueType::kInt8).put<int8_t>(-100);
  g.key("u16", ValueType::kUint16).put<uint16_t>(60000);
  g.key("i16", ValueType::kInt16).put<int16_t>(-30000);
  g.key("u32", ValueType::kUint32).put<uint32_t>(4000000000u);
  g.key("i32", ValueType::kInt32).put<int32_t>(-2000000000);
  g.key("f32", ValueType::kFloat32).put<float>(0.25f);
  g.key("bool", ValueType::kBool).put<uint8_t>(1);
  g.key("str", ValueType::kString).str("héllo");
  g.key("u64", ValueType::kUint64).put<uint64_t>(1ull << 40);
  g.key("i64", ValueType::kInt64).put<int64_t>(-(1ll << 40));
  g.key("f64", ValueType::kFloat64).put<double>(-1.5);
  g.key("words", ValueType::kArray).put<uint32_t>(8).put<uint64_t>(2).str("a").str("bc");
  g.str("w").put<uint32_t>(2).put<uint64_t>(2).put<uint64_t>(3).put<uint32_t>(0).put<uint64_t>(32);
  g.str("v").put<uint32_t>(1).put<uint64_t>(4).put<uint32_t>(1).put<uint64_t>(0);
  g.pad(32);
  for (uint16_t h : {0x3C00, 0x4000, 0xC200, 0x0000}) g.put<uint16_t>(h);  // v: f16 1, 2, -3, 0
  g.pad(32);
  for (int i = 0; i < 6; ++i) g.put<float>(static_cast<float>(i) - 2.5f);  // w: [3, 2] as ne = {2, 3}

  test::TempDir dir;
  const std::string path = dir.file("all.gguf");
  write_file_atomic(path, g.bytes);
  const GgufFile f(path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.integer("u8"), 200);
  EXPECT_EQ(f.integer("i8"), -100);
  EXPECT_EQ(f.integer("u16"), 60000);
  EXPECT_EQ(f.integer("i16"), -30000);
  EXPECT_EQ(f.integer("u32"), 4000000000ll);
  EXPECT_EQ(f.integer("i32"), -2000000000);
  EXPECT_EQ(f.number("f32"), 0.25);
  EXPECT_EQ(f.boolean("bool"), true);
  EXPECT_EQ(f.string("str"), "héllo");
  EXPECT_EQ(f.integer("u64"), 1ll << 40);
  EXPECT_EQ(f.integer("i64"), -(1ll << 40));
  EXPECT_EQ(f.number("f64"), -1.5);
  EXPECT_EQ(*f.strings("words"), (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(f.integer("absent"), std::nullopt);
  EXPECT_THROW(f.integer("str"), Error);

  const TensorInfo* w = f.find_tensor("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w->bytes, 24u);
  float last;
  std::memcpy(&last, w->data + 20, 4);
  EXPECT_EQ(last, 2.5f);
  const TensorInfo* v = f.find_tensor("v");
  std::vector<float> out(4);
  dequantize_row(v->type, v->data, 4, out.data());
  EXPECT_EQ(out, (std::vector<float>{1, 2, -3, 0}));
}

TEST(GgufReader, hf_tensor_reverses_ggml_dims_into_rows_by_columns) {
  GgufBytes g = header(1, 0);
  g.str("token_embd.weight").put<uint32_t>(2).put<uint64_t>(2).put<uint64_t>(3).put<uint32_t>(0).put<uint64_t>(0);
  g.pad(32);
  for (int i = 0; i < 6; ++i) g.put<float>(static_cast<float>(i));
  test::TempDir dir;
  const std::string path = dir.file("embed.gguf");
  write_file_atomic(path, g.bytes);
  const GgufFile f(path);
  const tensor::Tensor t = hf_tensor(f, "model.embed_tokens.weight");
  EXPECT_EQ(t.shape(), (tensor::Shape{3, 2}));
  EXPECT_EQ(t.to_f32(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(gguf_tensor_name("model.layers.12.mlp.down_proj.weight"), "blk.12.ffn_down.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.0.self_attn.k_norm.weight"), "blk.0.attn_k_norm.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.0.unknown.weight"), std::nullopt);
}

// Blocks worked out by hand from ggml's block layouts (f16 0x3C00 = 1, 0x3800 = 0.5, 0x4000 = 2,
// 0x3400 = 0.25).
TEST(GgufDequantize, hand_computed_blocks) {
  uint8_t q8[34] = {0x00, 0x38};  // d = 0.5
  q8[2] = static_cast<uint8_t>(-3), q8[3 + 30] = 7;
  std::vector<float> y(256);
  dequantize_row(TensorType::kQ8_0, q8, 32, y.data());
  EXPECT_EQ(y[0], -1.5f);
  EXPECT_EQ(y[31], 3.5f);
  EXPECT_EQ(y[1], 0.0f);

  uint8_t q4[18] = {0x00, 0x40};  // d = 2
  q4[2] = 0x1F;                   // x[0] = (15 - 8) * 2, x[16] = (1 - 8) * 2
  std::fill(q4 + 3, q4 + 18, 0x88);
  dequantize_row(TensorType::kQ4_0, q4, 32, y.data());
  EXPECT_EQ(y[0], 14.0f);
  EXPECT_EQ(y[16], -14.0f);
  EXPECT_EQ(y[1], 0.0f);

  uint8_t k4[144] = {0x00, 0x3C, 0x00, 0x38};  // d = 1, dmin = 0.5
  uint8_t* scales = k4 + 4;
  scales[0] = 2, scales[4] = 4;  // sub-block 0: scale 2, min 4
  scales[1] = 0x40;              // sub-block 1: scale 0; its top bits give sub-block 5's scale 16 + ...
  scales[9] = 0x31;              // ... 1 = 17, and min 3
  k4[16] = 0x07;                 // x[0]: q = 7 -> 1 * 2 * 7 - 0.5 * 4 = 12
  k4[16 + 64] = 0xA0;            // x[160] (sub-block 5, high nibbles of the third 32 bytes): q = 10
  dequantize_row(TensorType::kQ4_K, k4, 256, y.data());
  EXPECT_EQ(y[0], 12.0f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[160], 17.0f * 10.0f - 1.5f);
  EXPECT_EQ(y[32], 0.0f);  // sub-block 1: scale 0, min 0

  uint8_t k6[210] = {};
  k6[208] = 0x00, k6[209] = 0x34;  // d = 0.25
  int8_t* sc = reinterpret_cast<int8_t*>(k6 + 192);
  sc[0] = 3, sc[14] = -2;
  k6[0] = 0x05, k6[128] = 0x02;   // x[0]: q = 5 | 2 << 4 = 37 -> 0.25 * 3 * (37 - 32)
  k6[96] = 0xF0, k6[160] = 0xC0;  // x[224]: q = 15 | 3 << 4 = 63 -> 0.25 * -2 * 31
  dequantize_row(TensorType::kQ6_K, k6, 256, y.data());
  EXPECT_EQ(y[0], 3.75f);
  EXPECT_EQ(y[224], -15.5f);
  EXPECT_EQ(y[1], 0.25f * 3 * -32);
}

}  // namespace
}  // namespace aha::io::gguf
