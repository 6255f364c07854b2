// Verifiable rewards: rule-based scores of a completion against a reference answer, as
// DeepSeek-R1 used instead of a learned reward model; `external` runs a user's program.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aha::rl {

struct RewardInput {
  std::string prompt;                                 // the prompt text as the model saw it
  std::string completion;                             // the generated text (without the prompt)
  nlohmann::json answer;                              // the reference: a number or string for accuracy(_lenient),
                                                      // {"target": T, "numbers": [...]} for countdown
  int64_t completion_tokens = -1;                     // the completion's token count (-1: unknown)
  nlohmann::json columns = nlohmann::json::object();  // the dataset row's other fields (TRL's reward kwargs)
};

class RewardFunction {
 public:
  virtual ~RewardFunction() = default;
  // The name metrics use: rewards/<name>/mean.
  virtual const std::string& name() const = 0;
  // One score per input, in order. Never throws for a bad completion (it scores low); an
  // external program that fails is reported through `warnings` and scored as configured.
  virtual std::vector<double> score(const std::vector<RewardInput>& inputs) = 0;
  // Messages about failures since the last call (e.g. an external program's stderr).
  virtual std::vector<std::string> take_warnings() { return {}; }
  // Throws a bad-input Error saying what is wrong when `answer` cannot be this reward's reference
  // (score() throws the same for such an answer); callers check datasets with it up front.
  virtual void check_answer(const nlohmann::json& answer) const { (void)answer; }
  // What maj@k counts as the completion's answer. The accuracy rewards give the value they read
  // (math_answer.hpp's FinalAnswer::key, "" for none); the default is the raw text of the last
  // <answer>…</answer> (closed or not), else the last number, else the whole completion, trimmed.
  virtual std::string vote_key(const std::string& completion) const;
};

// The reward called `name` ("accuracy", "accuracy_lenient", "format", "format_think_open",
// "tag_count", "countdown", "soft_overlong", "length", "repetition", "external") with its options (a JSON object,
// possibly empty; `external` needs
// {"command": ...}). Throws a bad-input Error naming the nearest valid name for an unknown one, or
// the bad option.
std::unique_ptr<RewardFunction> make_reward(const std::string& name, const nlohmann::json& options = {});

// The names make_reward accepts.
std::vector<std::string> reward_names();

}  // namespace aha::rl
