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
