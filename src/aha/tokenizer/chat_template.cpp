#include "aha/tokenizer/chat_template.hpp"

#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/gguf/import_tokenizer.hpp"
#include "aha/jinja/json_value.hpp"
#include "aha/jinja/template.hpp"

namespace aha::tokenizer {
namespace {

using OrderedJson = nlohmann::ordered_json;

// The text of a special token: a string, or an AddedToken object; nullopt for null.
std::optional<std::string> token_text(const OrderedJson& token, const std::string& origin, const std::string& field) {
  if (token.is_null()) return std::nullopt;
  if (token.is_string()) return token.get<std::string>();
  if (token.is_object() && token.contains("content") && token["content"].is_string())
    return token["content"].get<std::string>();
  fail("{}: {} must be a string or an object with a string \"content\"", origin, field);
}

std::string template_from_config(const OrderedJson& config, const std::string& origin) {
  if (!config.contains("chat_template")) fail("{}: no chat_template (and no chat_template.jinja beside it)", origin);
  const OrderedJson& field = config["chat_template"];
  if (field.is_string()) return field.get<std::string>();
  if (!field.is_array()) fail("{}: chat_template must be a string or a list of {{name, template}}", origin);
  std::string names;
  for (const OrderedJson& entry : field) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("template") ||
        !entry["template"].is_string())
      fail("{}: every entry of chat_template must be an object with string \"name\" and \"template\"", origin);
    if (entry["name"] == "default") return entry["template"].get<std::string>();
    names += (names.empty() ? "" : ", ") + entry["name"].get<std::string>();
  }
  fail("{}: chat_template has no template named \"default\" (it has: {})", origin, names);
}

void check_messages(const OrderedJson& messages) {
  if (!messages.is_array()) fail("messages must be a JSON array of message objects, not {}", messages.type_name());
  for (size_t i = 0; i < messages.size(); ++i)
    if (!messages[i].is_object()) fail("message {} must be a JSON object, not {}", i, messages[i].type_name());
}

void check_tool_list(const OrderedJson& list, const char* key) {
  if (list.is_null()) return;
  if (!list.is_array()) fail("template variable {} must be an array of objects", key);
  for (const OrderedJson& item : list)
    if (!item.is_object()) fail("every entry of template variable {} must be an object", key);
}

}  // namespace

OrderedJson special_tokens_from_config(const OrderedJson& config, const std::string& origin) {
  OrderedJson tokens = OrderedJson::object();
  if (!config.is_object()) fail("{}: expected a JSON object", origin);
  for (const std::string& name : special_token_names()) {
    if (!config.contains(name)) continue;
    if (auto text = token_text(config[name], origin, name); text && !text->empty()) tokens[name] = *text;
  }
  if (config.contains("additional_special_tokens") && !config["additional_special_tokens"].is_null()) {
    const OrderedJson& extra = config["additional_special_tokens"];
    if (!extra.is_array()) fail("{}: additional_special_tokens must be a list", origin);
    OrderedJson texts = OrderedJson::array();
    for (const OrderedJson& token : extra)
      if (auto text = token_text(token, origin, "additional_special_tokens")) texts.push_back(*text);
    if (!texts.empty()) tokens["additional_special_tokens"] = texts;
  }
  return tokens;
}

ChatTemplate ChatTemplate::load(const std::string& path) {
  namespace fs = std::filesystem;
  if (io::gguf::is_gguf_path(path)) {
    const io::gguf::GgufFile file(path);
    const std::optional<std::string> source = io::gguf::chat_template(file);
    if (!source) fail("{}: no chat template (no metadata 'tokenizer.chat_template')", path);
    return ChatTemplate(*source, path + " (tokenizer.chat_template)", io::gguf::special_tokens(file));
  }
  const bool directory = is_directory(path);
  if (!directory && !is_file(path)) fail("{}: no such model directory or tokenizer_config.json", path);
  const fs::path config_path = directory ? fs::path(path) / "tokenizer_config.json" : fs::path(path);
  const fs::path jinja_path = config_path.parent_path() / "chat_template.jinja";
  OrderedJson config = OrderedJson::object();
  if (is_file(config_path.string())) config = read_ordered_json_file(config_path.string());
  else if (!is_file(jinja_path.string())) fail("{}: has no tokenizer_config.json", path);
  OrderedJson tokens = special_tokens_from_config(config, config_path.string());
  if (is_file(jinja_path.string()))
    return ChatTemplate(read_file(jinja_path.string()), jinja_path.string(), std::move(tokens));
  return ChatTemplate(template_from_config(config, config_path.string()), config_path.string() + " (chat_template)",
                      std::move(tokens));
}

ChatTemplate::ChatTemplate(const std::string& source, const std::string& origin, OrderedJson special_tokens)
    : template_(std::make_shared<const jinja::Template>(source, origin)), special_tokens_(std::move(special_tokens)) {}

std::string ChatTemplate::render(const OrderedJson& messages, bool add_generation_prompt, const OrderedJson& kwargs,
                                 const jinja::Limits& limits) const {
  check_messages(messages);
  if (!kwargs.is_object()) fail("template variables must be a JSON object, not {}", kwargs.type_name());
  for (const char* reserved : {"messages", "add_generation_prompt"})
    if (kwargs.contains(reserved)) fail("template variable '{}' is set by aha itself and cannot be given", reserved);
  if (kwargs.contains("tools")) check_tool_list(kwargs["tools"], "tools");
  if (kwargs.contains("documents")) check_tool_list(kwargs["documents"], "documents");
  std::unordered_map<std::string, jinja::Value> variables;
  for (const auto& [key, value] : special_tokens_.items()) variables[key] = jinja::from_json(value);
  variables["tools"] = jinja::Value::none();
  variables["documents"] = jinja::Value::none();
  for (const auto& [key, value] : kwargs.items()) variables[key] = jinja::from_json(value);
  variables["messages"] = jinja::from_json(messages);
  variables["add_generation_prompt"] = jinja::Value::from_bool(add_generation_prompt);
  return template_->render(variables, limits);
}

const std::vector<std::string>& special_token_names() {
  static const std::vector<std::string> names = {"bos_token", "eos_token", "unk_token", "sep_token",
                                                 "pad_token", "cls_token", "mask_token"};
  return names;
}

}  // namespace aha::tokenizer
