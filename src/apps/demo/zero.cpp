#include "apps/demo/zero.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include "aha/base/file.hpp"
#include "aha/data/prompts.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/train/trainer.hpp"
#include "apps/demo/demo.hpp"

namespace aha::demo {
namespace {

// data/corpus.jsonl ({"text"} lines) and its ledger sidecar.
std::string write_corpus(const std::string& dir, const Corpus& c) {
  std::filesystem::create_directories(dir);
  std::string text;
  for (const std::string& d : c.documents) text += Json{{"text", d}}.dump() + "\n";
  write_file_atomic(dir + "/corpus.jsonl", text);
  const std::string description = fmt::format(
      "aha demo --zero's base corpus: {} documents; {} built-in '{}' training problems with their answers in "
      "prose (most with their steps as plain equations), {} conversations about stories and bare sums, {} chains "
      "of plain equations, {} short stories, {} sums in words answered in <think>/<answer> tags under R1-Zero's "
      "instruction",
      c.documents.size(), c.problems, kDemoTask, c.conversations, c.equations, c.stories, c.tagged);
  write_file_atomic(dir + "/corpus.jsonl.DATASET.yaml",
                    fmt::format("name: demo base corpus\ndescription: {}\nsource: aha demo --zero\n"
                                "license: not applicable (generated)\nlanguage: en\ncontent_type: text\n"
                                "category: synthetic\ngenerated_by: \"aha demo --zero's corpus program (no model)\"\n",
                                Json(description).dump()));
  return dir + "/corpus.jsonl";
}

train::TrainConfig pretrain_config(const ZeroPlan& p, const std::string& data, const std::string& out) {
  return demo_train_config(train::TrainMode::pretrain, data, out, p.pretrain_steps, p.pretrain_batch, p.pretrain_length,
                           p.pretrain_learning_rate, p.seed);
}

rl::GrpoConfig zero_grpo_config(const ZeroPlan& p, const std::string& model, const std::string& out) {
  rl::GrpoConfig c = demo_grpo_config(
      {p.grpo_prompts, p.grpo_steps, p.grpo_prompts_per_step, p.max_completion_tokens, p.grpo_learning_rate, p.seed},
      model, out);
  c.prompt_template = "r1_zero";
  // tag_count gives the partial credit a tiny base model needs before it writes the whole
  // structure by chance (docs/demo.md); format and accuracy are the rewards that are measured.
  c.reward_funcs = {{"format"}, {"accuracy"}, {"tag_count"}};
  c.reward_weights = {1.0, 1.0, 0.5};
  c.logging_steps = 1;  // the curves have every step
  return c;
}

// The format reward, accuracy reward and mean completion length of every logged GRPO step.
Json read_curves(const std::string& metrics_path) {
  Json curves = {{"step", Json::array()},
                 {"format", Json::array()},
                 {"accuracy", Json::array()},
                 {"completion_length", Json::array()}};
  std::istringstream lines(read_file(metrics_path));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const Json m = parse_json(line, metrics_path);
    if (!m.contains("rewards/format/mean")) continue;
    curves["step"].push_back(m["step"]);
    curves["format"].push_back(m["rewards/format/mean"]);
    curves["accuracy"].push_back(m["rewards/accuracy/mean"]);
    curves["completion_length"].push_back(m["completions/mean_length"]);
  }
  return curves;
}

}  // namespace

ZeroPlan zero_plan(bool quick) {
  ZeroPlan p;
  if (quick) {
    p.model = {320, 32, 64, 2, 2, 1, 512};
    p.corpus.documents = 400;
    p.pretrain_steps = 10, p.pretrain_batch = 4, p.pretrain_length = 128, p.pretrain_learning_rate = 3e-3;
    p.test_items = 16, p.max_completion_tokens = 32;
    p.grpo_prompts = 64, p.grpo_steps = 2, p.grpo_prompts_per_step = 2, p.grpo_learning_rate = 1e-3;
    return p;
  }
  p.model = {768, 128, 344, 4, 4, 2, 512};
  p.corpus.documents = 40000;
  p.pretrain_steps = 4000, p.pretrain_batch = 8, p.pretrain_length = 256, p.pretrain_learning_rate = 3e-3;
  p.test_items = 500, p.max_completion_tokens = 96;
  p.grpo_prompts = 4000, p.grpo_steps = 150, p.grpo_prompts_per_step = 8, p.grpo_learning_rate = 1e-4;
  return p;
}

ZeroResult run_zero_demo(const ZeroOptions& o) {
  const ZeroPlan& p = o.plan;
  const auto notice = [&](const std::string& line) {
    if (o.notice) o.notice(line);
  };
  const std::string out = new_run_directory(o.out_dir);
  const auto started = std::chrono::steady_clock::now();
  ZeroResult r;

  notice(fmt::format("writing a base corpus of {} documents", p.corpus.documents));
  const std::vector<data::PromptItem> train_items = tasks::generate_task(kDemoTask, "train", 20000, p.seed);
  const std::vector<data::PromptItem> test_items = tasks::generate_task(kDemoTask, "test", p.test_items, p.seed + 1);
  RandomStream rng(p.seed, "demo/zero-corpus");
  r.corpus = base_corpus(p.corpus, train_items, rng);
  const std::string corpus_path = write_corpus(out + "/data", r.corpus);
  // The tokenizer also learns from the R1-Zero prompts, which the model meets only in GRPO, so that
  // the prompt's words are tokens rather than bytes.
  write_tokenizer_config(out + "/tokenizer");
  std::vector<std::string> texts = r.corpus.documents;
  for (size_t i = 0; i < 2000; ++i)
    texts.push_back(data::format_prompt(train_items[i], data::PromptTemplate::r1_zero, nullptr));
  const TokenizerIds ids = train_tokenizer(out + "/tokenizer", p.model.vocab_size, texts);

  notice(fmt::format("pretraining a base model from scratch: {} steps", p.pretrain_steps));
  train::TrainConfig base = pretrain_config(p, corpus_path, out + "/base");
  base.model_config = write_model_config(out + "/model_config.json", p.model, ids);
  base.tokenizer = out + "/tokenizer";
  const StageCost base_cost = train_stage(base, o.progress, "pretrain");
  const MeasureSettings ms{kDemoTask,  "r1_zero", p.samples, p.temperature, p.top_p, p.max_completion_tokens,
                           p.seed + 1, o.progress};
  notice(fmt::format("measuring the base model: {} held-out items, greedy and {} samples", p.test_items, p.samples));
  r.base = measure(ms, out + "/base", test_items, out + "/eval/base", base_cost);

  notice(fmt::format("GRPO on the base model (format + accuracy rewards, R1-Zero prompt): {} steps", p.grpo_steps));
  const StageCost grpo_cost = grpo_stage(zero_grpo_config(p, out + "/base", out + "/grpo"), o.progress);
  notice("measuring the GRPO model");
  r.grpo = measure(ms, out + "/grpo", test_items, out + "/eval/grpo", grpo_cost);
  r.wall_seconds = train::seconds_since(started);
  r.model_dir = out + "/grpo";
  r.curves = read_curves(out + "/grpo/metrics.jsonl");

  r.summary = {{"recipe", "R1-Zero: GRPO on a pretrained base model, no SFT"},
               {"task", kDemoTask},
               {"seed", p.seed},
               {"corpus",
                {{"documents", r.corpus.documents.size()},
                 {"problems_with_answers_in_prose", r.corpus.problems},
                 {"conversations", r.corpus.conversations},
                 {"equations", r.corpus.equations},
                 {"stories", r.corpus.stories},
                 {"with_tags", r.corpus.tagged}}},
               {"test_items", p.test_items},
               {"samples", p.samples},
               {"temperature", p.temperature},
               {"top_p", p.top_p},
               {"max_completion_tokens", p.max_completion_tokens},
               {"prompt_template", "r1_zero"},
               {"wall_seconds", r.wall_seconds},
               {"model_dir", r.model_dir},
               {"models", {measurement_json("base", r.base, p.samples), measurement_json("grpo", r.grpo, p.samples)}},
               {"curves", r.curves}};
  write_file_atomic(out + "/summary.json", r.summary.dump(2) + "\n");
  return r;
}

std::string format_zero_report(const ZeroResult& r, int64_t samples) {
  std::string t = fmt::format(
      "| model | verifier | greedy pass@1 | pass@1 | maj@{0} | pass@{0} | mean tokens | train s | train steps | "
      "train tokens |\n|---|---|---|---|---|---|---|---|---|---|\n",
      samples);
  for (const auto& [name, m] : {std::pair{"base model (pretrained)", &r.base}, std::pair{"GRPO on the base", &r.grpo}})
    for (const bool lenient : {false, true})
      t += table_row(fmt::format("{} | {}", name, lenient ? "lenient" : "strict"), *m, lenient);
  t += "\n| GRPO step | format reward | accuracy reward | completion length |\n|---|---|---|---|\n";
  const auto row = [&](size_t i) {
    t += fmt::format("| {} | {:.3f} | {:.3f} | {:.1f} |\n", r.curves["step"][i].get<int64_t>(),
                     r.curves["format"][i].get<double>(), r.curves["accuracy"][i].get<double>(),
                     r.curves["completion_length"][i].get<double>());
  };
  const size_t n = r.curves["step"].size(), every = std::max<size_t>(1, n / 10);
  for (size_t i = 0; i < n; i += every) row(i);
  if (n > 0 && (n - 1) % every != 0) row(n - 1);
  return t;
}

}  // namespace aha::demo
