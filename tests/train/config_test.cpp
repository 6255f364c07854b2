// The training config: TRL key names, defaults, --set overrides, nearest-key suggestions and a
// resolved YAML that reads back to the same config.
#include "aha/train/config.hpp"

#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "support/temp_dir.hpp"

namespace aha::train {
namespace {

TEST(TrainConfig, overrides_apply_after_the_file_and_the_resolved_yaml_reads_back) {
  test::TempDir dir;
  test::write_text(dir.file("c.yaml"),
                   "model_config: m.json\ntokenizer: t.json\ndataset_task: arithmetic\noutput_dir: out\n"
                   "learning_rate: 1e-3\nmax_steps: 7\nlr_scheduler_type: cosine\n");
  const TrainConfig c =
      load_train_config(dir.file("c.yaml"), TrainMode::pretrain, {"learning_rate=2e-4", "gradient_checkpointing=true"});
  EXPECT_DOUBLE_EQ(c.learning_rate, 2e-4);
  EXPECT_EQ(c.max_steps, 7);
  EXPECT_TRUE(c.gradient_checkpointing);
  EXPECT_EQ(c.per_device_train_batch_size, 8);  // TRL's default
  test::write_text(dir.file("resolved.yaml"), to_yaml(c));
  const TrainConfig back = load_train_config(dir.file("resolved.yaml"), TrainMode::pretrain, {});
  EXPECT_EQ(to_yaml(back), to_yaml(c));
}

TEST(TrainConfig, nearest_key_is_found_by_edit_distance) {
  const std::vector<std::string> keys = {"learning_rate", "max_steps", "save_steps", "seed"};
  EXPECT_EQ(nearest_key("learning_rat", keys), "learning_rate");
  EXPECT_EQ(nearest_key("max_step", keys), "max_steps");
  EXPECT_EQ(nearest_key("completely_unrelated_key", keys), "");
}

TEST(TrainConfig, dataset_path_and_dataset_task_replace_each_other_and_the_later_wins) {
  test::TempDir dir;
  const std::string model = "model_name_or_path: m\noutput_dir: out\n";
  test::write_text(dir.file("task.yaml"), model + "dataset_task: word_problems\n");
  TrainConfig c = load_train_config(dir.file("task.yaml"), TrainMode::sft, {"dataset_path=d.jsonl"});
  EXPECT_EQ(c.dataset_path, "d.jsonl");
  EXPECT_EQ(c.dataset_task, "");
  test::write_text(dir.file("path.yaml"), model + "dataset_path: d.jsonl\n");
  c = load_train_config(dir.file("path.yaml"), TrainMode::sft, {"dataset_task=counting"});
  EXPECT_EQ(c.dataset_path, "");
  EXPECT_EQ(c.dataset_task, "counting");
  test::write_text(dir.file("both.yaml"), model + "dataset_path: d.jsonl\ndataset_task: countdown\n");
  c = load_train_config(dir.file("both.yaml"), TrainMode::sft, {});
  EXPECT_EQ(c.dataset_path, "");
  EXPECT_EQ(c.dataset_task, "countdown");
  // An empty value clears nothing: the resolved config.yaml writes both keys, one of them "".
  c = load_train_config(dir.file("path.yaml"), TrainMode::sft, {"dataset_task="});
  EXPECT_EQ(c.dataset_path, "d.jsonl");
}

TEST(TrainConfig, pretraining_takes_text_tasks_and_sft_prompt_tasks) {
  test::TempDir dir;
  const std::string model = "model_name_or_path: m\noutput_dir: out\n";
  test::write_text(dir.file("c.yaml"), model + "dataset_task: equations\n");
  EXPECT_NO_THROW(load_train_config(dir.file("c.yaml"), TrainMode::pretrain, {}));
  EXPECT_NO_THROW(load_train_config(dir.file("c.yaml"), TrainMode::pretrain, {"dataset_task=arithmetic"}));
  EXPECT_NO_THROW(load_train_config(dir.file("c.yaml"), TrainMode::sft, {"dataset_task=word_problems"}));
  EXPECT_NO_THROW(load_train_config(dir.file("c.yaml"), TrainMode::sft, {"dataset_task=arithmetic"}));
  try {
    load_train_config(dir.file("c.yaml"), TrainMode::sft, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dataset_task: unknown sft task 'equations'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_train_config(dir.file("c.yaml"), TrainMode::pretrain, {"dataset_task=word_problems"}), Error);
  EXPECT_THROW(load_train_config(dir.file("c.yaml"), TrainMode::pretrain, {"prompt_template=raw"}), Error);
  EXPECT_THROW(load_train_config(dir.file("c.yaml"), TrainMode::sft, {"dataset_task=counting", "prompt_template=x"}),
               Error);
  EXPECT_NO_THROW(load_train_config(dir.file("c.yaml"), TrainMode::sft,
                                    {"dataset_task=counting", "prompt_template=r1_zero_think"}));
}

TEST(TrainConfig, missing_model_and_data_are_named) {
  test::TempDir dir;
  test::write_text(dir.file("c.yaml"), "output_dir: out\ndataset_task: arithmetic\n");
  try {
    load_train_config(dir.file("c.yaml"), TrainMode::pretrain, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model_name_or_path: give exactly one of"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aha::train
