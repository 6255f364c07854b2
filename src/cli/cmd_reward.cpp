// `aha reward`: score completions with one reward. stdin: one JSON object a line
// {"completion": "...", "answer": ..., "prompt": "...", "completion_ids": [...], <other fields>}: the
// other fields reach the reward as a dataset row's columns; stdout: one number a line, in order.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/reward.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct RewardOptions {
  std::string fn, options;
};

// Line `number` of stdin as a reward input; the answer is checked against the reward's rules.
rl::RewardInput parse_input(const std::string& line, size_t number, const rl::RewardFunction& reward) {
  const Json value = parse_json(line, fmt::format("stdin line {}", number));
  if (!value.is_object()) fail("stdin line {}: expected a JSON object, found {}", number, json_type_name(value));
  rl::RewardInput input;
  auto completion = value.find("completion");
  if (completion == value.end() || !completion->is_string())
    fail("stdin line {}: \"completion\" must be a string{}", number, completion == value.end() ? " (missing)" : "");
  input.completion = completion->get<std::string>();
  if (auto prompt = value.find("prompt"); prompt != value.end()) {
    if (!prompt->is_string()) fail("stdin line {}: \"prompt\" must be a string", number);
    input.prompt = prompt->get<std::string>();
  }
  if (auto answer = value.find("answer"); answer != value.end()) input.answer = *answer;
  if (auto ids = value.find("completion_ids"); ids != value.end()) {
    if (!ids->is_array()) fail("stdin line {}: \"completion_ids\" must be an array of token ids", number);
    for (const Json& id : *ids)
      if (!id.is_number_integer()) fail("stdin line {}: \"completion_ids\" must hold integers", number);
    input.completion_tokens = static_cast<int64_t>(ids->size());
  } else if (reward.name() == "soft_overlong") {
    fail("stdin line {}: \"completion_ids\" is missing: soft_overlong scores the completion's token count", number);
  }
  for (const auto& [key, field] : value.items())
    if (key != "completion" && key != "prompt" && key != "answer" && key != "completion_ids")
      input.columns[key] = field;
  try {
    reward.check_answer(input.answer);
  } catch (const Error& e) {
    fail("stdin line {}: {}", number, e.what());
  }
  return input;
}

int run_reward(const RewardOptions& o) {
  Json options = Json::object();
  if (!o.options.empty()) options = parse_json(o.options, "--options");
  const std::unique_ptr<rl::RewardFunction> reward = rl::make_reward(o.fn, options);
  // Every line is read and checked before any is scored, so a bad line stops the run before output.
  std::vector<rl::RewardInput> inputs;
  std::string line;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) fail("stdin line {}: empty line", number);
    inputs.push_back(parse_input(line, number, *reward));
  }
  const std::vector<double> scores = reward->score(inputs);
  for (const std::string& warning : reward->take_warnings()) fmt::print(stderr, "warning: {}\n", warning);
  std::string out;
  for (double s : scores) out += fmt::format("{}\n", s);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

const bool registered = register_command({
    "reward",
    "Score completions with a reward: one JSON object a line on stdin ({\"completion\", \"answer\", \"prompt\"}), one "
    "number a line on stdout",
    [](CLI::App& app) {
      auto o = std::make_shared<RewardOptions>();
      app.add_option("--fn", o->fn,
                     "The reward: accuracy, accuracy_lenient, format, format_think_open, tag_count, countdown, "
                     "soft_overlong, length, repetition or external")
          ->required();
      app.add_option("--options", o->options,
                     "The reward's options as a JSON object, e.g. '{\"command\": \"python3 score.py\"}' for external");
      app.footer(
          "A line may also hold \"completion_ids\" (the completion's token ids; soft_overlong needs them) and any "
          "other fields, which reach the reward as the dataset row's columns (external programs receive them). All "
          "of stdin is read and checked before anything is scored; a bad line is an error naming its number (exit "
          "2). docs/rewards.md describes each reward.");
      return [o] { return run_reward(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
