#include "aha/tasks/countdown.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "aha/base/error.hpp"
#include "aha/base/random.hpp"

namespace aha::tasks {
namespace {

constexpr int64_t kMaxIntermediate = 1000000;

// A subexpression: its value, its text, and its operator (0 for a number) for parenthesising.
struct Node {
  int64_t value = 0;
  std::string text;
  char op = 0;
};

int precedence(char op) { return op == '+' || op == '-' ? 1 : op == '*' || op == '/' ? 2 : 3; }

// `child` as an operand of `op`, in parentheses when the rules of precedence need them.
std::string operand(const Node& child, char op, bool right) {
  const bool wrap = precedence(child.op) < precedence(op) ||
                    (right && precedence(child.op) == precedence(op) && (op == '-' || op == '/'));
  return wrap ? fmt::format("({})", child.text) : child.text;
}

// a op b when it keeps every value a positive integer within bounds.
bool combine(const Node& a, const Node& b, char op, Node& out) {
  int64_t v = 0;
  switch (op) {
    case '+': v = a.value + b.value; break;
    case '-': v = a.value - b.value; break;
    case '*': v = a.value * b.value; break;
    default:
      if (b.value == 0 || a.value % b.value != 0) return false;
      v = a.value / b.value;
  }
  if (v <= 0 || v > kMaxIntermediate) return false;
  out = Node{v, fmt::format("{} {} {}", operand(a, op, false), op, operand(b, op, true)), op};
  return true;
}

struct Drawn {
  std::vector<int64_t> numbers;
  Node expression;
  std::string steps;
};

// Random numbers combined pairwise in random order with random operators; false when a draw
// leaves no valid operator or misses the target range.
bool draw(RandomStream& rng, const CountdownOptions& o, Drawn& d) {
  const int n = o.min_numbers + static_cast<int>(rng.below(static_cast<uint64_t>(o.max_numbers - o.min_numbers + 1)));
  d.numbers.clear();
  d.steps.clear();
  std::vector<Node> pool;
  for (int i = 0; i < n; ++i) {
    const int64_t x = 1 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(o.max_number)));
    d.numbers.push_back(x);
    pool.push_back(Node{x, std::to_string(x), 0});
  }
  while (pool.size() > 1) {
    const size_t i = rng.below(pool.size());
    size_t j = rng.below(pool.size() - 1);
    if (j >= i) ++j;
    static const char kOps[] = "+-*/";
    const size_t first = rng.below(4);
    Node result;
    bool ok = false;
    for (size_t k = 0; k < 4 && !ok; ++k) ok = combine(pool[i], pool[j], kOps[(first + k) % 4], result);
    if (!ok) return false;
    if (!d.steps.empty()) d.steps.push_back('\n');
    d.steps += fmt::format("{} {} {} = {}", pool[i].value, result.op, pool[j].value, result.value);
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(std::max(i, j)));
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(std::min(i, j)));
    pool.push_back(std::move(result));
  }
  d.expression = pool[0];
  return d.expression.value >= o.min_target && d.expression.value <= o.max_target;
}

std::string canonical(std::vector<int64_t> numbers, int64_t target) {
  std::sort(numbers.begin(), numbers.end());
  std::string key = "countdown|";
  for (int64_t n : numbers) key += fmt::format("{},", n);
  key += fmt::format("|{}", target);
  return key;
}

}  // namespace

std::string countdown_prompt(const std::vector<int64_t>& numbers, int64_t target) {
  std::string list = "[";
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (i > 0) list += ", ";
    list += std::to_string(numbers[i]);
  }
  list.push_back(']');
  return fmt::format(
      "Using the numbers {}, create an equation that equals {}. You can use basic arithmetic operations (+, -, *, /) "
      "and each number can only be used once. Show your work in <think> </think> tags. And return the final answer "
      "in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.",
      list, target);
}

std::vector<PromptItem> countdown_items(const std::string& split, int64_t count, uint64_t seed,
                                        const CountdownOptions& o) {
  if (o.min_numbers < 2 || o.max_numbers < o.min_numbers || o.max_numbers > 6 || o.max_number < 1 ||
      o.max_number > 9999 || o.min_target > o.max_target)
    fail("task countdown: bad options (numbers {}..{}, up to {}, targets {}..{})", o.min_numbers, o.max_numbers,
         o.max_number, o.min_target, o.max_target);
  RandomStream rng(seed, "task/countdown");
  Drawn d;
  return distinct_split_items(
      "countdown", split, count, 2000,
      [&] {
        const std::string key = draw(rng, o, d) ? canonical(d.numbers, d.expression.value) : std::string();
        return ProblemKeys{key, key};
      },
      [&] {
        PromptItem item;
        item.prompt = countdown_prompt(d.numbers, d.expression.value);
        item.answer = {{"target", d.expression.value}, {"numbers", d.numbers}};
        item.reasoning = d.steps;
        item.solution = d.expression.text;
        return item;
      });
}

}  // namespace aha::tasks
