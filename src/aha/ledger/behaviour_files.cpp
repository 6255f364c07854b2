#include "aha/ledger/behaviour_files.hpp"

#include <algorithm>
#include <filesystem>

#include "aha/base/file.hpp"
#include "aha/base/sha256.hpp"

namespace aha::ledger {
namespace fs = std::filesystem;

const std::vector<std::string>& behaviour_file_names() {
  static const std::vector<std::string> names = {"config.json",
                                                 "generation_config.json",
                                                 "prompt_template.json",
                                                 "adapter_config.json",
                                                 "tokenizer.json",
                                                 "tokenizer_config.json",
                                                 "special_tokens_map.json",
                                                 "added_tokens.json",
                                                 "chat_template.jinja",
                                                 "chat_template.json",
                                                 "vocab.json",
                                                 "merges.txt",
                                                 "tokenizer.model"};
  return names;
}

std::vector<std::string> present_behaviour_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : behaviour_file_names())
    if (is_file(dir + "/" + name)) out.push_back(name);
  // Hugging Face's named chat templates: additional_chat_templates/NAME.jinja.
  const fs::path extra = fs::path(dir) / "additional_chat_templates";
  std::error_code ec;
  if (fs::is_directory(extra, ec))
    for (const fs::directory_entry& e : fs::directory_iterator(extra, ec))
      if (e.is_regular_file(ec) && e.path().extension() == ".jinja")
        out.push_back("additional_chat_templates/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

Json hash_behaviour_files(const std::string& dir) {
  Json files = Json::object();
  for (const std::string& name : present_behaviour_files(dir)) files[name] = sha256_file(dir + "/" + name);
  return files;
}

bool is_safe_relative_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\0') != std::string::npos) return false;
  size_t at = 0;
  while (at <= name.size()) {
    const size_t slash = std::min(name.find('/', at), name.size());
    const std::string part = name.substr(at, slash - at);
    if (part.empty() || part == "." || part == "..") return false;
    at = slash + 1;
  }
  return true;
}

}  // namespace aha::ledger
