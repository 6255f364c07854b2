// `aha chat-template`: renders JSON message lists with a model's chat template, one per line.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/tokenizer/chat_template.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

using OrderedJson = nlohmann::ordered_json;

struct ChatTemplateOptions {
  std::string tokenizer, kwargs;
  bool no_generation_prompt = false;
};

int run_chat_template(const ChatTemplateOptions& o) {
  const tokenizer::ChatTemplate chat = tokenizer::ChatTemplate::load(o.tokenizer);
  const OrderedJson kwargs = o.kwargs.empty() ? OrderedJson::object() : parse_ordered_json(o.kwargs, "--kwargs");
  if (!kwargs.is_object()) fail("--kwargs must be a JSON object, not {}", kwargs.type_name());
  std::string line;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    try {
      const OrderedJson messages = parse_ordered_json(line, "the line");
      const std::string prompt = chat.render(messages, !o.no_generation_prompt, kwargs);
      std::cout << OrderedJson(prompt).dump() << '\n' << std::flush;
    } catch (const Error& e) {
      throw Error(e.kind(), fmt::format("stdin line {}: {}", number, e.what()));
    }
  }
  return 0;
}

const bool registered = register_command({
    "chat-template",
    "Render chat messages (one JSON array a line on stdin) with a model's chat template",
    [](CLI::App& app) {
      auto o = std::make_shared<ChatTemplateOptions>();
      app.add_option("--tokenizer", o->tokenizer, "Model directory, tokenizer_config.json or .gguf file")->required();
      app.add_flag("--no-generation-prompt", o->no_generation_prompt,
                   "Do not end with the assistant's header (add_generation_prompt=False)");
      app.add_option("--kwargs", o->kwargs,
                     "JSON object of extra template variables, e.g. {\"enable_thinking\": false}");
      return [o] { return run_chat_template(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
