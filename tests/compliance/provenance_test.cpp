// provenance.json after pretrain then sft: datasets fingerprinted, lineage embedded, weights
// hashes consistent with the safetensors metadata, estimates as documented.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "aha/base/error.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/ledger/weights_hash.hpp"
#include "tests/compliance/lineage_fixture.hpp"

namespace aha::compliance {
namespace {

using testing::TwoStageLineage;

std::string file_sha256(const std::string& path) {
  const std::string bytes = train::testing::slurp(path);
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", d[i]);
  return hex;
}

TEST(Provenance, pretraining_records_the_generator_config_and_estimates) {
  const auto& l = TwoStageLineage::get();
  const Json p = ledger::read_provenance(l.pretrained);
  EXPECT_EQ(p["run"]["kind"], "pretrain");
  EXPECT_TRUE(p["base_model"].is_null());
  ASSERT_EQ(p["run"]["datasets"].size(), 1u);
  const Json& g = p["run"]["datasets"][0];
  EXPECT_EQ(g["kind"], "generator");
  EXPECT_EQ(g["generator"], "equations");
  EXPECT_EQ(g["seed"], 3);
  EXPECT_EQ(g["records"], 10000);  // dataset_num_examples' default
  EXPECT_EQ(p["run"]["seed"], 3);
  EXPECT_EQ(p["run"]["config"]["max_steps"], 3);
  EXPECT_EQ(p["run"]["hardware"]["threads_used"], 2);
  // 3 steps of 8 packed 64-token blocks.
  EXPECT_EQ(p["run"]["tokens_processed"], 3 * 8 * 64);
  const double params = p["weights"]["parameters"].get<double>();
  EXPECT_DOUBLE_EQ(p["run"]["estimated_training_flops"]["value"].get<double>(), 6.0 * params * 3 * 8 * 64);
  EXPECT_NE(p["run"]["estimated_energy_kwh"]["method"].get<std::string>().find("estimate"), std::string::npos);
  // The weights' hash is also in the safetensors metadata, and matches a fresh hash.
  const io::SafetensorsFile st(l.pretrained + "/model.safetensors");
  EXPECT_EQ(st.metadata().at(ledger::kWeightsMetadataKey), p["weights"]["sha256"]);
  EXPECT_EQ(ledger::hash_model_dir(l.pretrained).sha256, p["weights"]["sha256"]);
  EXPECT_EQ(ledger::record_sha256(p), p["record_sha256"]);
}

TEST(Provenance, sft_fingerprints_its_file_and_embeds_the_base_models_provenance) {
  const auto& l = TwoStageLineage::get();
  const Json p = ledger::read_provenance(l.sft_model);
  EXPECT_EQ(p["run"]["kind"], "sft");
  ASSERT_EQ(p["run"]["datasets"].size(), 1u);
  const Json& d = p["run"]["datasets"][0];
  EXPECT_EQ(d["path"], l.sft_data);
  EXPECT_EQ(d["sha256"], file_sha256(l.sft_data));
  EXPECT_EQ(d["bytes"], train::testing::slurp(l.sft_data).size());
  EXPECT_EQ(d["records"], 20);
  EXPECT_EQ(d["declared"]["license"], "CC0-1.0");
  EXPECT_EQ(d["declared"]["category"], "public");
  const Json base = ledger::read_provenance(l.pretrained);
  EXPECT_EQ(p["base_model"]["weights_sha256"], base["weights"]["sha256"]);
  EXPECT_EQ(p["base_model"]["provenance"], base);
  // 2 steps of 4 examples of at most 16 tokens ("19+1=" "20" EOS is the longest: 8 bytes).
  EXPECT_GE(p["run"]["tokens_processed"].get<int64_t>(), 2 * 4 * 6);
  EXPECT_LE(p["run"]["tokens_processed"].get<int64_t>(), 2 * 4 * 8);
}

TEST(Provenance, a_sidecar_with_an_unknown_key_is_bad_input_naming_it) {
  test::TempDir dir;
  test::write_text(dir.file("d.jsonl"), "{\"text\": \"1+1=2\"}\n");
  test::write_text(dir.file("d.jsonl.DATASET.yaml"), "licence: MIT\n");
  try {
    ledger::fingerprint_file(dir.file("d.jsonl"), "train", 1, 6);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("unknown key 'licence'"), std::string::npos) << e.what();
  }
}

// Found by the provenance fuzzer: a "format" of another type is bad input, not a JSON type error.
TEST(Provenance, a_format_that_is_not_a_string_is_bad_input_naming_it) {
  for (const char* doc : {R"({"format": null})", R"({"format": 1})", R"({"format": ["aha-provenance"]})"}) {
    try {
      ledger::check_provenance(Json::parse(doc), "provenance.json");
      FAIL() << doc << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input) << doc;
      EXPECT_NE(std::string(e.what()).find("'format' must be \"aha-provenance\""), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace aha::compliance
