// GRPO speed against its two baselines, measured in the same run: a GRPO step's generation rate
// (rl::generate_groups, what `aha grpo` samples with) against the generation engine alone (the
// same requests: 8 prompts of 64 tokens, n = 8 each, temperature 1, seeds and 128 new tokens, no
// EOS), and its training rate (rl::GrpoUpdate::step) against the SFT trainer alone
// (train::GradientStep, what `aha sft` runs) on the same 64 sequences in the same micro-batches.
// Rates are input tokens per second for training, generated tokens per second for generation, as
// `aha grpo` logs them; each figure is the fastest of the timed repetitions (other work on the
// machine only ever slows a run down), with its CPU time alongside.
//   build/bench/grpo_bench [--steps N] [--warmup N] [--threads N] [--config 3m|20m] [--beta B]
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "aha/base/random.hpp"
#include "aha/base/threads.hpp"
#include "aha/data/batches.hpp"
#include "aha/generate/engine.hpp"
#include "aha/rl/grpo_update.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "aha/train/gradient_step.hpp"
#include "aha/train/init_weights.hpp"
#include "llama_config.hpp"

namespace {

using namespace aha;
using Clock = std::chrono::steady_clock;

constexpr int64_t kPrompts = 8, kGroup = 8, kPromptTokens = 64, kCompletionTokens = 128, kMicroBatch = 16;

struct BenchModel {
  std::string name;
  int64_t dim, layers, heads, kv_heads, ffn, vocab;
};

const std::vector<BenchModel>& bench_models() {
  static const std::vector<BenchModel> models = {
      {"3m", 256, 4, 8, 4, 688, 512},
      {"20m", 384, 8, 6, 6, 1024, 8192},
  };
  return models;
}

io::ModelConfig model_config(const BenchModel& b) {
  return bench::llama_config(b.dim, b.layers, b.heads, b.kv_heads, b.ffn, b.vocab);
}

// A tokenizer that decodes every id of the vocabulary: 256 byte tokens, then added tokens.
tokenizer::Tokenizer full_vocab_tokenizer(int64_t vocab) {
  tokenizer::BpeTrainer trainer({256, {}});
  trainer.add_text("0123456789+-=");
  Json json = Json::parse(trainer.finish().json);
  for (int64_t id = 256; id < vocab; ++id)
    json["added_tokens"].push_back({{"id", id}, {"content", fmt::format("<t{}>", id)}, {"special", false}});
  return tokenizer::Tokenizer::from_json(json, "bench tokenizer");
}

// 1 when the completion's first byte is ASCII, else 0: rewards that differ within groups.
class AsciiFirst : public rl::RewardFunction {
 public:
  const std::string& name() const override { return name_; }
  std::vector<double> score(const std::vector<rl::RewardInput>& inputs) override {
    std::vector<double> s;
    for (const rl::RewardInput& in : inputs)
      s.push_back(!in.completion.empty() && static_cast<unsigned char>(in.completion[0]) < 128 ? 1.0 : 0.0);
    return s;
  }

 private:
  std::string name_ = "ascii_first";
};

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The fastest wall time of the timed repetitions, and the CPU time of that repetition.
struct Timing {
  double wall = INFINITY, cpu = 0;
  double tokens = 0;
  template <typename F>
  void run(F&& f) {
    const double c0 = cpu_seconds();
    const auto t0 = Clock::now();
    tokens = static_cast<double>(f());
    const double wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (wall_s < wall) wall = wall_s, cpu = cpu_seconds() - c0;
  }
  double rate() const { return tokens / wall; }
  double cpu_rate() const { return tokens / cpu; }
};

rl::GrpoConfig grpo_config(double beta) {
  rl::GrpoConfig c;
  c.num_generations = kGroup;
  c.per_device_train_batch_size = kMicroBatch;
  c.gradient_accumulation_steps = kPrompts * kGroup / kMicroBatch;
  c.max_prompt_length = kPromptTokens;
  c.max_completion_length = kCompletionTokens;
  c.temperature = 1.0;
  c.beta = beta;
  c.learning_rate = 1e-5;
  c.seed = 3;
  return c;
}

// The engine alone on the requests generate_groups makes for `step` (the same seeds).
int64_t generate_alone(const model::Model& m, const rl::GrpoConfig& c, const std::vector<rl::GrpoPrompt>& prompts,
                       int64_t step) {
  generate::Engine engine(m, {kPrompts * kGroup, kPromptTokens + kCompletionTokens});
  RandomStream seeds(static_cast<uint64_t>(c.seed), "rollout", static_cast<uint64_t>(step) * 1024);
  for (const rl::GrpoPrompt& p : prompts)
    engine.submit({.prompt = p.ids,
                   .sampling = {.temperature = 1.0f, .seed = seeds.next_u64()},
                   .n = kGroup,
                   .max_tokens = kCompletionTokens});
  int64_t produced = 0;
  engine.run([&](const generate::TokenEvent&) { return ++produced, true; });
  return produced;
}

// The rollout's sequences as SFT data: prompt + completion, the loss on the completion.
std::vector<data::MicroBatch> sft_batches(const rl::Rollout& r, const std::vector<rl::GrpoPrompt>& prompts) {
  std::vector<data::Sequence> sequences;
  for (const rl::Completion& x : r.completions) {
    data::Sequence s;
    s.tokens = prompts[x.prompt].ids;
    s.labels.assign(s.tokens.size(), 0);
    s.tokens.insert(s.tokens.end(), x.ids.begin(), x.ids.end());
    s.labels.resize(s.tokens.size(), 1);
    sequences.push_back(std::move(s));
  }
  std::vector<data::MicroBatch> batches;
  for (int64_t begin = 0; begin < static_cast<int64_t>(sequences.size()); begin += kMicroBatch) {
    std::vector<int64_t> indices;
    for (int64_t i = begin; i < begin + kMicroBatch; ++i) indices.push_back(i);
    batches.push_back(data::make_micro_batch(sequences, indices));
  }
  return batches;
}

void run_model(const BenchModel& b, int steps, int warmup, double beta) {
  const io::ModelConfig config = model_config(b);
  model::Weights weights = train::init_weights(config, 0.02, 1);
  model::Weights sft_weights = weights;
  const tokenizer::Tokenizer tok = full_vocab_tokenizer(b.vocab);
  std::vector<rl::GrpoPrompt> prompts;
  std::mt19937 rng(5);
  for (int64_t p = 0; p < kPrompts; ++p) {
    rl::GrpoPrompt prompt;
    for (int64_t t = 0; t < kPromptTokens; ++t) prompt.ids.push_back(static_cast<int32_t>(rng() % 256));
    prompt.text = tok.decode(prompt.ids);
    prompts.push_back(prompt);
  }
  std::vector<std::unique_ptr<rl::RewardFunction>> rewards;
  rewards.push_back(std::make_unique<AsciiFirst>());
  const rl::GrpoConfig c = grpo_config(beta);
  const model::Weights reference = beta != 0.0 ? weights : model::Weights{};
  rl::GrpoUpdate update(c, config, weights, beta != 0.0 ? &reference : nullptr);
  model::Model policy(config, weights);
  train::GradientStep sft(config, sft_weights, false);
  const train::AdamWOptions adam{.learning_rate = c.learning_rate};
  std::vector<int64_t> indices;
  for (int64_t p = 0; p < kPrompts; ++p) indices.push_back(p);

  double params = static_cast<double>(weights.embed_tokens.size());
  for (const model::Parameter& p : model::parameters(weights)) params += static_cast<double>(p.values->size());
  params -= static_cast<double>(weights.embed_tokens.size());
  fmt::print(
      "\n{}: dim {}, {} layers, {} heads ({} KV), FFN {}, vocab {} ({:.2f}M parameters); {} prompts x G={} "
      "x {} tokens after {}-token prompts, micro-batches of {} sequences; beta {}\n",
      b.name, b.dim, b.layers, b.heads, b.kv_heads, b.ffn, b.vocab, params / 1e6, kPrompts, kGroup, kCompletionTokens,
      kPromptTokens, kMicroBatch, beta);
  Timing grpo_gen, alone_gen, grpo_train, alone_train, dropped[4];  // warm-up timings go to `dropped`
  for (int i = 0; i < warmup + steps; ++i) {
    Timing& gg = i < warmup ? dropped[0] : grpo_gen;
    Timing& ag = i < warmup ? dropped[1] : alone_gen;
    Timing& gt = i < warmup ? dropped[2] : grpo_train;
    Timing& at = i < warmup ? dropped[3] : alone_train;
    rl::Rollout rollout;
    gg.run([&] {  // as aha grpo's step: the policy takes the trained weights, then samples
      policy.set_weights(weights);
      rollout = rl::generate_groups(c, {&config, &policy, &tok, &prompts, &rewards, {1.0}, {}}, i, 0, indices);
      return rollout.generated_tokens;
    });
    rl::assign_advantages(c, rollout);
    {
      const model::Model m(config, weights);  // built outside the timing, as `aha generate` loads once
      ag.run([&] { return generate_alone(m, c, prompts, i); });
    }
    gt.run([&] { return update.step(rollout, prompts, c.learning_rate, i).tokens; });
    const std::vector<data::MicroBatch> batches = sft_batches(rollout, prompts);
    at.run([&] { return sft.step(batches, adam, 1.0, i).tokens_in; });
  }
  auto line = [](const char* what, const Timing& grpo, const Timing& alone, const char* baseline) {
    fmt::print(
        "  {:10} GRPO {:9.1f} tokens/s ({:6.3f} s, CPU {:6.3f} s)  {:8} {:9.1f} tokens/s ({:6.3f} s, CPU {:6.3f} s)"
        "  GRPO/alone {:.3f} (by CPU time {:.3f})\n",
        what, grpo.rate(), grpo.wall, grpo.cpu, baseline, alone.rate(), alone.wall, alone.cpu,
        grpo.rate() / alone.rate(), grpo.cpu_rate() / alone.cpu_rate());
  };
  line("generation", grpo_gen, alone_gen, "engine");
  line("training", grpo_train, alone_train, "sft");
  std::fflush(stdout);  // each model's lines as soon as they are measured, also into a pipe
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 2, warmup = 1;
  double beta = 0.0;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--steps") steps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--warmup") warmup = std::max(0, std::atoi(next().c_str()));
    else if (a == "--threads") set_num_threads(std::max(1, std::atoi(next().c_str())));
    else if (a == "--config") only = next();
    else if (a == "--beta") beta = std::atof(next().c_str());
    else {
      fmt::print(stderr, "usage: grpo_bench [--steps N] [--warmup N] [--threads N] [--config 3m|20m] [--beta B]\n");
      return 2;
    }
  }
  fmt::print("threads: {}; fastest of {} timed repetitions after {} warm-up; GRPO/alone >= 0.8 is the target\n",
             num_threads(), steps, warmup);
  for (const BenchModel& b : bench_models())
    if (only.empty() || b.name == only) run_model(b, steps, warmup, beta);
  return 0;
}
