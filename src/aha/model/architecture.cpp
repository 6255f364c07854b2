#include "aha/model/architecture.hpp"

#include <algorithm>
#include <map>

#include "aha/base/error.hpp"

namespace aha::model {
namespace {

// The registry, with the built-in families registered on first use (a static library drops an
// object file that registers itself but is otherwise unreferenced).
std::map<std::string, Architecture>& registry() {
  static std::map<std::string, Architecture> architectures = [] {
    std::map<std::string, Architecture> out;
    for (const Architecture& a : {llama_family()})
      for (const std::string& type : a.model_types) out[type] = a;
    return out;
  }();
  return architectures;
}

}  // namespace

bool register_architecture(const Architecture& architecture) {
  for (const std::string& type : architecture.model_types) registry()[type] = architecture;
  return true;
}

const Architecture& find_architecture(const std::string& model_type) { return find_architecture(model_type, ""); }

const Architecture& find_architecture(const std::string& model_type, const std::string& origin) {
  const auto& r = registry();
  const auto it = r.find(model_type);
  if (it != r.end()) return it->second;
  std::string known;
  for (const auto& [type, arch] : r) known += (known.empty() ? "" : ", ") + type;
  fail("{}model_type '{}' is not supported (supported: {})", origin.empty() ? "" : origin + ": ", model_type, known);
}

}  // namespace aha::model
