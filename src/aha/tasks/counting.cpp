#include "aha/tasks/counting.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "aha/base/random.hpp"
#include "aha/tasks/story_words.hpp"

namespace aha::tasks {
namespace {

constexpr std::array<const char*, 3> kGains = {"buys {} more", "finds {} more", "gets {} more"};
constexpr std::array<const char*, 3> kLosses = {"gives {} away", "loses {}", "sells {}"};
constexpr int kSteps = 3;

struct CountingProblem {
  int64_t start = 0;
  std::array<char, kSteps> ops{};
  std::array<int64_t, kSteps> numbers{};
};

int64_t digit(RandomStream& rng) { return 1 + static_cast<int64_t>(rng.below(9)); }

// A start and three +/- steps of 1..9 whose running count never goes below zero.
CountingProblem draw(RandomStream& rng) {
  for (;;) {
    CountingProblem p;
    p.start = digit(rng);
    int64_t count = p.start;
    bool valid = true;
    for (int i = 0; i < kSteps; ++i) {
      p.ops[i] = rng.below(2) == 0 ? '+' : '-';
      p.numbers[i] = digit(rng);
      count += p.ops[i] == '+' ? p.numbers[i] : -p.numbers[i];
      valid = valid && count >= 0;
    }
    if (valid) return p;
  }
}

PromptItem item_of(const CountingProblem& p, RandomStream& rng) {
  const char* name = kStoryNames[rng.below(kStoryNames.size())];
  const char* thing = kStoryThings[rng.below(kStoryThings.size())];
  std::array<std::string, kSteps> actions;
  std::string steps;
  int64_t count = p.start;
  for (int i = 0; i < kSteps; ++i) {
    const auto& verbs = p.ops[i] == '+' ? kGains : kLosses;
    actions[i] = fmt::format(fmt::runtime(verbs[rng.below(verbs.size())]), p.numbers[i]);
    const int64_t next = p.ops[i] == '+' ? count + p.numbers[i] : count - p.numbers[i];
    steps += fmt::format("{} {} {} = {}{}", count, p.ops[i], p.numbers[i], next, i + 1 < kSteps ? "\n" : "");
    count = next;
  }
  PromptItem item;
  item.prompt = fmt::format("{} has {} {}, {}, {} and {}. How many {} now?", name, p.start, thing, actions[0],
                            actions[1], actions[2], thing);
  item.answer = count;
  item.reasoning = std::move(steps);
  item.solution = std::to_string(count);
  return item;
}

// The item key keeps the steps' order (7 +3 -4 and 7 -4 +3 are different problems); the split
// key sorts them, so that a problem and its step-permuted twins, which share the answer, fall in
// the same split.
ProblemKeys keys_of(const CountingProblem& p) {
  std::array<std::string, kSteps> steps;
  for (int i = 0; i < kSteps; ++i) steps[i] = fmt::format("{}{}", p.ops[i], p.numbers[i]);
  ProblemKeys keys{fmt::format("counting|{}|{}", p.start, fmt::join(steps, "|")), ""};
  std::sort(steps.begin(), steps.end());
  keys.split = fmt::format("counting|{}|{}", p.start, fmt::join(steps, "|"));
  return keys;
}

}  // namespace

std::vector<PromptItem> counting_items(const std::string& split, int64_t count, uint64_t seed) {
  RandomStream rng(seed, "task/counting");
  CountingProblem p;
  return distinct_split_items(
      "counting", split, count, 100,
      [&] {
        p = draw(rng);
        return keys_of(p);
      },
      [&] { return item_of(p, rng); });
}

}  // namespace aha::tasks
