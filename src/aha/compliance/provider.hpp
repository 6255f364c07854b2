// provider.yaml: what aha cannot know about a model — who provides it, how to reach them, its
// licence and the provider's policies — for the model card and the EU training summary.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace aha::compliance {

// The text every field aha cannot know gets when provider.yaml does not give it.
extern const char* const kToBeCompleted;

struct ProviderInfo {
  std::map<std::string, std::string> fields;  // key -> value, only keys provider.yaml set
  // The value of `key`, or kToBeCompleted.
  std::string get(const std::string& key) const;
  // True when provider.yaml set `key`.
  bool has(const std::string& key) const { return fields.count(key) != 0; }
};

// The keys provider.yaml may hold.
const std::vector<std::string>& provider_keys();

// Reads `path` ("" or an absent file gives no fields). An unknown key (with the nearest known
// one suggested) or a non-string value is a bad-input Error naming the file and key.
ProviderInfo read_provider(const std::string& path);

}  // namespace aha::compliance
