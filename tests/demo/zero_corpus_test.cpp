// demo --zero's base corpus: the shares asked for, tags in at most the asked share of documents
// and never beside a problem, every problem stated with its own answer, and one corpus for one
// seed.
#include "apps/demo/zero_corpus.hpp"

#include <gtest/gtest.h>

#include "aha/rl/rewards/r1_structure.hpp"
#include "aha/tasks/task.hpp"

namespace aha::demo {
namespace {

TEST(ZeroCorpus, holds_each_kind_in_its_share_and_tags_only_in_unrelated_notes) {
  const std::vector<tasks::PromptItem> items = tasks::generate_task("counting", "train", 500, 3);
  CorpusPlan plan;
  plan.documents = 5000;
  RandomStream rng(7, "test"), again(7, "test");
  const Corpus c = base_corpus(plan, items, rng);
  ASSERT_EQ(c.documents.size(), 5000u);
  EXPECT_EQ(c.problems + c.equations + c.tagged + c.stories, 5000);
  EXPECT_EQ(base_corpus(plan, items, again).documents, c.documents);
  EXPECT_LE(c.tagged, 50);  // 1%, a bound and not only an expectation
  EXPECT_GE(c.tagged, 30);
  EXPECT_NEAR(c.problems / 5000.0, 0.45, 0.03);
  EXPECT_NEAR(c.equations / 5000.0, 0.25, 0.03);
  int64_t tagged = 0, problems = 0;
  for (const std::string& d : c.documents) {
    const bool problem = d.find("How many") != std::string::npos;
    tagged += rl::has_r1_tag(d);
    EXPECT_FALSE(problem && rl::has_r1_tag(d)) << d;
    if (problem) {
      // "<problem> Name has N things now.", N the item's answer.
      const tasks::PromptItem& item = items[static_cast<size_t>(problems++) % items.size()];
      const std::string prompt = item.prompt.get<std::string>();
      EXPECT_EQ(d.substr(0, prompt.size()), prompt);
      EXPECT_NE(d.find(" has " + item.answer.dump() + " ", prompt.size()), std::string::npos) << d;
    }
  }
  EXPECT_EQ(tagged, c.tagged);
  EXPECT_EQ(problems, c.problems);
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
