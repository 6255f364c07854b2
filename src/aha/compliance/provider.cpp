#include "aha/compliance/provider.hpp"

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/yaml.hpp"
#include "aha/ledger/dataset.hpp"
#include "aha/train/config.hpp"

namespace aha::compliance {

const char* const kToBeCompleted = "[to be completed by the provider]";

std::string ProviderInfo::get(const std::string& key) const {
  const auto it = fields.find(key);
  return it == fields.end() ? kToBeCompleted : it->second;
}

const std::vector<std::string>& provider_keys() {
  static const std::vector<std::string> keys = {"provider_name",
                                                "provider_contact",
                                                "authorised_representative",
                                                "model_name",
                                                "model_version",
                                                "release_date",
                                                "license",
                                                "intended_use",
                                                "limitations",
                                                "copyright_policy",
                                                "tdm_opt_out_measures",
                                                "illegal_content_measures",
                                                "other_processing",
                                                "private_data_description",
                                                "crawled_data_description",
                                                "user_data_description"};
  return keys;
}

ProviderInfo read_provider(const std::string& path) {
  ProviderInfo info;
  if (path.empty() || !is_file(path)) return info;
  const Json doc = yaml_to_json(read_file(path), path);
  if (doc.is_null()) return info;
  if (!doc.is_object()) fail("{}: must be a mapping of keys to text", path);
  const auto& keys = provider_keys();
  for (const auto& [key, value] : doc.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      const std::string near = train::nearest_key(key, keys);
      fail("{}: unknown key '{}'{}", path, key,
           near.empty() ? std::string(" (docs/provenance.md lists the keys)") : " (did you mean '" + near + "'?)");
    }
    if (value.is_string()) info.fields[key] = value.get<std::string>();
    else if (value.is_number() || value.is_boolean()) info.fields[key] = value.dump();
    else fail("{}: '{}' must be text, got {}", path, key, json_type_name(value));
  }
  return info;
}

}  // namespace aha::compliance
