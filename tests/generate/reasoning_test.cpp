#include "aha/generate/reasoning.hpp"

#include <gtest/gtest.h>

namespace aha::generate {
namespace {

// Feeds `chunks` one by one and returns (reasoning, answer).
std::pair<std::string, std::string> split(const std::vector<std::string>& chunks, bool open = false) {
  ReasoningSplitter s(open);
  std::pair<std::string, std::string> out;
  auto take = [&](const std::vector<TextPiece>& pieces) {
    for (const auto& p : pieces) (p.reasoning ? out.first : out.second) += p.text;
  };
  for (const auto& c : chunks) take(s.feed(c));
  take(s.flush());
  return out;
}

TEST(Reasoning, tags_split_across_chunks_are_found) {
  auto [r, a] = split({"<th", "ink>Let me", " think.</th", "ink>\n\nThe answer is 4."});
  EXPECT_EQ(r, "Let me think.");
  EXPECT_EQ(a, "\n\nThe answer is 4.");
}

TEST(Reasoning, prompt_that_opened_think_starts_in_reasoning) {
  auto [r, a] = split({"step one", "</think>", "42"}, true);
  EXPECT_EQ(r, "step one");
  EXPECT_EQ(a, "42");
}

TEST(Reasoning, text_without_tags_is_all_answer_and_late_tags_are_text) {
  EXPECT_EQ(split({"Hello ", "<think>x</think>"}), (std::pair<std::string, std::string>{"", "Hello <think>x</think>"}));
  EXPECT_EQ(split({"<", "b>bold"}), (std::pair<std::string, std::string>{"", "<b>bold"}));
  EXPECT_EQ(split({"<thi"}), (std::pair<std::string, std::string>{"", "<thi"}));
  EXPECT_EQ(split({"<think>unfinished"}), (std::pair<std::string, std::string>{"unfinished", ""}));
}

TEST(Reasoning, prompt_opens_reasoning_only_at_its_end) {
  EXPECT_TRUE(prompt_opens_reasoning("<|im_start|>assistant\n<think>\n"));
  EXPECT_FALSE(prompt_opens_reasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(prompt_opens_reasoning("<|im_start|>assistant\n"));
}

}  // namespace
}  // namespace aha::generate
