#include "apps/demo/measure.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "aha/eval/evaluation.hpp"
#include "aha/ledger/dataset.hpp"
#include "aha/rl/reward.hpp"

namespace aha::demo {
namespace {

eval::EvalOptions eval_options(const MeasureSettings& s, const std::string& model_dir,
                               const std::vector<tasks::PromptItem>& items, bool greedy) {
  eval::EvalOptions o;
  o.model_dir = model_dir;
  o.name = s.task;
  o.items = items;
  o.dataset = ledger::generator_record(s.task, "1", {{"split", "test"}, {"count", items.size()}}, s.seed, "eval",
                                       static_cast<int64_t>(items.size()), 0);
  o.reward = "accuracy";
  o.prompt_template = s.prompt_template;
  o.samples = greedy ? 1 : s.samples;
  o.ks = greedy ? std::vector<int64_t>{1} : std::vector<int64_t>{1, s.samples};
  o.sampling.temperature = greedy ? 0.0f : static_cast<float>(s.temperature);
  o.sampling.top_p = greedy ? 1.0f : static_cast<float>(s.top_p);
  o.sampling.seed = s.seed;
  o.max_tokens = s.max_tokens;
  return o;
}

// The metrics of `result`'s completions scored again by `reward_name`, with its own vote key.
Json rescore(const eval::EvalResult& result, const std::string& reward_name, const std::vector<int64_t>& ks) {
  const std::unique_ptr<rl::RewardFunction> reward = rl::make_reward(reward_name);
  std::vector<std::vector<std::string>> answers;
  std::vector<std::vector<bool>> passed;
  for (const Json& item : result.items) {
    std::vector<rl::RewardInput> inputs;
    answers.emplace_back();
    for (const Json& c : item["completions"]) {
      inputs.push_back({item["prompt"].get<std::string>(), c["text"].get<std::string>(), item["answer"]});
      answers.back().push_back(reward->vote_key(inputs.back().completion));
    }
    passed.emplace_back();
    for (double score : reward->score(inputs)) passed.back().push_back(score >= 1.0);
  }
  return eval::summarize(answers, passed, ks);
}

}  // namespace

Measurement measure(const MeasureSettings& s, const std::string& model_dir, const std::vector<tasks::PromptItem>& items,
                    const std::string& out_dir, const StageCost& cost) {
  const std::string n = fmt::format("@{}", s.samples);
  const std::string name = std::filesystem::path(out_dir).filename().string();
  const auto evaluate = [&](bool greedy) {
    eval::EvalOptions o = eval_options(s, model_dir, items, greedy);
    const StageProgress progress(s.progress, fmt::format("eval {} {}", name, greedy ? "greedy" : "sampled"),
                                 "completions");
    o.progress = progress.callback();
    eval::EvalResult r = eval::run_evaluation(o);
    eval::write_evaluation(out_dir + (greedy ? "/greedy" : "/sampled"), r);
    return r;
  };
  const eval::EvalResult greedy = evaluate(true), sampled = evaluate(false);
  Measurement m;
  m.train = cost;
  const auto scores = [&](const Json& g, const Json& x) {
    return Scores{g["pass@1"].get<double>(), x["pass@1"].get<double>(), x["maj" + n].get<double>(),
                  x["pass" + n].get<double>()};
  };
  m.strict = scores(greedy.summary["metrics"], sampled.summary["metrics"]);
  m.lenient = scores(rescore(greedy, "accuracy_lenient", {1}), rescore(sampled, "accuracy_lenient", {1, s.samples}));
  m.mean_tokens = sampled.summary["metrics"]["mean_completion_tokens"].get<double>();
  return m;
}

Json measurement_json(const std::string& name, const Measurement& m, int64_t samples) {
  const auto scores = [&](const Scores& x) {
    return Json{{"greedy_pass1", x.greedy_pass1},
                {"pass1", x.pass1},
                {fmt::format("maj{}", samples), x.maj},
                {fmt::format("pass{}", samples), x.pass}};
  };
  return {{"model", name},
          {"strict", scores(m.strict)},
          {"lenient", scores(m.lenient)},
          {"mean_completion_tokens", m.mean_tokens},
          {"train_seconds", m.train.seconds},
          {"train_steps", m.train.steps},
          {"train_tokens", m.train.tokens}};
}

}  // namespace aha::demo
