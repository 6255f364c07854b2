// Chat templates: a model's tokenizer_config.json (or chat_template.jinja) template, rendered the
// way transformers' apply_chat_template renders it.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "aha/jinja/budget.hpp"

namespace aha::jinja {
class Template;
}  // namespace aha::jinja

namespace aha::tokenizer {

class ChatTemplate {
 public:
  // Loads the template of a model directory or of a tokenizer_config.json path: the file
  // chat_template.jinja beside it when present, else its "chat_template" (a string, or a list of
  // {name, template} of which "default" is used); special tokens come from tokenizer_config.json.
  static ChatTemplate load(const std::string& path);

  // A template from its text; `special_tokens` maps names such as bos_token to their text (or to
  // a list of texts, for additional_special_tokens); `origin` names the source in errors.
  ChatTemplate(const std::string& source, const std::string& origin, nlohmann::ordered_json special_tokens);

  // Renders `messages` (a JSON array of message objects) as apply_chat_template(messages,
  // add_generation_prompt=..., **kwargs) does: tools and documents default to None, special tokens
  // and every kwargs key are variables. Throws for malformed messages or kwargs and template errors.
  std::string render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                     const nlohmann::ordered_json& kwargs = nlohmann::ordered_json::object(),
                     const jinja::Limits& limits = {}) const;

  // The special tokens passed to the template.
  const nlohmann::ordered_json& special_tokens() const { return special_tokens_; }

 private:
  std::shared_ptr<const jinja::Template> template_;
  nlohmann::ordered_json special_tokens_;
};

// The names of the special tokens a template sees ("bos_token", "eos_token", ...).
const std::vector<std::string>& special_token_names();

// The special tokens transformers' special_tokens_map gives a template, read from a parsed
// tokenizer_config.json: strings or AddedToken objects ({"content": ...}); null and empty ones are left out.
nlohmann::ordered_json special_tokens_from_config(const nlohmann::ordered_json& config, const std::string& origin);

}  // namespace aha::tokenizer
