// aha verify and aha card on a pretrain -> sft lineage: copies verify, flipped bytes are named,
// bad provenance and provider files are exit 2, the summary names exactly what touched the model.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/compliance/lineage_fixture.hpp"

namespace aha::compliance {
namespace {

using testing::TwoStageLineage;
namespace fs = std::filesystem;

// Flips the bits of the byte `from_end` bytes before the end of `path`.
void flip_byte(const std::string& path, std::streamoff from_end) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(-from_end, std::ios::end);
  const char c = static_cast<char>(f.get());
  f.seekp(-from_end, std::ios::end);
  f.put(static_cast<char>(~c));
}

TEST(Verify, a_trained_model_verifies_also_after_copying_it_elsewhere) {
  auto& l = TwoStageLineage::get();
  const test::RunResult r = test::run_aha("verify --model " + l.sft_model);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verified: 0 differ, 0 not checked"), std::string::npos) << r.out;
  const std::string copy = l.copy_model("shipped");
  const test::RunResult c = test::run_aha("verify --strict --model " + copy);
  EXPECT_EQ(c.status, 0) << c.out << c.err;
}

TEST(Verify, a_flipped_weight_byte_fails_naming_the_tensor) {
  auto& l = TwoStageLineage::get();
  const std::string copy = l.copy_model("flipped_weight");
  // The last bytes of the file belong to the tensor sorted last by name.
  flip_byte(copy + "/model.safetensors", 1);
  const test::RunResult r = test::run_aha("verify --model " + copy);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("DIFFERS      tensor model.norm.weight"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("tensor model.embed_tokens.weight"), std::string::npos) << r.out;
}

TEST(Verify, an_edited_lineage_record_fails_naming_it) {
  auto& l = TwoStageLineage::get();
  const std::string copy = l.copy_model("edited_record");
  Json p = Json::parse(train::testing::slurp(copy + "/provenance.json"));
  p["base_model"]["provenance"]["run"]["tokens_processed"] = 1;
  test::write_text(copy + "/provenance.json", p.dump(2));
  const test::RunResult r = test::run_aha("verify --model " + copy);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("DIFFERS      record this model > base " + l.pretrained + ":"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DIFFERS      record this model:"), std::string::npos) << r.out;
}

TEST(Verify, missing_or_malformed_provenance_is_exit_2) {
  auto& l = TwoStageLineage::get();
  const std::string copy = l.copy_model("bad_provenance");
  test::write_text(copy + "/provenance.json", "{\"format\": \"aha-provenance\", \"weights\": 3");
  test::RunResult r = test::run_aha("verify --model " + copy);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(copy + "/provenance.json"), std::string::npos) << r.err;
  test::write_text(copy + "/provenance.json",
                   "{\"format\": \"aha-provenance\", \"record_sha256\": \"x\", \"weights\": 3}");
  r = test::run_aha("verify --model " + copy);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("'weights' must be an object"), std::string::npos) << r.err;
  fs::remove(copy + "/provenance.json");
  r = test::run_aha("verify --model " + copy);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no provenance.json"), std::string::npos) << r.err;
}

TEST(Card, the_summary_names_every_dataset_and_generator_of_the_lineage_and_nothing_else) {
  auto& l = TwoStageLineage::get();
  const std::string copy = l.copy_model("carded");
  test::write_text(copy + "/provider.yaml", "provider_name: Example Labs\nlicense: apache-2.0\n");
  const test::RunResult r = test::run_aha("card --model " + copy);
  ASSERT_EQ(r.status, 0) << r.err;
  const Json s = Json::parse(train::testing::slurp(copy + "/training_summary.json"));
  const Json& src = s["2_data_sources"];
  ASSERT_EQ(src["2_1_public_datasets"].size(), 1u);
  EXPECT_EQ(src["2_1_public_datasets"][0]["name"], "successor-sums");
  EXPECT_EQ(src["2_1_public_datasets"][0]["license"], "CC0-1.0");
  ASSERT_EQ(src["2_5_synthetic"].size(), 1u);
  EXPECT_EQ(src["2_5_synthetic"][0]["generator"], "equations");
  for (const char* empty : {"2_2_private_third_party", "2_3_crawled", "2_4_user_data", "2_6_other"})
    EXPECT_TRUE(src[empty].empty()) << empty;
  EXPECT_TRUE(s["2_5_distillation_teachers"].empty());
  const Json& size = s["1_general_information"]["1_3_modalities_and_size"];
  const int64_t tokens =
      src["2_1_public_datasets"][0]["tokens"].get<int64_t>() + src["2_5_synthetic"][0]["tokens"].get<int64_t>();
  EXPECT_EQ(size["training_tokens"], tokens);
  EXPECT_EQ(size["size_bin"], "Less than 1 billion tokens");
  EXPECT_EQ(s["1_general_information"]["1_1_provider"]["name"], "Example Labs");
  EXPECT_EQ(s["1_general_information"]["1_1_provider"]["contact"], "[to be completed by the provider]");
  EXPECT_EQ(s["annex_xi"]["training_method"].size(), 2u);
  EXPECT_EQ(s["annex_xi"]["training_method"][0]["kind"], "pretrain");

  const std::string card = train::testing::slurp(copy + "/README.md");
  EXPECT_EQ(card.rfind("---\nlicense: \"apache-2.0\"\n", 0), 0u) << card;
  EXPECT_NE(card.find("datasets:\n- \"aha built-in task 'equations' v1\"\n- \"successor-sums\"\n"), std::string::npos)
      << card;
  const std::string md = train::testing::slurp(copy + "/TRAINING_SUMMARY.md");
  EXPECT_NE(md.find("### 2.3 Data crawled and scraped from online sources\n\nNone recorded"), std::string::npos) << md;
}

TEST(Card, eval_results_under_the_model_go_into_the_model_index) {
  auto& l = TwoStageLineage::get();
  const std::string copy = l.copy_model("evaluated");
  fs::create_directories(copy + "/eval/gsm8k");
  test::write_text(copy + "/eval/gsm8k/summary.json",
                   R"({"name": "gsm8k", "reward": "accuracy", "samples": 4, "metrics": {"pass@1": 0.25}})");
  ASSERT_EQ(test::run_aha("card --model " + copy).status, 0);
  const std::string card = train::testing::slurp(copy + "/README.md");
  EXPECT_NE(
      card.find("model-index:\n- name: \"evaluated\"\n  results:\n  - task:\n      type: text-generation\n"
                "    dataset:\n      name: \"gsm8k\"\n      type: \"gsm8k\"\n    metrics:\n    - type: \"pass@1\"\n"
                "      value: 0.25\n"),
      std::string::npos)
      << card;
}

TEST(Card, an_existing_readme_is_left_alone_without_overwrite_and_replaced_with_it) {
  auto& l = TwoStageLineage::get();
  const std::string copy = l.copy_model("has_readme");
  const std::string readme = "# My model\n\nWritten by hand.\n";
  test::write_text(copy + "/README.md", readme);
  const auto mtime = fs::last_write_time(copy + "/README.md");
  const test::RunResult r = test::run_aha("card --model " + copy);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(copy + ": README.md already there"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(train::testing::slurp(copy + "/README.md"), readme);
  EXPECT_EQ(fs::last_write_time(copy + "/README.md"), mtime);
  EXPECT_FALSE(fs::exists(copy + "/TRAINING_SUMMARY.md"));  // all three or nothing
  EXPECT_FALSE(fs::exists(copy + "/training_summary.json"));

  const test::RunResult o = test::run_aha("card --overwrite --model " + copy);
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(train::testing::slurp(copy + "/README.md").rfind("---\n", 0), 0u);
  // A second card without --overwrite finds all three.
  const test::RunResult again = test::run_aha("card --model " + copy);
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("README.md, TRAINING_SUMMARY.md, training_summary.json already there"), std::string::npos)
      << again.err;
}

TEST(Card, provider_yaml_with_an_unknown_key_is_exit_2_naming_it) {
  auto& l = TwoStageLineage::get();
  const std::string copy = l.copy_model("bad_provider");
  test::write_text(copy + "/provider.yaml", "provider_name: X\nprovider_contakt: x@example.com\n");
  const test::RunResult r = test::run_aha("card --model " + copy);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown key 'provider_contakt' (did you mean 'provider_contact'?)"), std::string::npos)
      << r.err;
}

// Runs last in the suite: it edits the shared dataset in place (and restores it).
TEST(Verify, zz_a_changed_or_absent_dataset_is_named_and_strict_fails_absent_ones) {
  auto& l = TwoStageLineage::get();
  const std::string original = train::testing::slurp(l.sft_data);
  flip_byte(l.sft_data, 3);
  test::RunResult r = test::run_aha("verify --model " + l.sft_model);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("DIFFERS      dataset " + l.sft_data + ":"), std::string::npos) << r.out;
  fs::rename(l.sft_data, l.sft_data + ".moved");
  r = test::run_aha("verify --model " + l.sft_model);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("not checked  dataset " + l.sft_data + ": not found"), std::string::npos) << r.out;
  r = test::run_aha("verify --strict --model " + l.sft_model);
  EXPECT_EQ(r.status, 1) << r.out;
  fs::rename(l.sft_data + ".moved", l.sft_data);
  test::write_text(l.sft_data, original);
  EXPECT_EQ(test::run_aha("verify --model " + l.sft_model).status, 0);
}

}  // namespace
}  // namespace aha::compliance

namespace aha::compliance {
namespace {

TEST(Card, a_distilled_dataset_names_its_teacher_and_verify_checks_the_teachers_record) {
  auto& l = TwoStageLineage::get();
  // Data "generated" by the pretrained model, its sidecar embedding that model's provenance.
  const std::string folder = l.dir.file("distilled");
  fs::create_directories(folder);
  std::string data;
  for (int a = 0; a < 8; ++a)
    data += Json{{"prompt", std::to_string(a) + "*2="}, {"completion", std::to_string(2 * a)}}.dump() + "\n";
  test::write_text(folder + "/train.jsonl", data);
  const Json teacher = Json::parse(train::testing::slurp(l.pretrained + "/provenance.json"));
  test::write_text(folder + "/DATASET.yaml",
                   "name: doubled\nlicense: CC0-1.0\nlanguage: en\ncontent_type: text\n"
                   "generated_by: tiny-teacher\nteacher_provenance: " +
                       teacher.dump() + "\n");
  test::write_text(l.dir.file("distill_sft.yaml"),
                   fmt::format("model_name_or_path: {}\ndataset_path: {}/train.jsonl\noutput_dir: {}\nmax_length: 16\n"
                               "per_device_train_batch_size: 4\nmax_steps: 1\nlearning_rate: 1e-3\n",
                               l.sft_model, folder, l.dir.file("student")));
  ASSERT_EQ(test::run_aha("sft --threads 2 --config " + l.dir.file("distill_sft.yaml")).status, 0);
  const test::RunResult v = test::run_aha("verify --model " + l.dir.file("student"));
  EXPECT_EQ(v.status, 0) << v.out;
  EXPECT_NE(v.out.find("ok           record this model > teacher of dataset " + folder + "/train.jsonl: pretrain run"),
            std::string::npos)
      << v.out;
  ASSERT_EQ(test::run_aha("card --model " + l.dir.file("student")).status, 0);
  const Json s = Json::parse(train::testing::slurp(l.dir.file("student/training_summary.json")));
  ASSERT_EQ(s["2_data_sources"]["2_5_synthetic"].size(), 2u);  // the distilled file and the arithmetic generator
  EXPECT_EQ(s["2_data_sources"]["2_5_synthetic"][0]["name"], "doubled");
  EXPECT_EQ(s["2_data_sources"]["2_5_synthetic"][0]["generating_model"], "tiny-teacher");
  ASSERT_EQ(s["2_5_distillation_teachers"].size(), 1u);
  EXPECT_EQ(s["2_5_distillation_teachers"][0]["weights_sha256"], teacher["weights"]["sha256"]);
  EXPECT_EQ(s["2_data_sources"]["2_1_public_datasets"].size(), 1u);  // successor-sums, from the sft stage
  EXPECT_EQ(s["annex_xi"]["training_method"].size(), 3u);
}

}  // namespace
}  // namespace aha::compliance
