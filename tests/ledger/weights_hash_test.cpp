// The weights' hash: the documented byte records hashed with OpenSSL's one-shot SHA256 as the
// reference; independence from file layout and metadata; a flipped byte changes one tensor.
#include "aha/ledger/weights_hash.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "aha/base/json.hpp"
#include "aha/base/sha256.hpp"
#include "aha/io/safetensors.hpp"
#include "support/temp_dir.hpp"

namespace aha::ledger {
namespace {

std::string reference_hex(const std::string& bytes) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", d[i]);
  return hex;
}

std::map<std::string, tensor::Tensor> two_tensors() {
  return {{"b.weight", tensor::Tensor::from_f32({2}, {1.0f, -2.0f})},
          {"a.bias", tensor::Tensor::from_f32({1, 1}, {0.5f})}};
}

TEST(Sha256, matches_the_fips_test_vector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(WeightsHash, hashes_name_dtype_shape_and_bytes_in_name_order) {
  const auto tensors = two_tensors();
  // Records written out by hand: name NUL dtype NUL shape NUL u64le(nbytes) bytes.
  const float half = 0.5f, b[2] = {1.0f, -2.0f};
  std::string a_rec = std::string("a.bias") + '\0' + "F32" + '\0' + "1,1" + '\0' +
                      std::string("\x04\0\0\0\0\0\0\0", 8) + std::string(reinterpret_cast<const char*>(&half), 4);
  std::string b_rec = std::string("b.weight") + '\0' + "F32" + '\0' + "2" + '\0' +
                      std::string("\x08\0\0\0\0\0\0\0", 8) + std::string(reinterpret_cast<const char*>(b), 8);
  const WeightsHash h = hash_tensors(tensors);
  EXPECT_EQ(h.tensors.at("a.bias"), reference_hex(a_rec));
  EXPECT_EQ(h.tensors.at("b.weight"), reference_hex(b_rec));
  EXPECT_EQ(h.sha256, reference_hex(a_rec + b_rec));
  EXPECT_EQ(h.parameters, 3);
}

TEST(WeightsHash, does_not_depend_on_sharding_or_metadata) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("one"));
  std::filesystem::create_directories(dir.file("sharded"));
  const auto tensors = two_tensors();
  const std::string config =
      R"({"model_type": "llama", "hidden_size": 2, "num_hidden_layers": 1, "num_attention_heads": 1, "num_key_value_heads": 1, "vocab_size": 2, "intermediate_size": 1, "max_position_embeddings": 8})";
  test::write_text(dir.file("one/config.json"), config);
  test::write_text(dir.file("sharded/config.json"), config);
  io::write_safetensors(dir.file("one/model.safetensors"), tensors, {{"format", "pt"}});
  io::write_safetensors(dir.file("sharded/model-00001-of-00002.safetensors"), {{"a.bias", tensors.at("a.bias")}},
                        {{"x", "y"}});
  io::write_safetensors(dir.file("sharded/model-00002-of-00002.safetensors"), {{"b.weight", tensors.at("b.weight")}});
  test::write_text(
      dir.file("sharded/model.safetensors.index.json"),
      Json{{"weight_map",
            {{"a.bias", "model-00001-of-00002.safetensors"}, {"b.weight", "model-00002-of-00002.safetensors"}}}}
          .dump());
  EXPECT_EQ(hash_model_dir(dir.file("one")).sha256, hash_tensors(tensors).sha256);
  EXPECT_EQ(hash_model_dir(dir.file("sharded")).sha256, hash_tensors(tensors).sha256);
}

TEST(WeightsHash, one_changed_value_changes_that_tensor_only) {
  auto tensors = two_tensors();
  const WeightsHash before = hash_tensors(tensors);
  tensors["b.weight"] = tensor::Tensor::from_f32({2}, {1.0f, -2.5f});
  const WeightsHash after = hash_tensors(tensors);
  EXPECT_NE(before.sha256, after.sha256);
  EXPECT_NE(before.tensors.at("b.weight"), after.tensors.at("b.weight"));
  EXPECT_EQ(before.tensors.at("a.bias"), after.tensors.at("a.bias"));
  // A different shape with the same bytes is a different tensor.
  tensors["b.weight"] = tensor::Tensor::from_f32({1, 2}, {1.0f, -2.0f});
  EXPECT_NE(hash_tensors(tensors).tensors.at("b.weight"), before.tensors.at("b.weight"));
}

}  // namespace
}  // namespace aha::ledger
