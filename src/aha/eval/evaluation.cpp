#include "aha/eval/evaluation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/dist/gather_json.hpp"
#include "aha/dist/world.hpp"
#include "aha/eval/pass_at_k.hpp"
#include "aha/generate/engine.hpp"
#include "aha/io/generation_config.hpp"
#include "aha/ledger/weights_hash.hpp"
#include "aha/rl/reward.hpp"
#include "aha/tokenizer/model_files.hpp"
#include "aha/tokenizer/stream_decoder.hpp"
#include "aha/version_commit.hpp"

namespace aha::eval {
namespace {

struct Completion {
  std::vector<int32_t> ids;
  std::string text;
  std::unique_ptr<tokenizer::StreamDecoder> decoder;
};

// A float setting as the user wrote it (0.6, not 0.6000000238418579).
double as_written(float value) { return std::stod(fmt::format("{}", value)); }

// An item's prompt as the model sees it: formatted, tokenized and fitted to the context.
struct EvalPrompt {
  size_t index = 0;  // into EvalOptions::items
  std::string text;
  std::vector<int32_t> ids;
  bool truncated = false;
};

void check(const EvalOptions& o) {
  if (o.items.empty()) fail("eval: {} has no items", o.name);
  if (o.samples < 1) fail("eval: samples must be at least 1, got {}", o.samples);
  if (o.max_tokens < 1) fail("eval: max_tokens must be at least 1, got {}", o.max_tokens);
  if (o.ctx_size < 0) fail("eval: ctx_size must not be negative (0: the model's), got {}", o.ctx_size);
  if (o.max_prompt_length < 0)
    fail("eval: max_prompt_length must not be negative (0: no limit), got {}", o.max_prompt_length);
  for (int64_t k : o.ks)
    if (k < 1 || k > o.samples) fail("eval: k {} must be in 1 .. samples ({})", k, o.samples);
  generate::validate(o.sampling);
}

// Every item's prompt in `format`, tokenized and fitted to max_prompt_length and the engine's
// context; items left out (prompt_truncation skip) are missing. Counts in `counts`.
std::vector<EvalPrompt> prepare_prompts(const EvalOptions& o, data::PromptTemplate format,
                                        const tokenizer::ChatTemplate* chat, const tokenizer::Tokenizer& tok,
                                        int64_t ctx_size, data::PromptFitCounts& counts) {
  const data::PromptLimits limits{o.max_prompt_length, ctx_size, o.prompt_truncation, data::SettingNames::cli_flags};
  const std::string origin = o.origin.empty() ? o.name : o.origin;
  std::vector<EvalPrompt> prompts;
  counts.prompts = static_cast<int64_t>(o.items.size());
  for (size_t i = 0; i < o.items.size(); ++i) {
    EvalPrompt p{i, data::format_prompt(o.items[i], format, chat), {}, false};
    p.ids = tok.encode(p.text, false);
    const std::string item = data::prompt_item_name(origin, o.items[i], i);
    if (p.ids.empty()) fail("{}: the prompt is empty", item);
    const data::PromptFit fit = data::fit_prompt(p.ids, limits, item);
    if (fit == data::PromptFit::skipped) {
      ++counts.skipped;
      continue;
    }
    if (fit == data::PromptFit::truncated) {
      p.text = tok.decode(p.ids);  // what the model sees, as items.jsonl and the reward show it
      p.truncated = true;
      ++counts.truncated;
    }
    prompts.push_back(std::move(p));
  }
  if (prompts.empty())
    fail("{}: every one of its {} prompts is longer than {} tokens and --prompt-truncation is skip", origin,
         o.items.size(), data::prompt_token_limit(limits));
  return prompts;
}

// The completions of prompts [first, end), prompt-major: completions[(i - first) * samples + s].
std::vector<Completion> generate_items(const EvalOptions& o, generate::Engine& engine, const tokenizer::Tokenizer& tok,
                                       const std::vector<int32_t>& eos, const std::vector<EvalPrompt>& prompts,
                                       size_t first, size_t end) {
  std::vector<Completion> out((end - first) * static_cast<size_t>(o.samples));
  std::vector<int64_t> first_of;  // request id -> index of its first completion
  for (size_t i = first; i < end; ++i) {
    generate::Request r{
        .prompt = prompts[i].ids, .sampling = o.sampling, .n = o.samples, .max_tokens = o.max_tokens, .eos_ids = eos};
    // Item k's samples use seeds seed + k·samples + s: every sample has its own stream.
    r.sampling.seed = o.sampling.seed + prompts[i].index * static_cast<uint64_t>(o.samples);
    const int64_t id = engine.submit(std::move(r));
    first_of.resize(static_cast<size_t>(id) + 1);
    first_of[static_cast<size_t>(id)] = static_cast<int64_t>(i - first) * o.samples;
  }
  for (Completion& c : out) c.decoder = std::make_unique<tokenizer::StreamDecoder>(tok, true);
  const auto total = static_cast<int64_t>(out.size());
  int64_t done = 0;
  if (o.progress) o.progress(done, total);
  engine.run([&](const generate::TokenEvent& e) {
    Completion& c = out[static_cast<size_t>(first_of[static_cast<size_t>(e.request)] + e.sample)];
    c.ids.push_back(e.token);
    const bool shown = e.finish != generate::FinishReason::stop && tok.id_to_token(e.token);
    if (shown) c.text += c.decoder->step(e.token);
    if (e.finish != generate::FinishReason::none) {
      c.text += c.decoder->finish();
      if (o.progress) o.progress(++done, total);
    }
    return true;
  });
  return out;
}

// Every rank's completions and rewards (its share of the items, in rank order): each completion's
// text and token count travel.
void gather_scored(dist::Communicator& comm, std::vector<Completion>& completions, std::vector<double>& rewards) {
  Json mine = Json::array();
  for (size_t j = 0; j < completions.size(); ++j)
    mine.push_back({completions[j].text, completions[j].ids.size(), rewards[j]});
  completions.clear();
  rewards.clear();
  for (const Json& theirs : dist::gather_json(comm, mine))
    for (const Json& c : theirs) {
      Completion x;
      x.text = c[0].get<std::string>();
      x.ids.resize(c[1].get<size_t>());  // only the count is read after this
      completions.push_back(std::move(x));
      rewards.push_back(c[2].get<double>());
    }
}

}  // namespace

Json summarize(const std::vector<std::vector<std::string>>& answers, const std::vector<std::vector<bool>>& passed,
               const std::vector<int64_t>& ks) {
  Json metrics = Json::object();
  const double items = static_cast<double>(passed.size());
  for (int64_t k : ks) {
    double pass = 0, maj = 0;
    for (size_t i = 0; i < passed.size(); ++i) {
      const int64_t n = static_cast<int64_t>(passed[i].size());
      const int64_t c = static_cast<int64_t>(std::count(passed[i].begin(), passed[i].end(), true));
      pass += pass_at_k(n, c, k);
      maj += majority_passes(answers[i], passed[i], k) ? 1.0 : 0.0;
    }
    metrics[fmt::format("pass@{}", k)] = pass / items;
    metrics[fmt::format("maj@{}", k)] = maj / items;
  }
  return metrics;
}

EvalResult run_evaluation(const EvalOptions& o) {
  check(o);
  const std::string template_name = data::resolve_prompt_template(o.prompt_template, o.model_dir);
  const data::PromptTemplate format = data::parse_prompt_template(template_name);
  std::unique_ptr<tokenizer::ChatTemplate> chat;
  if (format == data::PromptTemplate::chat)
    chat = std::make_unique<tokenizer::ChatTemplate>(tokenizer::load_model_chat_template(o.model_dir, ""));
  const std::optional<tokenizer::Tokenizer> tok = tokenizer::load_model_tokenizer(o.model_dir);
  if (!tok) fail("{}: no tokenizer.json: eval needs text", o.model_dir);
  const model::Model m(o.model_dir, o.dtype);
  std::vector<int32_t> eos;
  for (int64_t id : io::eos_token_ids(o.model_dir, m.config())) eos.push_back(static_cast<int32_t>(id));
  generate::Engine engine(m, {.max_batch = 64, .ctx_size = o.ctx_size, .text_vocab = tok->vocab_size()});
  data::PromptFitCounts counts;
  const std::vector<EvalPrompt> prompts = prepare_prompts(o, format, chat.get(), *tok, engine.ctx_size(), counts);
  // Under mpirun each rank samples and scores its share of the prompts; every rank then has all.
  dist::Communicator& comm = dist::world();
  const auto [first, end] = dist::share_of(comm, static_cast<int64_t>(prompts.size()));
  std::vector<Completion> completions = generate_items(o, engine, *tok, eos, prompts, first, end);
  const std::unique_ptr<rl::RewardFunction> reward = rl::make_reward(o.reward, o.reward_options);
  std::vector<rl::RewardInput> inputs;
  for (size_t j = 0; j < completions.size(); ++j) {
    const EvalPrompt& p = prompts[static_cast<size_t>(first) + j / static_cast<size_t>(o.samples)];
    inputs.push_back({p.text, completions[j].text, o.items[p.index].answer,
                      static_cast<int64_t>(completions[j].ids.size()), o.items[p.index].columns});
  }
  std::vector<double> rewards = reward->score(inputs);
  if (comm.size() > 1) gather_scored(comm, completions, rewards);

  EvalResult result;
  std::vector<std::vector<std::string>> answers(prompts.size());
  std::vector<std::vector<bool>> passed(prompts.size());
  double length_sum = 0;
  int64_t prompt_tokens = 0;  // the prompts as the model saw them
  for (size_t i = 0; i < prompts.size(); ++i) {
    const EvalPrompt& p = prompts[i];
    prompt_tokens += static_cast<int64_t>(p.ids.size());
    Json item = {{"index", p.index},
                 {"prompt", p.text},
                 {"prompt_truncated", p.truncated},
                 {"answer", o.items[p.index].answer},
                 {"completions", Json::array()}};
    for (int64_t s = 0; s < o.samples; ++s) {
      const size_t j = i * static_cast<size_t>(o.samples) + static_cast<size_t>(s);
      answers[i].push_back(reward->vote_key(completions[j].text));
      passed[i].push_back(rewards[j] >= o.pass_threshold);
      length_sum += static_cast<double>(completions[j].ids.size());
      item["completions"].push_back({{"text", completions[j].text},
                                     {"tokens", completions[j].ids.size()},
                                     {"reward", rewards[j]},
                                     {"passed", rewards[j] >= o.pass_threshold},
                                     {"extracted_answer", answers[i].back()}});
    }
    item["passed"] = std::count(passed[i].begin(), passed[i].end(), true);
    result.items.push_back(std::move(item));
  }
  Json metrics = summarize(answers, passed, o.ks);
  metrics["mean_completion_tokens"] = length_sum / static_cast<double>(completions.size());
  result.summary = {{"name", o.name},
                    {"model", o.model_dir},
                    {"model_weights_sha256", ledger::hash_model_dir(o.model_dir).sha256},
                    {"dtype", model::dtype_name(m.dtype())},
                    {"dataset", ledger::to_json(o.dataset)},
                    {"reward", o.reward},
                    {"reward_options", o.reward_options},
                    {"prompt_template", template_name},
                    {"ctx_size", engine.ctx_size()},
                    {"max_prompt_length", o.max_prompt_length},
                    {"prompt_truncation", data::prompt_truncation_name(o.prompt_truncation)},
                    {"prompts_truncated", counts.truncated},
                    {"items_skipped", counts.skipped},
                    {"items", prompts.size()},
                    {"samples", o.samples},
                    {"k", o.ks},
                    {"pass_threshold", o.pass_threshold},
                    {"sampling",
                     {{"temperature", as_written(o.sampling.temperature)},
                      {"top_p", as_written(o.sampling.top_p)},
                      {"top_k", o.sampling.top_k},
                      {"seed", o.sampling.seed},
                      {"max_tokens", o.max_tokens}}},
                    {"metrics", metrics},
                    {"aha_version", AHA_VERSION},
                    {"aha_commit", AHA_GIT_COMMIT},
                    {"finished_at", ledger::utc_now()}};
  result.summary["dataset"]["tokens"] = prompt_tokens;
  for (const std::string& w : reward->take_warnings()) result.summary["reward_warnings"].push_back(w);
  return result;
}

void write_evaluation(const std::string& out_dir, const EvalResult& r) {
  std::filesystem::create_directories(out_dir);
  std::string lines;
  for (const Json& item : r.items) lines += item.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  write_file_atomic(out_dir + "/items.jsonl", lines);
  write_file_atomic(out_dir + "/summary.json", r.summary.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
  std::string md = fmt::format(
      "# Evaluation: {}\n\nModel `{}` (weights SHA-256 `{}`), reward `{}`, {} items x {} samples, "
      "prompt template `{}`, temperature {}, top-p {}.\n\n| metric | value |\n|---|---|\n",
      r.summary["name"].get<std::string>(), r.summary["model"].get<std::string>(),
      r.summary["model_weights_sha256"].get<std::string>(), r.summary["reward"].get<std::string>(),
      r.summary["items"].dump(), r.summary["samples"].dump(), r.summary["prompt_template"].get<std::string>(),
      r.summary["sampling"]["temperature"].dump(), r.summary["sampling"]["top_p"].dump());
  for (const auto& [k, v] : r.summary["metrics"].items()) md += fmt::format("| {} | {:.4f} |\n", k, v.get<double>());
  write_file_atomic(out_dir + "/summary.md", md);
}

}  // namespace aha::eval
