// Built-in tasks: deterministic, disjoint train/test splits, every countdown item solvable and
// every word problem's steps and answer right (checked by independent parsing and the rewards).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/reward.hpp"
#include "aha/tasks/countdown.hpp"
#include "aha/tasks/task.hpp"
#include "aha/tasks/word_problems.hpp"

namespace aha::tasks {
namespace {

// The problem an item poses, whatever its wording: countdown's sorted numbers and target; a word
// problem's text with names (capitalised words) and the things counted replaced by placeholders.
std::string problem_of(const PromptItem& item) {
  if (item.answer.is_object()) {
    std::vector<int64_t> numbers = item.answer["numbers"];
    std::sort(numbers.begin(), numbers.end());
    return Json(numbers).dump() + "=" + item.answer["target"].dump();
  }
  static const std::set<std::string> kThings = {"apples",  "marbles", "stickers", "cookies",
                                                "pencils", "cards",   "shells",   "stamps"};
  std::istringstream in(item.prompt.get<std::string>());
  std::string word, key;
  while (in >> word) {
    const std::string bare = word.substr(0, word.find_first_of(".,?'"));
    if (!bare.empty() && bare[0] >= 'A' && bare[0] <= 'Z') word.replace(0, bare.size(), "N");
    if (kThings.count(bare) != 0) word.replace(0, bare.size(), "T");
    key += word;
    key.push_back(' ');
  }
  return key;
}

std::set<std::string> problems(const std::vector<PromptItem>& items) {
  std::set<std::string> out;
  for (const PromptItem& item : items) out.insert(problem_of(item));
  return out;
}

class Task : public ::testing::TestWithParam<std::string> {};

TEST_P(Task, is_deterministic_in_the_seed_and_prefix_stable) {
  const auto a = generate_task(GetParam(), "train", 300, 7), b = generate_task(GetParam(), "train", 300, 7);
  const auto c = generate_task(GetParam(), "train", 300, 8), head = generate_task(GetParam(), "train", 100, 7);
  ASSERT_EQ(a.size(), 300u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].prompt, b[i].prompt);
    EXPECT_EQ(a[i].answer, b[i].answer);
    EXPECT_EQ(a[i].solution, b[i].solution);
    if (i < head.size()) {
      EXPECT_EQ(a[i].prompt, head[i].prompt);
    }
  }
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i].prompt == c[i].prompt;
  EXPECT_LT(same, 10u);
}

TEST_P(Task, train_and_test_never_share_a_problem_whatever_the_seeds) {
  std::set<std::string> train, test;
  for (uint64_t seed : {1, 2, 3}) {
    const auto tr = problems(generate_task(GetParam(), "train", 2000, seed));
    const auto te = problems(generate_task(GetParam(), "test", 500, seed));
    EXPECT_EQ(te.size(), 500u);  // no repeats within a split
    train.insert(tr.begin(), tr.end());
    test.insert(te.begin(), te.end());
  }
  std::vector<std::string> shared;
  std::set_intersection(train.begin(), train.end(), test.begin(), test.end(), std::back_inserter(shared));
  EXPECT_TRUE(shared.empty()) << shared.size() << " shared, e.g. " << shared.front();
  EXPECT_GT(train.size(), 5000u);
  EXPECT_GT(test.size(), 1200u);
}

INSTANTIATE_TEST_SUITE_P(BuiltIn, Task, ::testing::Values("countdown", "word_problems", "counting"));

TEST(CountdownTask, every_item_is_solved_by_its_solution_and_has_tinyzero_form) {
  auto reward = rl::make_reward("countdown");
  for (const std::string name : {"countdown", "countdown3", "countdown4"}) {
    const auto items = generate_task(name, "test", 500, 11);
    std::vector<rl::RewardInput> inputs;
    std::set<size_t> sizes;
    for (const PromptItem& item : items) {
      const std::vector<int64_t> numbers = item.answer["numbers"];
      const int64_t target = item.answer["target"];
      sizes.insert(numbers.size());
      for (int64_t n : numbers) EXPECT_TRUE(n >= 1 && n <= 99) << n;
      EXPECT_TRUE(target >= 10 && target <= 100) << target;
      EXPECT_EQ(item.prompt, countdown_prompt(numbers, target));
      EXPECT_EQ(std::count(item.reasoning.begin(), item.reasoning.end(), '\n') + 1,
                static_cast<std::ptrdiff_t>(numbers.size()) - 1);
      inputs.push_back(
          {"", "<think>" + item.reasoning + "</think> <answer>" + item.solution + "</answer>", item.answer});
    }
    EXPECT_EQ(reward->score(inputs), std::vector<double>(items.size(), 1.0)) << name;
    const std::set<size_t> expected = name == "countdown"    ? std::set<size_t>{3, 4}
                                      : name == "countdown3" ? std::set<size_t>{3}
                                                             : std::set<size_t>{4};
    EXPECT_EQ(sizes, expected);
  }
  EXPECT_EQ(countdown_prompt({44, 19, 35}, 98),
            "Using the numbers [44, 19, 35], create an equation that equals 98. You can use basic arithmetic "
            "operations (+, -, *, /) and each number can only be used once. Show your work in <think> </think> tags. "
            "And return the final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.");
}

struct Step {
  int64_t a = 0, b = 0, c = -1;
  char op = 0;
};

// Reads "a op b = c" lines, checks each by evaluating it here, and adds their operators to `ops`.
std::vector<Step> checked_steps(const std::string& steps, std::set<std::string>& ops) {
  std::istringstream lines(steps);
  std::string line, pattern;
  std::vector<Step> out;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    Step s;
    char eq = 0;
    EXPECT_TRUE(in >> s.a >> s.op >> s.b >> eq >> s.c) << line;
    EXPECT_EQ(eq, '=');
    const int64_t a = s.a, b = s.b;
    const int64_t expected = s.op == '+'            ? a + b
                             : s.op == '-'          ? a - b
                             : s.op == '*'          ? a * b
                             : b != 0 && a % b == 0 ? a / b
                                                    : -999;
    EXPECT_EQ(s.c, expected) << line;
    pattern.push_back(s.op);
    out.push_back(s);
  }
  ops.insert(pattern);
  return out;
}

TEST(ArithmeticTask, steps_are_right_answers_non_negative_and_templates_varied) {
  const auto items = generate_task("word_problems", "train", 1000, 5);
  auto accuracy = rl::make_reward("accuracy");
  std::vector<rl::RewardInput> inputs;
  std::set<std::string> patterns;
  for (const PromptItem& item : items) {
    ASSERT_TRUE(item.answer.is_number_integer());
    EXPECT_GE(item.answer.get<int64_t>(), 0);
    EXPECT_EQ(checked_steps(item.reasoning, patterns).back().c, item.answer.get<int64_t>()) << item.prompt;
    EXPECT_EQ(item.solution, item.answer.dump());
    inputs.push_back({"", "<think>" + item.reasoning + "</think><answer>" + item.solution + "</answer>", item.answer});
  }
  EXPECT_EQ(accuracy->score(inputs), std::vector<double>(items.size(), 1.0));
  EXPECT_GE(patterns.size(), 6u);  // "+-", "*-", "**", "/+", "*+", "+/", ...
  EXPECT_EQ(word_problem_template_count(), 8);
}

TEST(CountingTask, three_chained_single_digit_steps_that_never_go_below_zero) {
  const auto items = generate_task("counting", "test", 500, 3);
  auto accuracy = rl::make_reward("accuracy");
  std::vector<rl::RewardInput> inputs;
  std::set<std::string> patterns;
  for (const PromptItem& item : items) {
    const std::vector<Step> steps = checked_steps(item.reasoning, patterns);
    ASSERT_EQ(steps.size(), 3u) << item.reasoning;
    EXPECT_EQ(steps.back().c, item.answer.get<int64_t>()) << item.prompt;
    const std::string text = item.prompt.get<std::string>();
    for (size_t i = 0; i < steps.size(); ++i) {
      if (i > 0) {
        EXPECT_EQ(steps[i].a, steps[i - 1].c) << item.reasoning;  // each step starts from the last count
      }
      EXPECT_TRUE(steps[i].b >= 1 && steps[i].b <= 9 && steps[i].c >= 0) << item.reasoning;
      bool stated = false;  // the step's number appears in the text as a number of its own
      const std::string number = fmt::format(" {}", steps[i].b);
      for (size_t at = text.find(number); at != std::string::npos && !stated; at = text.find(number, at + 1))
        stated = at + 2 == text.size() || !std::isdigit(static_cast<unsigned char>(text[at + 2]));
      EXPECT_TRUE(stated) << text;
    }
    inputs.push_back({"", "<think>" + item.reasoning + "</think><answer>" + item.solution + "</answer>", item.answer});
  }
  EXPECT_EQ(accuracy->score(inputs), std::vector<double>(items.size(), 1.0));
  EXPECT_EQ(patterns.size(), 8u);  // every sequence of three + and - steps
  EXPECT_EQ(items[0].prompt.get<std::string>().rfind(" now?"), items[0].prompt.get<std::string>().size() - 5);
}

// The start and the signed steps, sorted: what a problem and its step-permuted twins share.
std::string order_free(const PromptItem& item) {
  std::istringstream in(item.reasoning);
  std::vector<std::string> steps;
  std::string start;
  for (std::string a, op, b, eq, c; in >> a >> op >> b >> eq >> c;) {
    if (start.empty()) start = a;
    steps.push_back(op + b);
  }
  std::sort(steps.begin(), steps.end());
  return fmt::format("{}|{}", start, fmt::join(steps, "|"));
}

TEST(CountingTask, no_test_problem_has_a_step_permuted_twin_in_the_training_split) {
  std::set<std::string> train;
  for (const PromptItem& item : generate_task("counting", "train", 20000, 42)) train.insert(order_free(item));
  int64_t with_twins = 0, shared = 0;  // twins: test problems whose steps are not all the same
  for (const PromptItem& item : generate_task("counting", "test", 500, 43)) {
    std::istringstream in(item.reasoning);
    std::set<std::string> distinct;
    for (std::string a, op, b, eq, c; in >> a >> op >> b >> eq >> c;) distinct.insert(op + b);
    with_twins += distinct.size() > 1;
    shared += train.count(order_free(item));
  }
  EXPECT_EQ(shared, 0);
  EXPECT_GT(with_twins, 400);
}

TEST(TaskNames, unknown_tasks_and_splits_are_bad_input) {
  EXPECT_EQ(task_names(),
            (std::vector<std::string>{"word_problems", "counting", "countdown", "countdown3", "countdown4"}));
  EXPECT_EQ(text_task_names(), std::vector<std::string>{"equations"});
  EXPECT_THROW(generate_task("equations", "train", 1, 0), Error);  // text, not prompts
  EXPECT_THROW(generate_task("sudoku", "train", 1, 0), Error);
  EXPECT_THROW(generate_task("countdown", "validation", 1, 0), Error);
  EXPECT_THROW(generate_task("countdown", "train", -1, 0), Error);
  EXPECT_TRUE(generate_task("countdown", "train", 0, 0).empty());
}

TEST(TaskNames, the_deprecated_name_arithmetic_means_equations_for_text_and_word_problems_for_prompts) {
  std::string notice;
  EXPECT_EQ(current_task_name("arithmetic", TaskKind::text, &notice), "equations");
  EXPECT_NE(notice.find("task \"arithmetic\" is deprecated: it means \"equations\" here"), std::string::npos) << notice;
  EXPECT_EQ(current_task_name("arithmetic", TaskKind::prompts, &notice), "word_problems");
  EXPECT_NE(notice.find("it means \"word_problems\" here"), std::string::npos) << notice;
  EXPECT_EQ(current_task_name("counting", TaskKind::prompts, &notice), "counting");
  EXPECT_EQ(notice, "");
  // The old name generates the very same items: its split keys and random streams are unchanged.
  const auto old_name = generate_task("arithmetic", "train", 50, 3),
             new_name = generate_task("word_problems", "train", 50, 3);
  ASSERT_EQ(old_name.size(), new_name.size());
  for (size_t i = 0; i < old_name.size(); ++i) EXPECT_EQ(old_name[i].prompt, new_name[i].prompt);
}

TEST(TaskNames, asking_for_more_distinct_items_than_a_task_has_is_a_clear_error) {
  // counting has 9 starts x 18^3 signed steps, fewer than 6000 of them in the test split.
  try {
    generate_task("counting", "test", 6000, 1);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("task counting: found only"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("distinct test items of the 6000 asked for"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aha::tasks
