// The strict `accuracy` reward against hand-worked adversarial completions (hedges, lists, answers
// in the reasoning, broken tags, percentages) and every GSM8K test solution in R1's tags
// (data/gsm8k/test.jsonl); `accuracy_lenient` keeps its old scores on the same completions.
#include <gtest/gtest.h>

#include <fstream>

#include "aha/base/json.hpp"
#include "aha/rl/reward.hpp"
#include "aha/rl/rewards/math_answer.hpp"

namespace aha::rl {
namespace {

double score(const std::string& reward, const std::string& completion, const Json& answer) {
  return make_reward(reward)->score({{"", completion, answer}}).at(0);
}

struct Case {
  std::string completion;
  double lenient;  // what `accuracy_lenient` (the old `accuracy`) gives it against 5
};

TEST(StrictAccuracy, hedges_lists_misplaced_and_malformed_answers_score_zero) {
  const Case cases[] = {
      {"<think>2+3</think><answer>4 or 5</answer>", 1},  // leniently: the last number
      {"<think>2+3</think><answer>5 or 4</answer>", 0},
      {"<think>2+3</think><answer>maybe 5</answer>", 1},
      {"<think>2+3</think><answer>1 2 3 4 5</answer>", 1},
      {"<think>2+3</think><answer>5, 6</answer>", 0},
      {"<think>2+3</think><answer>x = 5</answer>", 1},
      {"<think>2+3</think><answer>5 apples</answer>", 1},
      {"<think>2+3</think><answer>5.</answer>", 1},
      {"<think>it is <answer>5</answer></think> no idea", 1},          // the answer only in the reasoning
      {"<think>so <answer>6</answer></think> <answer>5</answer>", 1},  // one in the reasoning, one after
      {"<think>so <answer>5</answer></think> <answer>6</answer>", 0},
      {"<think>2+3</think><answer>5", 1},  // unclosed: leniently the last number
      {"<think>2+3</think><answer></answer>", 0},
      {"<think>2+3</think><answer> </answer>", 0},
      {"<think>2+3</think><answer>5</answer><answer>5</answer>", 1},
      {"<think>2+3</think><answer>5</answer> I hope", 1},
      {"<think>2+3</think>so <answer>5</answer>", 1},
      {"<answer>5</answer>", 1},  // no </think>
      {"2+3 <answer>5</answer>", 1},
      {"<think>a</think>b</think><answer>5</answer>", 1},
      {"<think>2+3</think><answer>500%</answer>", 1},  // leniently 500% is 5
      {"<think>2+3</think><answer>5%</answer>", 1},
      {"<think>2+3</think><answer>qz5ff</answer>", 1},
      {"<think>2+3</think> \\boxed{5}", 1},
      {"<think>2+3</think><answer>\\boxed{5} or \\boxed{4}</answer>", 0},
      {"<think>2+3</think><answer>5\\,\\text{cm}</answer>", 1},
      {"<think>2+3</think><answer>$$5</answer>", 1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(score("accuracy", c.completion, 5), 0.0) << c.completion;
    EXPECT_EQ(score("accuracy_lenient", c.completion, 5), c.lenient) << c.completion;
  }
}

TEST(StrictAccuracy, one_value_in_one_answer_block_after_the_reasoning_scores_one) {
  const std::pair<std::string, Json> cases[] = {
      {"<think>2+3</think>\n<answer>5</answer>", 5},
      {"  <think>\n2+3\n</think>\n\n<answer> 5 </answer>\n", 5},
      {"<think></think><answer>5.0</answer>", 5},
      {"<think>2+3</think><answer>$5</answer>", "5"},
      {"<think>2+3</think><answer>\\boxed{5}</answer>", 5},
      {"<think>2+3</think><answer>$\\boxed{5}$</answer>", 5},
      {"<think>2+3</think><answer>\\(5\\)</answer>", 5},
      {"<think>2+3</think><answer>10/2</answer>", 5},
      {"<think>2+3</think><answer>\\frac{10}{2}</answer>", 5},
      {"<think>2+3</think><answer>1,000</answer>", 1000},
      {"<think>2+3</think><answer>-$1,234.50</answer>", "-1234.5"},
      {"<think>2+3</think><answer>$-1,234.50</answer>", -1234.5},
      {"<think>2+3</think><answer>\\$18.00</answer>", "$18"},
      {"<think>2+3</think><answer>50%</answer>", "50%"},
      {"<think>2+3</think><answer>50\\%</answer>", "50 %"},
      {"<think>2+3</think><answer>50</answer>", "50%"},  // a % reference accepts its bare number
      {"<think>2+3</think><answer>-\\frac{1}{3}</answer>", "-1/3"},
      {"<think>2+3</think><answer>Paris</answer>", "paris"},  // a text reference: the same text
      {"2+3 is 5.</think> <answer>5</answer>", 5},            // the prompt opened <think>
  };
  for (const auto& [completion, answer] : cases) EXPECT_EQ(score("accuracy", completion, answer), 1.0) << completion;
}

TEST(StrictAccuracy, percent_counts_only_when_the_reference_has_it) {
  const auto r1 = [](const std::string& a) { return "<think>x</think><answer>" + a + "</answer>"; };
  EXPECT_EQ(score("accuracy", r1("500%"), 5), 0.0);
  EXPECT_EQ(score("accuracy", r1("5%"), 5), 0.0);
  EXPECT_EQ(score("accuracy", r1("50%"), "0.5"), 0.0);
  EXPECT_EQ(score("accuracy", r1("0.5"), "50%"), 0.0);
  EXPECT_EQ(score("accuracy", r1("50%"), "50%"), 1.0);
  EXPECT_EQ(score("accuracy", r1("50 %"), "50\\%"), 1.0);
  // Any whitespace before % counts as a space (a fuzzer found a tab scored unlike a space).
  EXPECT_EQ(score("accuracy", r1("50\t%"), "50%"), 1.0);
  EXPECT_EQ(score("accuracy", r1("50 \n %"), "50%"), 1.0);
  // The lenient reading keeps both directions.
  EXPECT_EQ(score("accuracy_lenient", r1("50%"), "0.5"), 1.0);
  EXPECT_EQ(score("accuracy_lenient", r1("0.5"), "50%"), 1.0);
}

TEST(StrictAccuracy, a_single_value_parses_exactly_and_anything_more_is_refused) {
  const auto value = [](std::string_view text) {
    auto v = parse_single_value(text);
    return v ? to_string(v->value) + (v->percent ? "%" : "") : std::string("<none>");
  };
  EXPECT_EQ(value(" 42 "), "42");
  EXPECT_EQ(value("+7"), "7");
  EXPECT_EQ(value("\xe2\x88\x92"
                  "3"),
            "-3");
  EXPECT_EQ(value("1{,}000"), "1000");
  EXPECT_EQ(value(".5"), "1/2");
  EXPECT_EQ(value("6 / 8"), "3/4");
  EXPECT_EQ(value("\\dfrac{10}{4}"), "5/2");
  EXPECT_EQ(value("\\frac34"), "3/4");
  EXPECT_EQ(value("$$12.5\\%$$"), "25/2%");
  EXPECT_EQ(value("\\boxed{ -\\tfrac{1}{3} }"), "-1/3");
  for (std::string_view refused :
       {"", "$", "5.", "5/", "1,0000", "1,23", "3/0", "3.14.15", "10 - 3", "5 5", "\\boxed{5", "\\boxed{5}.", "5$$",
        "five", "5 dollars", "(5)", "1e3", "\\boxed{\\boxed{5}}", "999999999999999999999999999999999999999"})
    EXPECT_EQ(value(refused), "<none>") << refused;
}

TEST(StrictAccuracy, what_it_accepts_the_format_reward_accepts) {
  const auto format = make_reward("format"), think_open = make_reward("format_think_open");
  const std::string completions[] = {"<think>2+3</think>\n<answer>5</answer>",
                                     " <think></think> <answer> $5 </answer> ",
                                     "2+3</think><answer>5</answer>",
                                     "<think>2+3</think> so <answer>5</answer>",
                                     "<think>2+3</think><answer>5</answer>.",
                                     "<answer>5</answer>",
                                     "<think>a</think>b</think><answer>5</answer>",
                                     "<think><think>a</think><answer>5</answer>"};
  int accepted = 0;
  for (const std::string& c : completions) {
    if (score("accuracy", c, 5) != 1.0) continue;
    ++accepted;
    const bool opens = c.find("<think>") != std::string::npos;
    EXPECT_EQ((opens ? format : think_open)->score({{"", c, 5}}).at(0), 1.0) << c;
  }
  EXPECT_EQ(accepted, 3);
}

// Every GSM8K test solution, its reasoning in <think> and its "#### N" in <answer>, scores 1 under
// the strict reading; with N's last digit changed it scores 0 under both, and so does a hedge
// ("N or M", "M or N") under the strict one.
TEST(StrictAccuracy, every_gsm8k_test_solution_in_r1_tags_scores_one_and_its_corruptions_zero) {
  std::ifstream file(AHA_SOURCE_DIR "/data/gsm8k/test.jsonl");
  ASSERT_TRUE(file) << "missing data/gsm8k/test.jsonl";
  std::vector<RewardInput> right, wrong, hedged;
  std::string line;
  while (std::getline(file, line)) {
    const Json row = Json::parse(line);
    const std::string solution = row.at("answer");
    const size_t hashes = solution.rfind("#### ");
    ASSERT_NE(hashes, std::string::npos) << line;
    const std::string number = solution.substr(hashes + 5), reasoning = solution.substr(0, hashes);
    std::string corrupted = number;
    char& digit = corrupted[corrupted.find_last_of("0123456789")];
    digit = digit == '9' ? '8' : static_cast<char>(digit + 1);
    const std::string think = "<think>\n" + reasoning + "</think>\n<answer>";
    right.push_back({row.at("question"), think + number + "</answer>", number});
    wrong.push_back({row.at("question"), think + corrupted + "</answer>", number});
    hedged.push_back({row.at("question"), think + number + " or " + corrupted + "</answer>", number});
    hedged.push_back({row.at("question"), think + corrupted + " or " + number + "</answer>", number});
  }
  ASSERT_EQ(right.size(), 1319u);
  const auto strict = make_reward("accuracy"), lenient = make_reward("accuracy_lenient");
  const std::vector<double> ones = strict->score(right), zeros = strict->score(wrong),
                            lenient_zeros = lenient->score(wrong), hedge_zeros = strict->score(hedged);
  for (size_t i = 0; i < right.size(); ++i) {
    EXPECT_EQ(ones[i], 1.0) << "row " << i + 1 << ": " << right[i].completion;
    EXPECT_EQ(zeros[i], 0.0) << "row " << i + 1 << ": " << wrong[i].completion;
    EXPECT_EQ(lenient_zeros[i], 0.0) << "row " << i + 1 << ": " << wrong[i].completion;
    EXPECT_EQ(hedge_zeros[2 * i], 0.0) << "row " << i + 1 << ": " << hedged[2 * i].completion;
    EXPECT_EQ(hedge_zeros[2 * i + 1], 0.0) << "row " << i + 1 << ": " << hedged[2 * i + 1].completion;
  }
}

}  // namespace
}  // namespace aha::rl
