// `aha chat`: an interactive terminal chat with a model, streaming its replies.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <random>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/generate/engine.hpp"
#include "aha/generate/reasoning.hpp"
#include "aha/io/generation_config.hpp"
#include "aha/tokenizer/model_files.hpp"
#include "aha/tokenizer/stream_decoder.hpp"
#include "cli/command.hpp"
#include "cli/sampling_options.hpp"

namespace aha::cli {
namespace {

using OrderedJson = nlohmann::ordered_json;

struct ChatOptions {
  std::string model, chat_template, system, kwargs = "{}";
  bool hide_think = false;
  int64_t max_tokens = 1024, ctx_size = 0;
  std::optional<uint64_t> seed;
  generate::SamplingParams sampling = default_sampling();
  model::DTypeChoice dtype = model::DTypeChoice::automatic;
};

std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted = true; }

// Ctrl-C sets a flag instead of ending the process; reads are not restarted, so a Ctrl-C at
// the prompt ends the chat.
void install_sigint() {
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

tokenizer::Tokenizer require_tokenizer(const std::string& dir) {
  std::optional<tokenizer::Tokenizer> tok = tokenizer::load_model_tokenizer(dir);
  if (!tok) fail("{}: no tokenizer.json; aha chat needs one", dir);
  return std::move(*tok);
}

// The chat: model, tokenizer, template, history, and one reply at a time.
class Chat {
 public:
  explicit Chat(const ChatOptions& o)
      : o_(o),
        model_(o.model, o.dtype),
        tok_(require_tokenizer(o.model)),
        template_(tokenizer::load_model_chat_template(o.model, o.chat_template)),
        kwargs_(parse_kwargs(o.kwargs)),
        color_(isatty(STDOUT_FILENO)) {
    for (int64_t id : io::eos_token_ids(o.model, model_.config())) eos_.push_back(static_cast<int32_t>(id));
    seed_ = o.seed ? *o.seed : std::random_device{}();
    reset();
  }

  void reset() {
    history_ = OrderedJson::array();
    if (!system_.empty()) history_.push_back({{"role", "system"}, {"content", system_}});
  }
  void set_system(const std::string& text) {
    system_ = text;
    reset();
  }
  void save(const std::string& path) const { write_file_atomic(path, history_.dump(2) + "\n"); }

  // Sends `message`, streams the reply, and adds both to the history.
  void reply(const std::string& message) {
    history_.push_back({{"role", "user"}, {"content", message}});
    const std::string prompt = template_.render(history_, true, kwargs_);
    generate::Engine engine(model_, {.max_batch = 1, .ctx_size = o_.ctx_size, .text_vocab = tok_.vocab_size()});
    generate::SamplingParams sampling = o_.sampling;
    sampling.seed = seed_++;
    try {
      engine.submit(
          {.prompt = tok_.encode(prompt, false), .sampling = sampling, .max_tokens = o_.max_tokens, .eos_ids = eos_});
    } catch (const Error& e) {
      history_.erase(history_.size() - 1);
      fmt::print(stderr, "{}\n", e.what());
      return;
    }
    tokenizer::StreamDecoder decoder(tok_, true);
    generate::ReasoningSplitter splitter(generate::prompt_opens_reasoning(prompt));
    std::string text;
    int64_t tokens = 0;
    const auto start = std::chrono::steady_clock::now();
    g_interrupted = false;
    engine.run([&](const generate::TokenEvent& e) {
      ++tokens;
      // EOS and ids the tokenizer has no token for are not shown (see aha generate).
      const bool shown = e.finish != generate::FinishReason::stop && tok_.id_to_token(e.token);
      const std::string piece = shown ? decoder.step(e.token) : "";
      text += piece;
      show(splitter.feed(piece));
      return !g_interrupted;
    });
    text += decoder.finish();
    show(splitter.flush());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("\n");
    fmt::print(stderr, "{}[{} tokens, {:.1f} tokens/s{}]{}\n", dim(), tokens, tokens / seconds,
               g_interrupted ? ", stopped" : "", plain());
    g_interrupted = false;
    history_.push_back({{"role", "assistant"}, {"content", text}});
  }

 private:
  static OrderedJson parse_kwargs(const std::string& text) {
    OrderedJson j = parse_ordered_json(text, "--kwargs");
    if (!j.is_object()) fail("--kwargs: expected a JSON object, got {}", j.type_name());
    return j;
  }
  // Prints answer text plainly and reasoning dimmed (or not at all with --hide-think).
  void show(const std::vector<generate::TextPiece>& pieces) {
    for (const auto& p : pieces) {
      if (p.reasoning && o_.hide_think) continue;
      fmt::print("{}{}{}", p.reasoning ? dim() : "", p.text, p.reasoning ? plain() : "");
    }
    std::fflush(stdout);
  }
  const char* dim() const { return color_ ? "\x1b[2m" : ""; }
  const char* plain() const { return color_ ? "\x1b[0m" : ""; }

  const ChatOptions& o_;
  model::Model model_;
  tokenizer::Tokenizer tok_;
  tokenizer::ChatTemplate template_;
  OrderedJson kwargs_, history_;
  std::vector<int32_t> eos_;
  std::string system_;
  uint64_t seed_ = 0;
  bool color_;
};

int run_chat(const ChatOptions& o) {
  Chat chat(o);
  if (!o.system.empty()) chat.set_system(o.system);
  install_sigint();
  const bool interactive = isatty(STDIN_FILENO);
  if (interactive)
    fmt::print(stderr, "aha chat: /reset, /system TEXT, /save FILE, /exit; Ctrl-C stops a reply, Ctrl-D leaves\n");
  std::string line;
  for (;;) {
    if (interactive) fmt::print("> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;  // EOF or Ctrl-C at the prompt
    if (line.empty()) continue;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      chat.reset();
      fmt::print(stderr, "history cleared\n");
    } else if (line.rfind("/system ", 0) == 0) {
      chat.set_system(line.substr(8));
      fmt::print(stderr, "system prompt set; history cleared\n");
    } else if (line.rfind("/save ", 0) == 0) {
      try {
        chat.save(line.substr(6));
        fmt::print(stderr, "saved to {}\n", line.substr(6));
      } catch (const Error& e) {
        fmt::print(stderr, "{}\n", e.what());
      }
    } else if (line[0] == '/') {
      fmt::print(stderr, "unknown command {}; commands: /reset, /system TEXT, /save FILE, /exit\n", line);
    } else {
      chat.reply(line);
    }
  }
  if (interactive) fmt::print("\n");
  return 0;
}

const bool registered = register_command({
    "chat",
    "Chat with a model in the terminal (history, streaming, <think> reasoning dimmed)",
    [](CLI::App& app) {
      auto o = std::make_shared<ChatOptions>();
      app.add_option("--model", o->model,
                     "Model directory with tokenizer.json and a chat template, or .gguf file with both")
          ->required();
      add_dtype_option(app, o->dtype);
      app.add_option("--system", o->system, "System prompt");
      app.add_flag("--hide-think", o->hide_think, "Do not show <think> reasoning");
      app.add_option("--chat-template", o->chat_template, "A Jinja chat template file to use instead of the model's");
      app.add_option("--kwargs", o->kwargs,
                     "Extra template variables as a JSON object, e.g. {\"enable_thinking\": false}");
      app.add_option("--max-tokens", o->max_tokens, "Most tokens per reply (default 1024; clamped to the context)");
      add_sampling_options(app, o->sampling);
      app.add_option("--seed", o->seed, "Random seed of the first reply; each reply adds 1 (default: random)");
      app.add_option("--ctx-size", o->ctx_size, "Context size (default: the model's, at most 4096)");
      return [o] { return run_chat(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
