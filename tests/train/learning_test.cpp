// From scratch, a small model on the built-in arithmetic corpus learns: its held-out loss falls
// well below the corpus's unigram entropy.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "aha/tasks/arithmetic_text.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "aha/train/trainer.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

// Entropy in nats of the token distribution of `texts`, each followed by EOS.
double unigram_entropy(const std::vector<std::string>& texts, const tokenizer::Tokenizer& tok) {
  std::map<int32_t, double> counts;
  double total = 0;
  for (const std::string& text : texts) {
    for (int32_t id : tok.encode(text)) counts[id] += 1, total += 1;
    counts[256] += 1, total += 1;
  }
  double h = 0;
  for (const auto& [id, n] : counts) h -= n / total * std::log(n / total);
  return h;
}

// 300 arithmetic texts from a seed the training never draws, as an eval file in `dir`.
std::string write_held_out_texts(const test::TempDir& dir) {
  const std::string path = dir.file("eval.jsonl");
  std::string eval;
  for (const std::string& t : tasks::arithmetic_texts(999, 300)) eval += Json{{"text", t}}.dump() + "\n";
  test::write_text(path, eval);
  return path;
}

TEST(Training, held_out_loss_falls_30_percent_below_unigram_entropy) {
  test::TempDir dir;
  const std::string eval_path = write_held_out_texts(dir);
  const std::string config_path = testing::write_arithmetic_config(
      dir.path().string(),
      "dataset_num_examples: 20000\nmax_steps: 300\nwarmup_ratio: 0.1\nlr_scheduler_type: cosine\n"
      "logging_steps: 50\nsave_steps: 1000\neval_steps: 300\neval_dataset_path: " +
          eval_path + "\n");
  const TrainConfig config = load_train_config(config_path, TrainMode::pretrain, {});
  run_training(config, {});

  const auto tok = tokenizer::Tokenizer::load(dir.file("tokenizer.json"));
  const double entropy = unigram_entropy(tasks::arithmetic_texts(3, 20000), tok);
  double eval_loss = NAN;
  for (const Json& line : testing::read_json_lines(dir.file("out/metrics.jsonl")))
    if (line.contains("eval_loss")) eval_loss = line["eval_loss"].get<double>();
  RecordProperty("unigram_entropy", std::to_string(entropy));
  RecordProperty("eval_loss", std::to_string(eval_loss));
  EXPECT_GT(entropy, 2.0);
  EXPECT_LT(eval_loss, 0.7 * entropy) << "entropy " << entropy;
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/model.safetensors")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/checkpoint-300/trainer_state.json")));
}

// Mixed precision learns as fp32 does: the arithmetic example (examples/arithmetic/pretrain.yaml,
// 400 steps) with bf16: true ends within 2% of the fp32 run's held-out loss.
TEST(Training, bf16_pretrain_of_the_arithmetic_example_ends_within_2_percent_of_fp32) {
  test::TempDir dir;
  const std::string eval_path = write_held_out_texts(dir);
  const std::string example = std::string(AHA_SOURCE_DIR) + "/examples/arithmetic/";
  auto held_out_loss = [&](const std::string& bf16) {
    const std::string out = dir.file("out-" + bf16);
    const TrainConfig config = load_train_config(
        example + "pretrain.yaml", TrainMode::pretrain,
        {"model_config=" + example + "config.json", "tokenizer=" + example + "tokenizer.json", "output_dir=" + out,
         "eval_dataset_path=" + eval_path, "eval_steps=400", "save_steps=1000", "bf16=" + bf16});
    run_training(config, {});
    double loss = NAN;
    for (const Json& line : testing::read_json_lines(out + "/metrics.jsonl"))
      if (line.contains("eval_loss")) loss = line["eval_loss"].get<double>();
    return loss;
  };
  const double fp32 = held_out_loss("false"), bf16 = held_out_loss("true");
  RecordProperty("eval_loss_fp32", std::to_string(fp32));
  RecordProperty("eval_loss_bf16", std::to_string(bf16));
  EXPECT_LT(fp32, 0.5 * std::log(258.0));  // it learned: half the loss of a uniform guess over the vocabulary
  EXPECT_NE(bf16, fp32);                   // the bf16 run is another run
  EXPECT_LT(std::fabs(bf16 - fp32), 0.02 * fp32) << "fp32 " << fp32 << ", bf16 " << bf16;
}

}  // namespace
}  // namespace aha::train
