#include "aha/tokenizer/model_files.hpp"

#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/io/gguf/import_tokenizer.hpp"

namespace aha::tokenizer {

std::optional<Tokenizer> load_model_tokenizer(const std::string& model_dir) {
  const std::string dir = io::model_file_dir(model_dir, "tokenizer.json");
  if (io::gguf::is_gguf_path(dir)) {
    if (!io::gguf::GgufFile(dir).find("tokenizer.ggml.model")) return std::nullopt;
    return Tokenizer::load(dir);
  }
  const std::string path = (std::filesystem::path(dir) / "tokenizer.json").string();
  if (!is_file(path)) return std::nullopt;
  return Tokenizer::load(path);
}

ChatTemplate load_model_chat_template(const std::string& model_dir, const std::string& override_file) {
  // An adapter without tokenizer files uses its base model's.
  const std::string dir = io::model_file_dir(model_dir, "tokenizer_config.json");
  if (io::gguf::is_gguf_path(dir)) {
    const io::gguf::GgufFile file(dir);
    if (!override_file.empty())
      return ChatTemplate(read_file(override_file), override_file, io::gguf::special_tokens(file));
    const std::optional<std::string> source = io::gguf::chat_template(file);
    if (!source) fail("{}: no chat template (tokenizer.chat_template); give a chat template file", dir);
    return ChatTemplate(*source, dir + " (tokenizer.chat_template)", io::gguf::special_tokens(file));
  }
  const std::string config = (std::filesystem::path(dir) / "tokenizer_config.json").string();
  if (override_file.empty()) {
    if (!is_file(config) && !is_file((std::filesystem::path(dir) / "chat_template.jinja").string()))
      fail("{}: no chat template (tokenizer_config.json or chat_template.jinja); give a chat template file", dir);
    return ChatTemplate::load(dir);
  }
  nlohmann::ordered_json special = nlohmann::ordered_json::object();
  if (is_file(config)) special = special_tokens_from_config(read_ordered_json_file(config), config);
  return ChatTemplate(read_file(override_file), override_file, special);
}

}  // namespace aha::tokenizer
