#include "aha/rl/grpo_rollout.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "aha/base/error.hpp"
#include "aha/base/random.hpp"
#include "aha/dist/gather_json.hpp"
#include "aha/generate/engine.hpp"
#include "aha/rl/grpo_loss.hpp"

namespace aha::rl {
namespace {

using Clock = std::chrono::steady_clock;

void score(const RolloutSource& source, Rollout& r) {
  std::vector<RewardInput> inputs;
  for (const Completion& c : r.completions) {
    const GrpoPrompt& p = (*source.prompts)[c.prompt];
    inputs.push_back({p.text, c.text, p.answer, static_cast<int64_t>(c.ids.size()), p.columns});
  }
  for (auto& c : r.completions) c.rewards.assign(source.rewards->size(), 0.0), c.reward = 0.0;
  for (size_t f = 0; f < source.rewards->size(); ++f) {
    RewardFunction& fn = *(*source.rewards)[f];
    const std::vector<double> scores = fn.score(inputs);
    if (scores.size() != inputs.size())
      fail_internal(
          fmt::format("reward {} returned {} scores for {} completions", fn.name(), scores.size(), inputs.size()));
    for (size_t i = 0; i < scores.size(); ++i) {
      r.completions[i].rewards[f] = scores[i];
      // TRL sums weighted rewards with nansum: a NaN score counts as nothing.
      if (!std::isnan(scores[i])) r.completions[i].reward += source.reward_weights[f] * scores[i];
    }
    for (std::string& w : fn.take_warnings()) r.warnings.push_back(fn.name() + ": " + w);
  }
}

// Every rank's completions (its share, in rank order) in `r`, and their generated tokens.
void gather_completions(dist::Communicator& comm, Rollout& r) {
  std::vector<Completion> all;
  r.generated_tokens = 0;
  for (const Json& theirs : dist::gather_json(comm, rollout_to_json(r)))
    for (Completion& x : rollout_from_json(theirs).completions) {
      r.generated_tokens += static_cast<int64_t>(x.ids.size());
      all.push_back(std::move(x));
    }
  r.completions = std::move(all);
}

}  // namespace

Rollout generate_groups(const GrpoConfig& c, const RolloutSource& source, int64_t step, int64_t round,
                        const std::vector<int64_t>& prompt_indices, dist::Communicator& comm) {
  const auto started = Clock::now();
  const int64_t group = c.num_generations;
  const int64_t ctx =
      std::min<int64_t>(source.model_config->max_position_embeddings, c.max_prompt_length + c.max_completion_length);
  // Every group's seed, drawn in order; this rank samples the groups [first, end).
  RandomStream stream(static_cast<uint64_t>(c.seed), "rollout", static_cast<uint64_t>(step) * 1024 + round);
  std::vector<uint64_t> seeds;
  for (size_t k = 0; k < prompt_indices.size(); ++k) seeds.push_back(stream.next_u64());
  const auto [first, end] = dist::share_of(comm, static_cast<int64_t>(prompt_indices.size()));
  // A rank may have no group (an evaluation's last prompts): its engine then has nothing to run.
  generate::Engine engine(*source.policy,
                          {std::max<int64_t>(1, (end - first) * group), ctx, source.tokenizer->vocab_size()});
  Rollout r;
  r.completions.resize(static_cast<size_t>((end - first) * group));
  for (int64_t k = first; k < end; ++k) {
    generate::Request request;
    request.prompt = (*source.prompts)[prompt_indices[k]].ids;
    request.sampling.temperature = static_cast<float>(c.temperature);
    request.sampling.top_p = static_cast<float>(c.top_p);
    request.sampling.top_k = c.top_k;
    request.sampling.seed = seeds[static_cast<size_t>(k)];
    request.n = group;
    request.max_tokens = c.max_completion_length;
    request.eos_ids = source.eos_ids;
    engine.submit(std::move(request));
    for (int64_t i = 0; i < group; ++i) r.completions[(k - first) * group + i].prompt = prompt_indices[k];
  }
  engine.run([&](const generate::TokenEvent& e) {
    Completion& done = r.completions[e.request * group + e.sample];
    done.ids.push_back(e.token);
    done.sampling_logp.push_back(e.logprob);
    if (e.finish != generate::FinishReason::none) done.truncated = e.finish != generate::FinishReason::stop;
    ++r.generated_tokens;
    return true;
  });
  for (Completion& done : r.completions) done.text = source.tokenizer->decode(done.ids, true);
  score(source, r);
  if (comm.size() > 1) gather_completions(comm, r);
  r.generation_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return r;
}

void assign_advantages(const GrpoConfig& c, Rollout& r) {
  std::vector<double> rewards;
  for (const Completion& x : r.completions) rewards.push_back(x.reward);
  const Advantages a =
      compute_advantages(rewards, c.num_generations, parse_scale_rewards(c.scale_rewards, "scale_rewards"));
  for (size_t i = 0; i < rewards.size(); ++i) r.completions[i].advantage = a.advantages[i];
}

nlohmann::json rollout_to_json(const Rollout& r) {
  nlohmann::json completions = nlohmann::json::array();
  for (const Completion& c : r.completions)
    completions.push_back({{"prompt", c.prompt},
                           {"ids", c.ids},
                           {"truncated", c.truncated},
                           {"text", c.text},
                           {"rewards", c.rewards},
                           {"reward", c.reward},
                           {"advantage", c.advantage},
                           {"old_logp", c.old_logp},
                           {"ref_logp", c.ref_logp},
                           {"sampling_logp", c.sampling_logp}});
  return {{"completions", completions}, {"rounds", r.rounds}};
}

Rollout rollout_from_json(const nlohmann::json& j) {
  Rollout r;
  try {
    for (const auto& c : j.at("completions"))
      r.completions.push_back(
          {c.at("prompt").get<int64_t>(), c.at("ids").get<std::vector<int32_t>>(), c.at("truncated").get<bool>(),
           c.at("text").get<std::string>(), c.at("rewards").get<std::vector<double>>(), c.at("reward").get<double>(),
           c.at("advantage").get<double>(), c.at("old_logp").get<std::vector<float>>(),
           c.at("ref_logp").get<std::vector<float>>(), c.value("sampling_logp", std::vector<float>{})});
    r.rounds = j.at("rounds").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    fail("the checkpoint's saved rollout is malformed: {}", e.what());
  }
  return r;
}

}  // namespace aha::rl
