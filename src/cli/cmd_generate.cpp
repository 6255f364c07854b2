// `aha generate`: sample completions of a prompt, streaming text as it is produced.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <random>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/generate/engine.hpp"
#include "aha/generate/stop_strings.hpp"
#include "aha/io/generation_config.hpp"
#include "aha/tokenizer/model_files.hpp"
#include "aha/tokenizer/stream_decoder.hpp"
#include "cli/command.hpp"
#include "cli/sampling_options.hpp"

namespace aha::cli {
namespace {

struct GenerateOptions {
  std::string model, prompt, ids, chat_template;
  bool raw = false, json = false;
  int64_t max_tokens = 256, n = 1, ctx_size = 0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  model::DTypeChoice dtype = model::DTypeChoice::automatic;
  generate::SamplingParams sampling = default_sampling();
};

// One sample's text side: streaming detokenizer and stop strings.
struct SampleText {
  SampleText(const std::optional<tokenizer::Tokenizer>& tok, const std::vector<std::string>& stop)
      : decoder(tok ? std::make_unique<tokenizer::StreamDecoder>(*tok, true) : nullptr), stops(stop) {}
  std::vector<int32_t> ids;
  std::vector<float> logprobs;
  std::string text;
  std::unique_ptr<tokenizer::StreamDecoder> decoder;
  generate::StopMatcher stops;
  std::string finish = "length";
};

// The prompt's ids: --ids as given, --raw text encoded with special tokens, else the text as
// the user turn of the chat template.
std::vector<int32_t> prompt_ids(const GenerateOptions& o, const std::optional<tokenizer::Tokenizer>& tok) {
  if (!o.ids.empty()) return parse_ids(o.ids, "--ids");
  if (!tok) fail("{}: no tokenizer.json, so --prompt cannot be encoded; give --ids instead", o.model);
  if (o.raw) return tok->encode(o.prompt, true);
  const tokenizer::ChatTemplate chat = tokenizer::load_model_chat_template(o.model, o.chat_template);
  const nlohmann::ordered_json messages = {{{"role", "user"}, {"content", o.prompt}}};
  return tok->encode(chat.render(messages, true), false);
}

void print_json(const SampleText& s, uint64_t seed) {
  Json line = {{"ids", s.ids}, {"text", s.text}, {"logprobs", s.logprobs}, {"finish_reason", s.finish}, {"seed", seed}};
  fmt::print("{}\n", line.dump(-1, ' ', false, Json::error_handler_t::replace));
}

int run_generate(GenerateOptions o) {
  if (o.prompt.empty() == o.ids.empty()) fail("give exactly one of --prompt and --ids");
  model::Model m(o.model, o.dtype);
  const std::optional<tokenizer::Tokenizer> tok = tokenizer::load_model_tokenizer(o.model);
  generate::Request request{.prompt = prompt_ids(o, tok), .sampling = o.sampling, .n = o.n, .max_tokens = o.max_tokens};
  for (int64_t id : io::eos_token_ids(o.model, m.config())) request.eos_ids.push_back(static_cast<int32_t>(id));
  request.sampling.seed = o.seed ? *o.seed : std::random_device{}();
  if (!o.stop.empty() && !tok) fail("{}: no tokenizer.json, so --stop strings cannot be matched", o.model);

  generate::Engine engine(
      m, {.max_batch = std::min<int64_t>(o.n, 64), .ctx_size = o.ctx_size, .text_vocab = tok ? tok->vocab_size() : 0});
  engine.submit(request);
  std::vector<SampleText> samples;
  for (int64_t i = 0; i < o.n; ++i) samples.emplace_back(tok, o.stop);
  const bool stream = o.n == 1 && !o.json && tok;
  engine.run([&](const generate::TokenEvent& e) {
    SampleText& s = samples[e.sample];
    s.ids.push_back(e.token);
    s.logprobs.push_back(e.logprob);
    if (e.finish != generate::FinishReason::none) s.finish = generate::finish_reason_name(e.finish);
    if (!tok) return true;
    // EOS is not shown, and neither is an id the tokenizer has no token for, as Hugging Face's
    // decode skips it (ids past its vocabulary are never sampled; this is a gap inside it).
    const bool shown = e.finish != generate::FinishReason::stop && tok->id_to_token(e.token);
    std::string piece = s.stops.feed(shown ? s.decoder->step(e.token) : "");
    if (e.finish != generate::FinishReason::none) piece += s.stops.feed(s.decoder->finish()) + s.stops.flush();
    s.text += piece;
    if (stream) {
      std::fputs(piece.c_str(), stdout);
      std::fflush(stdout);
    }
    if (s.stops.stopped()) s.finish = "stop";
    return !s.stops.stopped();
  });
  for (int64_t i = 0; i < o.n; ++i) {
    const SampleText& s = samples[i];
    if (o.json) print_json(s, request.sampling.seed + static_cast<uint64_t>(i));
    else if (stream) fmt::print("\n");
    else if (!tok) fmt::print("{}\n", Json(s.ids).dump());
    else fmt::print("{}{}\n", o.n > 1 ? fmt::format("--- sample {} ---\n", i) : "", s.text);
  }
  return 0;
}

const bool registered = register_command({
    "generate",
    "Generate completions of a prompt (chat template applied unless --raw), streaming the text",
    [](CLI::App& app) {
      auto o = std::make_shared<GenerateOptions>();
      app.add_option("--model", o->model, "Model directory (Hugging Face layout) or .gguf file")->required();
      add_dtype_option(app, o->dtype);
      app.add_option("--prompt", o->prompt, "Prompt text: the user turn of the chat template, or raw with --raw");
      app.add_flag("--raw", o->raw, "Encode --prompt as it is (with the tokenizer's special tokens), no chat template");
      app.add_option("--ids", o->ids, "Prompt token ids instead of --prompt: 1,2,3");
      app.add_option("--chat-template", o->chat_template, "A Jinja chat template file to use instead of the model's");
      app.add_option("--max-tokens", o->max_tokens,
                     "Most tokens to generate per sample (default 256; clamped to the context)");
      add_sampling_options(app, o->sampling);
      app.add_option("--seed", o->seed, "Random seed; sample i uses seed + i (default: random, printed with --json)");
      app.add_option("--n", o->n, "Number of samples (default 1)");
      app.add_option("--stop", o->stop, "Stop when this text appears (may be given several times)");
      app.add_option("--ctx-size", o->ctx_size, "Positions per sequence (default: the model's, at most 4096)");
      app.add_flag("--json", o->json,
                   "One JSON line per sample: {\"ids\", \"text\", \"logprobs\", \"finish_reason\", \"seed\"}");
      return [o] { return run_generate(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
