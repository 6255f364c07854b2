#include "aha/io/generation_config.hpp"

#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/adapter_config.hpp"

namespace aha::io {

std::vector<int64_t> eos_token_ids(const std::string& model_dir, const ModelConfig& config) {
  const std::string dir = model_file_dir(model_dir, "generation_config.json");
  const std::string path = (std::filesystem::path(dir) / "generation_config.json").string();
  if (!is_file(path)) return config.eos_token_ids;
  const Json json = read_json_file(path);
  if (!json.is_object()) fail("{}: must be a JSON object", path);
  if (!json.contains("eos_token_id") || json["eos_token_id"].is_null()) return config.eos_token_ids;
  std::vector<int64_t> ids;
  const Json& value = json["eos_token_id"];
  for (const Json& id : value.is_array() ? value : Json::array({value})) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0)
      fail("{}: 'eos_token_id' must be a non-negative integer or a list of them", path);
    ids.push_back(id.get<int64_t>());
  }
  return ids;
}

}  // namespace aha::io
