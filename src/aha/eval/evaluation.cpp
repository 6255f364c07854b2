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

bool has_chat_template(const std::string& dir) {
  if (is_file(dir + "/chat_template.jinja")) return true;
  const std::string path = dir + "/tokenizer_config.json";
  return is_file(path) && read_json_file(path).contains("chat_template");
}

void check(const EvalOptions& o) {
  if (o.items.empty()) fail("eval: {} has no items", o.name);
  if (o.samples < 1) fail("eval: samples must be at least 1, got {}", o.samples);
  if (o.max_tokens < 1) fail("eval: max_tokens must be at least 1, got {}", o.max_tokens);
  for (int64_t k : o.ks)
    if (k < 1 || k > o.samples) fail("eval: k {} must be in 1 .. samples ({})", k, o.samples);
  generate::validate(o.sampling);
}

// The completions of items [first, end), item-major: completions[(i - first) * samples + s].
std::vector<Completion> generate_items(const EvalOptions& o, const std::vector<std::string>& prompts, size_t first,
                                       size_t end, int64_t& prompt_tokens, model::ComputeDType& dtype) {
  const model::Model m(o.model_dir, o.dtype);
  dtype = m.dtype();
  const std::optional<tokenizer::Tokenizer> tok = tokenizer::load_model_tokenizer(o.model_dir);
  if (!tok) fail("{}: no tokenizer.json: eval needs text", o.model_dir);
  std::vector<int32_t> eos;
  for (int64_t id : io::eos_token_ids(o.model_dir, m.config())) eos.push_back(static_cast<int32_t>(id));
  generate::Engine engine(m, {.max_batch = 64, .ctx_size = 0, .text_vocab = tok->vocab_size()});
  std::vector<Completion> out((end - first) * static_cast<size_t>(o.samples));
  std::vector<int64_t> first_of;  // request id -> index of its first completion
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::vector<int32_t> ids = tok->encode(prompts[i], false);
    prompt_tokens += static_cast<int64_t>(ids.size());
    if (i < first || i >= end) continue;
    generate::Request r{
        .prompt = std::move(ids), .sampling = o.sampling, .n = o.samples, .max_tokens = o.max_tokens, .eos_ids = eos};
    // Item i's samples use seeds seed + i·samples + s: every sample has its own stream.
    r.sampling.seed = o.sampling.seed + i * static_cast<uint64_t>(o.samples);
    const int64_t id = engine.submit(std::move(r));
    first_of.resize(static_cast<size_t>(id) + 1);
    first_of[static_cast<size_t>(id)] = static_cast<int64_t>(i - first) * o.samples;
  }
  for (Completion& c : out) c.decoder = std::make_unique<tokenizer::StreamDecoder>(*tok, true);
  const auto total = static_cast<int64_t>(out.size());
  int64_t done = 0;
  if (o.progress) o.progress(done, total);
  engine.run([&](const generate::TokenEvent& e) {
    Completion& c = out[static_cast<size_t>(first_of[static_cast<size_t>(e.request)] + e.sample)];
    c.ids.push_back(e.token);
    const bool shown = e.finish != generate::FinishReason::stop && tok->id_to_token(e.token);
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
  std::string template_name = o.prompt_template;
  if (template_name.empty()) template_name = has_chat_template(o.model_dir) ? "chat" : "r1_zero";
  const data::PromptTemplate format = data::parse_prompt_template(template_name);
  std::unique_ptr<tokenizer::ChatTemplate> chat;
  if (format == data::PromptTemplate::chat)
    chat = std::make_unique<tokenizer::ChatTemplate>(tokenizer::load_model_chat_template(o.model_dir, ""));
  std::vector<std::string> prompts;
  for (const data::PromptItem& item : o.items) prompts.push_back(data::format_prompt(item, format, chat.get()));
  int64_t prompt_tokens = 0;
  model::ComputeDType dtype{};
  // Under mpirun each rank samples and scores its share of the items; every rank then has all.
  dist::Communicator& comm = dist::world();
  const auto [first, end] = dist::share_of(comm, static_cast<int64_t>(o.items.size()));
  std::vector<Completion> completions = generate_items(o, prompts, first, end, prompt_tokens, dtype);
  const std::unique_ptr<rl::RewardFunction> reward = rl::make_reward(o.reward, o.reward_options);
  std::vector<rl::RewardInput> inputs;
  for (size_t j = 0; j < completions.size(); ++j) {
    const size_t i = static_cast<size_t>(first) + j / static_cast<size_t>(o.samples);
    inputs.push_back({prompts[i], completions[j].text, o.items[i].answer});
  }
  std::vector<double> rewards = reward->score(inputs);
  if (comm.size() > 1) gather_scored(comm, completions, rewards);

  EvalResult result;
  std::vector<std::vector<std::string>> answers(o.items.size());
  std::vector<std::vector<bool>> passed(o.items.size());
  double length_sum = 0;
  for (size_t i = 0; i < o.items.size(); ++i) {
    Json item = {{"index", i}, {"prompt", prompts[i]}, {"answer", o.items[i].answer}, {"completions", Json::array()}};
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
                    {"dtype", model::dtype_name(dtype)},
                    {"dataset", ledger::to_json(o.dataset)},
                    {"reward", o.reward},
                    {"reward_options", o.reward_options},
                    {"prompt_template", template_name},
                    {"items", o.items.size()},
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
  result.summary["dataset"]["tokens"] = prompt_tokens;  // the prompts as the model saw them
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
