#include "aha/tasks/word_problems.hpp"

#include <fmt/format.h>

#include <array>
#include <unordered_set>

#include "aha/base/error.hpp"
#include "aha/base/random.hpp"
#include "aha/tasks/story_words.hpp"

namespace aha::tasks {
namespace {

constexpr const auto& kNames = kStoryNames;
constexpr const auto& kThings = kStoryThings;

struct Problem {
  std::string text;
  std::string steps;
  int64_t answer = 0;
  std::string key;  // template and numbers: the problem without its wording
};

class Draw {
 public:
  explicit Draw(RandomStream& rng) : rng_(rng) {}
  // A uniform integer in [lo, hi].
  int64_t in(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng_.below(static_cast<uint64_t>(hi - lo + 1)));
  }
  const char* name() { return kNames[rng_.below(kNames.size())]; }
  const char* thing() { return kThings[rng_.below(kThings.size())]; }

 private:
  RandomStream& rng_;
};

std::string step(int64_t a, char op, int64_t b, int64_t c) { return fmt::format("{} {} {} = {}\n", a, op, b, c); }

Problem problem(int kind, Draw& d) {
  Problem p;
  const char* n = d.name();
  const char* t = d.thing();
  int64_t a = 0, b = 0, c = 0;
  switch (kind) {
    case 0:
      a = d.in(2, 50), b = d.in(2, 50), c = d.in(1, a + b);
      p.text = fmt::format("{} has {} {}. {} buys {} more and then gives {} to a friend. How many {} does {} have now?",
                           n, a, t, n, b, c, t, n);
      p.steps = step(a, '+', b, a + b) + step(a + b, '-', c, a + b - c);
      p.answer = a + b - c;
      break;
    case 1:
      a = d.in(2, 12), b = d.in(2, 9), c = d.in(1, a * b);
      p.text = fmt::format("A box holds {} {}. {} buys {} boxes and gives away {} of the {}. How many {} are left?", a,
                           t, n, b, c, t, t);
      p.steps = step(b, '*', a, a * b) + step(a * b, '-', c, a * b - c);
      p.answer = a * b - c;
      break;
    case 2:
      a = d.in(5, 30), b = d.in(2, 8), c = d.in(2, 7);
      p.text = fmt::format("{} earns ${} an hour and works {} hours a day for {} days. How many dollars does {} earn?",
                           n, a, b, c, n);
      p.steps = step(a, '*', b, a * b) + step(a * b, '*', c, a * b * c);
      p.answer = a * b * c;
      break;
    case 3: {
      const int64_t k = d.in(2, 12);
      b = d.in(2, 9), a = b * k, c = d.in(1, 20);
      p.text = fmt::format(
          "{} shares {} {} equally among {} friends. Then each friend finds {} more. How many {} "
          "does each friend have?",
          n, a, t, b, c, t);
      p.steps = step(a, '/', b, k) + step(k, '+', c, k + c);
      p.answer = k + c;
      break;
    }
    case 4:
      a = d.in(1, 9), b = d.in(2, 9), c = a * b <= 20 ? 20 : a * b <= 50 ? 50 : 100;
      p.text = fmt::format(
          "{} buys {} pens that cost ${} each and pays with a ${} bill. How many dollars of change "
          "does {} get?",
          n, b, a, c, n);
      p.steps = step(b, '*', a, a * b) + step(c, '-', a * b, c - a * b);
      p.answer = c - a * b;
      break;
    case 5:
      a = d.in(5, 40), b = d.in(2, 9), c = d.in(1, 40);
      p.text = fmt::format(
          "{} reads {} pages every day for {} days, then {} pages on the last day. How many pages "
          "does {} read in total?",
          n, a, b, c, n);
      p.steps = step(a, '*', b, a * b) + step(a * b, '+', c, a * b + c);
      p.answer = a * b + c;
      break;
    case 6:
      a = d.in(2, 12), b = d.in(10, 60), c = d.in(1, a * b);
      p.text = fmt::format(
          "A train has {} cars with {} seats each. {} seats are empty. How many passengers are on "
          "the train?",
          a, b, c);
      p.steps = step(a, '*', b, a * b) + step(a * b, '-', c, a * b - c);
      p.answer = a * b - c;
      break;
    default: {
      a = d.in(4, 40), b = d.in(2, 30);
      if ((a + b) % 2 != 0) ++b;
      const char* m = d.name();
      p.text = fmt::format(
          "{} is {} years old. {} is {} years older than {}. {}'s cousin is half as old as {}. How "
          "old is the cousin?",
          n, a, m, b, n, m, m);
      p.steps = step(a, '+', b, a + b) + step(a + b, '/', 2, (a + b) / 2);
      p.answer = (a + b) / 2;
    }
  }
  p.steps.pop_back();
  p.key = fmt::format("arithmetic|{}|{}|{}|{}", kind, a, b, c);
  return p;
}

constexpr int kTemplates = 8;

}  // namespace

int word_problem_template_count() { return kTemplates; }

std::vector<PromptItem> word_problem_items(const std::string& split, int64_t count, uint64_t seed) {
  RandomStream rng(seed, "task/arithmetic");
  Draw d(rng);
  Problem p;
  return distinct_split_items(
      "arithmetic", split, count, 100,
      [&] {
        p = problem(static_cast<int>(rng.below(kTemplates)), d);
        return ProblemKeys{p.key, p.key};
      },
      [&] {
        PromptItem item;
        item.prompt = std::move(p.text);
        item.answer = p.answer;
        item.reasoning = std::move(p.steps);
        item.solution = std::to_string(p.answer);
        return item;
      });
}

}  // namespace aha::tasks
