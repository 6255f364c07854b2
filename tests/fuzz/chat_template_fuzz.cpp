// Fuzz target for the chat template interpreter: the input is a template, rendered on a fixed
// conversation with tools and extra variables. Any input must give a prompt or an aha::Error,
// never a crash, a hang or runaway memory (small limits keep every run short).
#include <cstddef>
#include <cstdint>
#include <string>

#include "aha/base/error.hpp"
#include "aha/tokenizer/chat_template.hpp"

namespace {

using OrderedJson = nlohmann::ordered_json;

const OrderedJson& messages() {
  static const OrderedJson m = OrderedJson::parse(R"([
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "What's the weather in Paris? ü 日本"},
    {"role": "assistant", "content": "<think>\ncall the tool\n</think>\n\n", "tool_calls": [
      {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "content": "{\"temp\": 21}"},
    {"role": "assistant", "content": "It is 21 °C.", "reasoning_content": "easy"},
    {"role": "user", "content": "  Thanks!  "}])");
  return m;
}

const OrderedJson& kwargs() {
  static const OrderedJson k = OrderedJson::parse(R"({"enable_thinking": false, "tools": [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
     "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]})");
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const OrderedJson tokens = {{"bos_token", "<s>"}, {"eos_token", "</s>"}};
  aha::jinja::Limits limits;
  limits.max_steps = 20000;
  limits.max_output_bytes = size_t{1} << 20;
  try {
    const aha::tokenizer::ChatTemplate chat(std::string(reinterpret_cast<const char*>(data), size), "fuzz", tokens);
    chat.render(messages(), true, kwargs(), limits);
  } catch (const aha::Error&) {
  }
  return 0;
}
