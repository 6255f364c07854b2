// `format` and `format_think_open`: R1's <think>…</think> <answer>…</answer> structure; `tag_count`.
#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/reward.hpp"

namespace aha::rl {
namespace {

std::vector<double> scores(const std::string& name, const std::vector<std::string>& completions) {
  auto reward = make_reward(name);
  std::vector<RewardInput> inputs;
  for (const std::string& c : completions) inputs.push_back({"", c, nullptr});
  return reward->score(inputs);
}

TEST(FormatReward, accepts_r1_structure_with_whitespace_between_blocks) {
  EXPECT_EQ(scores("format", {"<think>a</think><answer>1</answer>", " <think> a\nb </think>\n\n<answer> 1 </answer>\n",
                              "<think></think> <answer>x</answer>"}),
            (std::vector<double>{1, 1, 1}));
}

TEST(FormatReward, rejects_missing_extra_or_misordered_blocks) {
  EXPECT_EQ(scores("format", {"<answer>1</answer>", "<think>a</think>", "<think>a</think> so <answer>1</answer>",
                              "<answer>1</answer><think>a</think>", "<think>a</think><answer>1</answer> trailing",
                              "<think>a<think>b</think><answer>1</answer>", "<think>a</think><answer> </answer>",
                              "<think>a</think><answer>1</answer><answer>2</answer>", "<think>a</think><answer>1",
                              "x <think>a</think><answer>1</answer>", ""}),
            std::vector<double>(11, 0.0));
}

TEST(FormatReward, think_open_variant_starts_inside_the_think_block) {
  EXPECT_EQ(scores("format_think_open", {"reasoning</think> <answer>1</answer>", "\n</think>\n<answer>1</answer>",
                                         "<think>a</think><answer>1</answer>", "reasoning <answer>1</answer>",
                                         "a</think><answer>1</answer> more"}),
            (std::vector<double>{1, 1, 0, 0, 0}));
}

TEST(TagCountReward, gives_a_quarter_for_each_tag_held_exactly_once_whatever_the_order) {
  EXPECT_EQ(scores("tag_count", {"<think>a</think> <answer>1</answer>", "<answer>1</answer><think>a</think>",
                                 "<think> a", "<think><think></think>", "<think></think><answer>", "no tags", ""}),
            (std::vector<double>{1, 1, 0.25, 0.25, 0.75, 0, 0}));
  EXPECT_THROW(make_reward("tag_count", {{"weight", 2}}), Error);
}

TEST(RewardFactory, unknown_names_and_options_are_bad_input_naming_the_nearest) {
  try {
    make_reward("fromat");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("did you mean \"format\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_reward("format", {{"strict", true}}), Error);
  EXPECT_THROW(make_reward("countdown", {{"format_score", "high"}}), Error);
  EXPECT_THROW(make_reward("countdown", {{"format_score", 2}}), Error);
  EXPECT_THROW(make_reward("accuracy", Json::array()), Error);
  try {
    make_reward("accuracy_lenien");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean \"accuracy_lenient\"? rewards: accuracy, accuracy_lenient, "
                                         "format, format_think_open, tag_count, countdown, soft_overlong, length, "
                                         "repetition, external)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_reward("accuracy_lenient", {{"mode", "strict"}}), Error);
  EXPECT_EQ(reward_names().size(), 10u);
  for (const std::string& name : reward_names()) {
    // external needs a command, soft_overlong its lengths.
    const Json options = name == "soft_overlong" ? Json{{"max_completion_len", 8}, {"soft_punish_cache", 2}} : Json();
    if (name != "external") {
      EXPECT_EQ(make_reward(name, options)->name(), name);
    }
  }
}

}  // namespace
}  // namespace aha::rl
