// aha merge writes provenance.json (kind "merge", the adapter and the base as references with their
// hashes), so aha verify and aha card accept a merged model and its lineage names both; a LoRA
// adapter's card names its base model and PEFT as its library.
#include <gtest/gtest.h>

#include "aha/base/file.hpp"
#include "aha/ledger/weights_hash.hpp"
#include "tests/compliance/lineage_fixture.hpp"

namespace aha::compliance {
namespace {

using testing::TwoStageLineage;
namespace fs = std::filesystem;

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A LoRA adapter trained with aha sft on a copy of the lineage's pretrained model.
struct Adapter {
  std::string base, adapter;
  explicit Adapter(const std::string& name) {
    auto& l = TwoStageLineage::get();
    base = l.dir.file(name + "_base");
    adapter = l.dir.file(name + "_adapter");
    fs::copy(l.pretrained, base, fs::copy_options::recursive);
    const std::string config = l.dir.file(name + "_lora.yaml");
    test::write_text(config,
                     fmt::format("model_name_or_path: {}\ndataset_path: {}\noutput_dir: {}\nmax_length: 16\n"
                                 "per_device_train_batch_size: 4\nmax_steps: 1\nlearning_rate: 1e-3\nuse_peft: true\n"
                                 "lora_r: 2\n",
                                 base, l.sft_data, adapter));
    TwoStageLineage::run_or_throw("sft --threads 2 --config " + config);
  }
};

TEST(Merge, a_merged_model_verifies_and_its_card_names_the_adapter_and_the_base) {
  const Adapter a("merge");
  const std::string merged = TwoStageLineage::get().dir.file("merged");
  test::RunResult r = test::run_aha("merge --adapter " + a.adapter + " --out " + merged);
  ASSERT_EQ(r.status, 0) << r.err;

  const Json doc = read_json_file(merged + "/provenance.json");
  EXPECT_EQ(doc["run"]["kind"], "merge");
  EXPECT_EQ(doc["weights"]["sha256"], ledger::hash_model_dir(merged).sha256);
  ASSERT_EQ(doc["run"]["adapters"].size(), 1u);
  const Json& adapter_ref = doc["run"]["adapters"][0];
  EXPECT_EQ(adapter_ref["path"], a.adapter);
  EXPECT_EQ(adapter_ref["weights_sha256"], ledger::hash_model_dir(a.adapter).sha256);
  EXPECT_EQ(adapter_ref["provenance"], read_json_file(a.adapter + "/provenance.json"));
  EXPECT_EQ(doc["base_model"]["path"], a.base);
  EXPECT_EQ(doc["base_model"]["weights_sha256"], ledger::hash_model_dir(a.base).sha256);
  EXPECT_EQ(doc["base_model"]["provenance"], read_json_file(a.base + "/provenance.json"));

  r = test::run_aha("verify --strict --model " + merged);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(mentions(r.out, "ok           record this model > adapter " + a.adapter + ": sft run")) << r.out;
  EXPECT_TRUE(mentions(r.out, "ok           record this model > adapter " + a.adapter + " base: trained on")) << r.out;
  EXPECT_TRUE(mentions(r.out, "ok           record this model > base " + a.base + ": pretrain run")) << r.out;

  r = test::run_aha("card --model " + merged);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string card = train::testing::slurp(merged + "/README.md");
  EXPECT_TRUE(mentions(card, "Merged from the LoRA adapter " + a.adapter)) << card;
  EXPECT_TRUE(mentions(card, "into the base model " + a.base)) << card;
  EXPECT_TRUE(mentions(card, "library_name: transformers")) << card;
  // The lineage, oldest first: the base's pretraining, the adapter's SFT, the merge; counted once each.
  const Json summary = read_json_file(merged + "/training_summary.json");
  const Json& methods = summary["annex_xi"]["training_method"];
  ASSERT_EQ(methods.size(), 3u) << methods.dump();
  EXPECT_EQ(methods[0]["kind"], "pretrain");
  EXPECT_EQ(methods[1]["kind"], "sft");
  EXPECT_EQ(methods[2]["kind"], "merge");
}

TEST(Merge, an_adapter_merged_into_another_base_than_it_was_trained_on_fails_verify) {
  const Adapter a("rebased");
  // Other weights under the base's name, then the merge.
  fs::remove_all(a.base);
  fs::copy(TwoStageLineage::get().sft_model, a.base, fs::copy_options::recursive);
  const std::string merged = TwoStageLineage::get().dir.file("rebased_merged");
  ASSERT_EQ(test::run_aha("merge --adapter " + a.adapter + " --out " + merged).status, 0);
  const test::RunResult r = test::run_aha("verify --model " + merged);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(mentions(r.out, "DIFFERS      record this model > adapter " + a.adapter + " base: trained on")) << r.out;
}

TEST(Card, an_adapters_card_names_its_base_model_and_peft) {
  const Adapter a("card");
  const test::RunResult r = test::run_aha("card --model " + a.adapter);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string card = train::testing::slurp(a.adapter + "/README.md");
  EXPECT_TRUE(mentions(card, "\nbase_model: " + Json(a.base).dump() + "\n")) << card;
  EXPECT_TRUE(mentions(card, "\nlibrary_name: peft\n")) << card;
  EXPECT_FALSE(mentions(card, "transformers")) << card;
  // The architecture is the base model's.
  const Json summary = read_json_file(a.adapter + "/training_summary.json");
  EXPECT_EQ(summary["annex_xi"]["architecture"]["model_type"], "llama") << summary["annex_xi"].dump();
}

}  // namespace
}  // namespace aha::compliance
