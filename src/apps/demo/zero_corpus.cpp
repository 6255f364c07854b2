#include "apps/demo/zero_corpus.hpp"

#include <fmt/format.h>

#include <array>
#include <sstream>
#include <utility>
#include <vector>

#include "aha/base/error.hpp"
#include "aha/data/prompts.hpp"
#include "aha/tasks/story_words.hpp"

namespace aha::demo {
namespace {

constexpr std::array<const char*, 6> kColours = {"red", "blue", "green", "yellow", "brown", "white"};
constexpr std::array<const char*, 6> kPlaces = {"park", "shop", "school", "garden", "kitchen", "box"};

// The start of R1-Zero's preamble, without its words about the tags.
constexpr const char* kChatPreamble =
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. ";

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

// A training problem answered in prose, the steps as plain equations first when `worked`: "Mia
// has 7 shells, ... How many shells now? 7 + 3 = 10. 10 - 4 = 6. 6 + 2 = 8. Mia has 8 shells now."
// With `conversation`, asked in one ("User: <problem>. Assistant: <answer>", the "?." as
// R1-Zero's template writes it), with the tag-free chat preamble first when `preamble`.
std::string problem(const tasks::PromptItem& item, bool worked, bool conversation, bool preamble) {
  const std::string text = item.prompt.get<std::string>();
  const size_t name_end = text.find(' '), many = text.rfind("How many "), now = text.rfind(" now?");
  if (name_end == std::string::npos || many == std::string::npos || now == std::string::npos || now < many + 9)
    fail_internal("zero corpus: not a counting problem: " + text);
  std::string steps;
  if (worked) {
    std::istringstream lines(item.reasoning);
    for (std::string line; std::getline(lines, line);) steps += line + ". ";
  }
  const std::string answer = fmt::format("{}{} has {} {} now.", steps, text.substr(0, name_end), item.answer.dump(),
                                         text.substr(many + 9, now - many - 9));
  if (!conversation) return text + " " + answer;
  return fmt::format("{}User: {}. Assistant: {}", preamble ? kChatPreamble : "", text, answer);
}

// A chain of three to five steps of 1..9 from a start of 1..9 that never goes below zero.
struct Chain {
  int64_t start = 0;
  std::vector<std::pair<char, int64_t>> steps;  // ('+' or '-', 1..9)
};

Chain draw_chain(RandomStream& rng) {
  Chain chain;
  chain.start = 1 + static_cast<int64_t>(rng.below(9));
  int64_t count = chain.start;
  for (uint64_t steps = 3 + rng.below(3); steps > 0; --steps) {
    const int64_t n = 1 + static_cast<int64_t>(rng.below(9));
    const bool minus = count >= n && rng.below(2) == 0;
    chain.steps.emplace_back(minus ? '-' : '+', n);
    count += minus ? -n : n;
  }
  return chain;
}

// "7 + 3 = 10. 10 - 4 = 6. 6 + 2 = 8."; `result` receives the last count.
std::string equations(const Chain& chain, int64_t* result = nullptr) {
  std::string text;
  int64_t count = chain.start;
  for (const auto& [op, n] : chain.steps) {
    const int64_t next = op == '-' ? count - n : count + n;
    text += fmt::format("{}{} {} {} = {}.", text.empty() ? "" : " ", count, op, n, next);
    count = next;
  }
  if (result != nullptr) *result = count;
  return text;
}

// "What is 7 + 3 - 4 + 2?"
std::string bare_sum(const Chain& chain) {
  std::string text = fmt::format("What is {}", chain.start);
  for (const auto& [op, n] : chain.steps) text += fmt::format(" {} {}", op, n);
  return text + "?";
}

// "Start with 7, add 3, take away 4 and add 2. What do you get?"
std::string sum_in_words(const Chain& chain) {
  std::string text = fmt::format("Start with {}", chain.start);
  for (size_t i = 0; i < chain.steps.size(); ++i)
    text += fmt::format("{}{} {}", i + 1 == chain.steps.size() ? " and " : ", ",
                        chain.steps[i].first == '+' ? "add" : "take away", chain.steps[i].second);
  return text + ". What do you get?";
}

struct Question {
  std::string asked, thought, answer;
};

enum class QuestionKind { story_or_sum, sum_in_words };

// A question that is not a word problem, the text that answers it and the answer. story_or_sum:
// one about a short story, answered by its sentence ({"The park is red. Ben likes blue cards. What
// colour is the park?", "The park is red.", "red"}), or a bare sum ("What is 7 + 3 - 4?"),
// answered by its chain of equations; sum_in_words: "Start with 7, add 3 and take away 4. What do
// you get?", answered by its chain. The story words are drawn either way, so that both kinds
// take the same draws before the kind's own.
Question draw_question(RandomStream& rng, QuestionKind kind) {
  const char* name = pick(tasks::kStoryNames, rng);
  const char* thing = pick(tasks::kStoryThings, rng);
  const char* colour = pick(kColours, rng);
  const char* place = pick(kPlaces, rng);
  const uint64_t count = 2 + rng.below(30);
  Question q;
  std::string question;
  switch (kind == QuestionKind::sum_in_words ? 3 : rng.below(4)) {
    case 3: {
      const Chain chain = draw_chain(rng);
      int64_t result = 0;
      q.thought = equations(chain, &result);
      q.asked = kind == QuestionKind::sum_in_words ? sum_in_words(chain) : bare_sum(chain);
      q.answer = std::to_string(result);
      return q;
    }
    case 0:
      q.thought = fmt::format("The {} is {}.", place, colour);
      question = fmt::format("What colour is the {}?", place);
      q.answer = colour;
      break;
    case 1:
      q.thought = fmt::format("{} keeps the {} in the {}.", name, thing, place);
      question = fmt::format("Where does {} keep the {}?", name, thing);
      q.answer = place;
      break;
    default:
      q.thought = fmt::format("{} has {} {}.", name, count, thing);
      question = fmt::format("How many {} does {} have?", thing, name);
      q.answer = std::to_string(count);
  }
  const std::string before = story_sentence(rng), after = story_sentence(rng);
  q.asked = fmt::format("{} {} {} {}", before, q.thought, after, question);
  return q;
}

// The question asked under R1-Zero's instruction and answered in its tags: "A conversation ...
// User: <asked>. Assistant: <think> <thought> </think> <answer> <answer> </answer>".
std::string tagged_conversation(const Question& q) {
  data::PromptItem item;
  item.prompt = q.asked;
  return fmt::format("{} <think> {} </think> <answer> {} </answer>",
                     data::format_prompt(item, data::PromptTemplate::r1_zero, nullptr), q.thought, q.answer);
}

// The question in a plain conversation: "[preamble] User: <asked>. Assistant: <thought>".
std::string plain_conversation(const Question& q, bool preamble) {
  return fmt::format("{}User: {}. Assistant: {}", preamble ? kChatPreamble : "", q.asked, q.thought);
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
    double bound = plan.tag_share;
    if (u < bound && c.tagged < max_tagged) {
      c.documents.push_back(tagged_conversation(draw_question(rng, QuestionKind::sum_in_words)));
      ++c.tagged;
    } else if (u < (bound += plan.problem_share)) {
      const bool worked = rng.uniform() < plan.worked_share;
      const bool conversation = rng.uniform() < plan.problem_conversation_share;
      const bool preamble = rng.uniform() < plan.preamble_share;
      c.documents.push_back(problem(train_items[next_problem++ % train_items.size()], worked, conversation, preamble));
      ++c.problems;
    } else if (u < (bound += plan.conversation_share)) {
      const Question q = draw_question(rng, QuestionKind::story_or_sum);
      c.documents.push_back(plain_conversation(q, rng.uniform() < plan.preamble_share));
      ++c.conversations;
    } else if (u < (bound += plan.equation_share)) {
      c.documents.push_back(equations(draw_chain(rng)));
      ++c.equations;
    } else {
      c.documents.push_back(story(rng));
      ++c.stories;
    }
  }
  return c;
}

}  // namespace aha::demo
