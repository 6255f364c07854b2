// A two-stage lineage built once for the provenance, verify and card tests: pretraining on the
// built-in arithmetic task, then SFT on a JSONL file with a DATASET.yaml sidecar. The tokenizer
// comes with a tokenizer_config.json holding a chat template, which both models carry.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "aha/base/json.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::compliance::testing {

struct TwoStageLineage {
  static constexpr const char* kChatTemplate = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}";
  test::TempDir dir;
  std::string pretrained, sft_model, sft_data;

  TwoStageLineage() {
    const std::string root = dir.path().string();
    const std::string config = train::testing::write_arithmetic_config(root, "max_steps: 3\nsave_steps: 3\n", 32);
    test::write_text(root + "/tokenizer_config.json", Json{{"chat_template", kChatTemplate}}.dump());
    run_or_throw("pretrain --threads 2 --config " + config);
    pretrained = root + "/out";
    std::string data;
    for (int a = 0; a < 20; ++a)
      data += Json{{"prompt", std::to_string(a) + "+1="}, {"completion", std::to_string(a + 1)}}.dump() + "\n";
    std::filesystem::create_directories(root + "/data");
    sft_data = root + "/data/sft.jsonl";
    test::write_text(sft_data, data);
    test::write_text(root + "/data/DATASET.yaml",
                     "name: successor-sums\nsource: written for this test\nlicense: CC0-1.0\nlanguage: en\n"
                     "content_type: text\ncategory: public\n");
    test::write_text(root + "/sft.yaml",
                     fmt::format("model_name_or_path: {}\ndataset_path: {}\noutput_dir: {}/sft_out\nmax_length: 16\n"
                                 "per_device_train_batch_size: 4\nmax_steps: 2\nsave_steps: 2\nlearning_rate: 1e-3\n",
                                 pretrained, sft_data, root));
    run_or_throw("sft --threads 2 --config " + root + "/sft.yaml");
    sft_model = root + "/sft_out";
  }

  static void run_or_throw(const std::string& args) {
    const test::RunResult r = test::run_aha(args);
    if (r.status != 0) throw std::runtime_error("aha " + args + " failed: " + r.err);
  }

  // A copy of the sft model directory under a new name (what a user does when shipping it).
  std::string copy_model(const std::string& name) const {
    const std::string to = dir.file(name);
    std::filesystem::copy(sft_model, to, std::filesystem::copy_options::recursive);
    return to;
  }

  // The shared lineage, built on first use.
  static TwoStageLineage& get() {
    static std::unique_ptr<TwoStageLineage> instance = std::make_unique<TwoStageLineage>();
    return *instance;
  }
};

}  // namespace aha::compliance::testing
