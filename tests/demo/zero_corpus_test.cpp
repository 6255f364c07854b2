// demo --zero's base corpus: the shares asked for, tags in at most the asked share of documents
// and only around sums in words (never beside a word problem), every problem stated with its own
// answer and, in the asked share, its steps, and one corpus for one seed.
#include "apps/demo/zero_corpus.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "aha/rl/rewards/r1_structure.hpp"
#include "aha/tasks/task.hpp"

namespace aha::demo {
namespace {

TEST(ZeroCorpus, holds_each_kind_in_its_share_and_tags_only_around_sums_in_words) {
  const std::vector<tasks::PromptItem> items = tasks::generate_task("counting", "train", 500, 3);
  CorpusPlan plan;
  plan.documents = 5000;
  RandomStream rng(7, "test"), again(7, "test");
  const Corpus c = base_corpus(plan, items, rng);
  ASSERT_EQ(c.documents.size(), 5000u);
  EXPECT_EQ(c.problems + c.equations + c.tagged + c.stories + c.conversations, 5000);
  EXPECT_EQ(base_corpus(plan, items, again).documents, c.documents);
  EXPECT_LE(c.tagged, 50);  // 1%, a bound and not only an expectation
  EXPECT_GE(c.tagged, 30);
  EXPECT_NEAR(c.problems / 5000.0, plan.problem_share, 0.03);
  EXPECT_NEAR(c.conversations / 5000.0, plan.conversation_share, 0.02);
  EXPECT_NEAR(c.equations / 5000.0, plan.equation_share, 0.03);
  int64_t tagged = 0, problems = 0, worked = 0, conversations = 0;
  for (const std::string& d : c.documents) {
    const bool problem = d.find(" now?") != std::string::npos;  // the task's question, "How many shells now?"
    if (rl::has_r1_tag(d)) {
      ++tagged;
      // R1-Zero's instruction, a sum in words, and its chain in the tags: never a word problem.
      EXPECT_FALSE(problem) << d;
      EXPECT_NE(d.find("User: Start with "), std::string::npos) << d;
      EXPECT_NE(d.find("What do you get?. Assistant: <think> "), std::string::npos) << d;
    }
    if (!problem) continue;
    // "[[preamble] User: ]<problem>[. Assistant:] [a + b = c. ...] Name has N things now.", N the answer.
    const tasks::PromptItem& item = items[static_cast<size_t>(problems++) % items.size()];
    const std::string prompt = item.prompt.get<std::string>();
    const size_t at = d.find(prompt);
    ASSERT_NE(at, std::string::npos) << d;
    const bool conversation = at > 0;
    conversations += conversation;
    if (conversation) EXPECT_EQ(d.substr(at - 6, 6), "User: ") << d;
    const std::string_view between = conversation ? ". Assistant: " : " ";
    const std::string answer = d.substr(at + prompt.size() + between.size());
    const std::string first_step = item.reasoning.substr(0, item.reasoning.find('\n'));
    worked += answer.starts_with(first_step + ". ");
    const size_t many = prompt.rfind("How many ") + 9;
    const std::string thing = prompt.substr(many, prompt.rfind(" now?") - many);
    const std::string name = prompt.substr(0, prompt.find(' '));
    EXPECT_TRUE(answer.ends_with(name + " has " + item.answer.dump() + " " + thing + " now.")) << d;
  }
  EXPECT_EQ(tagged, c.tagged);
  EXPECT_EQ(problems, c.problems);
  EXPECT_NEAR(static_cast<double>(worked) / problems, plan.worked_share, 0.05);
  EXPECT_NEAR(static_cast<double>(conversations) / problems, plan.problem_conversation_share, 0.02);
}

TEST(ZeroCorpus, a_share_of_tags_that_rounds_to_none_gives_none) {
  const std::vector<tasks::PromptItem> items = tasks::generate_task("counting", "train", 10, 3);
  CorpusPlan plan;
  plan.documents = 99;
  RandomStream rng(1, "test");
  EXPECT_EQ(base_corpus(plan, items, rng).tagged, 0);
}

}  // namespace
}  // namespace aha::demo
