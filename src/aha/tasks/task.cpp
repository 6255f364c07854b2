#include "aha/tasks/task.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unordered_set>

#include "aha/base/error.hpp"
#include "aha/tasks/countdown.hpp"
#include "aha/tasks/counting.hpp"
#include "aha/tasks/word_problems.hpp"

namespace aha::tasks {
namespace {

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return h;
}

}  // namespace

std::vector<PromptItem> generate_task(const std::string& name, const std::string& split, int64_t count, uint64_t seed) {
  if (split != "train" && split != "test")
    fail("task {}: split must be \"train\" or \"test\", got \"{}\"", name, split);
  if (count < 0) fail("task {}: count must not be negative, got {}", name, count);
  if (name == "word_problems" || name == "arithmetic") return word_problem_items(split, count, seed);
  if (name == "counting") return counting_items(split, count, seed);
  CountdownOptions options;
  if (name == "countdown3") options.max_numbers = 3;
  if (name == "countdown4") options.min_numbers = 4;
  if (name == "countdown" || name == "countdown3" || name == "countdown4")
    return countdown_items(split, count, seed, options);
  if (name == "equations")
    fail("task \"equations\" gives plain text for `aha pretrain`, not prompts with answers (tasks: {})",
         fmt::join(task_names(), ", "));
  fail("unknown task \"{}\" (tasks: {})", name, fmt::join(task_names(), ", "));
}

std::vector<std::string> task_names() { return {"word_problems", "counting", "countdown", "countdown3", "countdown4"}; }

std::vector<std::string> text_task_names() { return {"equations"}; }

std::string current_task_name(const std::string& name, TaskKind kind, std::string* deprecation) {
  if (deprecation) deprecation->clear();
  if (name != "arithmetic") return name;
  const std::string now = kind == TaskKind::text ? "equations" : "word_problems";
  if (deprecation)
    *deprecation = fmt::format(
        "task \"arithmetic\" is deprecated: it means \"{}\" here; say so (the \"12+7=19\" lines of pretraining are "
        "\"equations\", the word problems of sft, grpo, distill and eval are \"word_problems\")",
        now);
  return now;
}

std::string task_split(std::string_view canonical_item) {
  // FNV-1a, then a SplitMix64 finaliser so that every bit of the key reaches the low bits.
  uint64_t z = fnv1a(canonical_item);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z % 10 == 0 ? "test" : "train";
}

std::vector<PromptItem> distinct_split_items(std::string_view task, const std::string& split, int64_t count,
                                             int64_t draws_per_item, const std::function<ProblemKeys()>& draw,
                                             const std::function<PromptItem()>& make) {
  std::vector<PromptItem> items;
  std::unordered_set<std::string> seen;
  const int64_t max_draws = 10000 + draws_per_item * count;
  for (int64_t draws = 0; static_cast<int64_t>(items.size()) < count; ++draws) {
    if (draws >= max_draws)
      fail("task {}: found only {} distinct {} items of the {} asked for", task, items.size(), split, count);
    const ProblemKeys keys = draw();
    if (keys.item.empty() || task_split(keys.split) != split || !seen.insert(keys.item).second) continue;
    items.push_back(make());
  }
  return items;
}

}  // namespace aha::tasks
