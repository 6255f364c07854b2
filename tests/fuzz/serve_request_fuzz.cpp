// Fuzz target for the server's request reading: the input is a POST body, read as a chat
// completion request (its messages then rendered by a ChatML template) and as a completion
// request. Any input must give parameters or an aha::Error, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "aha/base/error.hpp"
#include "aha/tokenizer/chat_template.hpp"
#include "apps/serve/request.hpp"

namespace {

const aha::tokenizer::ChatTemplate& chatml() {
  static const aha::tokenizer::ChatTemplate t(
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n{% if think %}<think>\n{% endif %}{% endif %}",
      "fuzz", nlohmann::ordered_json::object());
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  aha::jinja::Limits limits;
  limits.max_steps = 20000;
  limits.max_output_bytes = size_t{1} << 20;
  try {
    const aha::serve::OrderedJson json = aha::serve::parse_body(body);
    try {
      const aha::serve::ChatRequest chat = aha::serve::parse_chat_request(json);
      chatml().render(chat.messages, true, chat.template_kwargs, limits);
    } catch (const aha::Error&) {
    }
    aha::serve::parse_completion_request(json);
  } catch (const aha::Error&) {
  }
  return 0;
}
