#include "aha/io/prompt_template_file.hpp"

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/adapter_config.hpp"

namespace aha::io {

std::optional<std::string> stored_prompt_template(const std::string& dir) {
  const std::string path = model_file_dir(dir, kPromptTemplateFile) + "/" + kPromptTemplateFile;
  if (!is_file(path)) return std::nullopt;
  const Json json = read_json_file(path);
  if (!json.is_object() || !json.contains("prompt_template") || !json["prompt_template"].is_string())
    fail("{}: expected {{\"prompt_template\": \"r1_zero\" | \"r1_zero_think\" | \"chat\" | \"raw\"}}", path);
  return json["prompt_template"].get<std::string>();
}

std::string prompt_template_file_text(const std::string& name) {
  return Json{{"prompt_template", name}}.dump(2) + "\n";
}

}  // namespace aha::io
