#include "apps/demo/zero_corpus.hpp"

#include <fmt/format.h>

#include <array>

#include "aha/base/error.hpp"
#include "aha/tasks/story_words.hpp"

namespace aha::demo {
namespace {

constexpr std::array<const char*, 6> kColours = {"red", "blue", "green", "yellow", "brown", "white"};
constexpr std::array<const char*, 6> kPlaces = {"park", "shop", "school", "garden", "kitchen", "box"};

template <size_t N>
const char* pick(const std::array<const char*, N>& words, RandomStream& rng) {
  return words[rng.below(N)];
}

// One sentence of an everyday story about the task's names and things, with no arithmetic. Each
// word is drawn in its own statement: the order of a call's arguments is unspecified, and the
// corpus must not depend on the compiler.
std::string story_sentence(RandomStream& rng) {
  const char* name = pick(tasks::kStoryNames, rng);
  const char* thing = pick(tasks::kStoryThings, rng);
  const char* colour = pick(kColours, rng);
  const char* place = pick(kPlaces, rng);
  const char* friend_name = pick(tasks::kStoryNames, rng);
  switch (rng.below(4)) {
    case 0: return fmt::format("{} likes {} {}.", name, colour, thing);
    case 1: return fmt::format("{} keeps the {} in the {}.", name, thing, place);
    case 2: return fmt::format("{} and {} walk to the {}.", name, friend_name, place);
    default: return fmt::format("The {} is {}.", place, colour);
  }
}

std::string story(RandomStream& rng) {
  std::string text = story_sentence(rng);
  for (uint64_t n = 1 + rng.below(3); n > 0; --n) {
    text += ' ';
    text += story_sentence(rng);
  }
  return text;
}

// A note someone tagged: a story sentence, then in the tags a thought stating how many things
// someone has and that count as the answer (no question, no arithmetic).
std::string tagged_note(RandomStream& rng) {
  const uint64_t count = 2 + rng.below(30);
  const std::string sentence = story_sentence(rng);
  const char* writer = pick(tasks::kStoryNames, rng);
  const char* owner = pick(tasks::kStoryNames, rng);
  const char* thing = pick(tasks::kStoryThings, rng);
  return fmt::format("{} {} wrote: <think> {} has {} {}. </think> <answer> {} </answer>", sentence, writer, owner,
                     count, thing, count);
}

// "7 + 3 = 10. 10 - 4 = 6. 6 + 2 = 8." : three to five steps of 1..9 that never go below zero.
std::string equations(RandomStream& rng) {
  int64_t count = 1 + static_cast<int64_t>(rng.below(9));
  std::string text;
  for (uint64_t steps = 3 + rng.below(3); steps > 0; --steps) {
    const int64_t n = 1 + static_cast<int64_t>(rng.below(9));
    const bool minus = count >= n && rng.below(2) == 0;
    const int64_t next = minus ? count - n : count + n;
    text += fmt::format("{}{} {} {} = {}.", text.empty() ? "" : " ", count, minus ? '-' : '+', n, next);
    count = next;
  }
  return text;
}

// A training problem with its answer in a sentence: "Mia has 7 shells, ... How many shells now?
// Mia has 8 shells now."
std::string problem(const tasks::PromptItem& item) {
  const std::string text = item.prompt.get<std::string>();
  const size_t name_end = text.find(' '), many = text.rfind("How many "), now = text.rfind(" now?");
  if (name_end == std::string::npos || many == std::string::npos || now == std::string::npos || now < many + 9)
    fail_internal("zero corpus: not a counting problem: " + text);
  return fmt::format("{} {} has {} {} now.", text, text.substr(0, name_end), item.answer.dump(),
                     text.substr(many + 9, now - many - 9));
}

}  // namespace

Corpus base_corpus(const CorpusPlan& plan, const std::vector<tasks::PromptItem>& train_items, RandomStream& rng) {
  if (train_items.empty()) fail_internal("zero corpus: no training problems");
  Corpus c;
  size_t next_problem = 0;
  // The share is an upper bound, not only an expectation.
  const auto max_tagged = static_cast<int64_t>(static_cast<double>(plan.documents) * plan.tag_share);
  for (int64_t d = 0; d < plan.documents; ++d) {
    const double u = rng.uniform();
    if (u < plan.tag_share && c.tagged < max_tagged) {
      c.documents.push_back(tagged_note(rng));
      ++c.tagged;
    } else if (u < plan.tag_share + plan.problem_share) {
      c.documents.push_back(problem(train_items[next_problem++ % train_items.size()]));
      ++c.problems;
    } else if (u < plan.tag_share + plan.problem_share + plan.equation_share) {
      c.documents.push_back(equations(rng));
      ++c.equations;
    } else {
      c.documents.push_back(story(rng));
      ++c.stories;
    }
  }
  return c;
}

}  // namespace aha::demo
