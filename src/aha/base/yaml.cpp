#include "aha/base/yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <regex>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"

namespace aha {
namespace {

Json scalar_to_json(const std::string& s, bool quoted) {
  if (quoted) return s;
  static const std::regex kInt("[-+]?[0-9]+"), kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  try {
    if (std::regex_match(s, kInt)) return std::stoll(s);
    if (std::regex_match(s, kFloat)) return std::stod(s);
  } catch (const std::exception&) {
    return s;  // out of range: keep the text
  }
  return s;
}

Json node_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& item : n) a.push_back(node_to_json(item));
      return a;
    }
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = node_to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: return scalar_to_json(n.Scalar(), n.Tag() == "!");
    default: return nullptr;
  }
}

}  // namespace

Json yaml_to_json(const std::string& text, const std::string& origin) {
  try {
    return node_to_json(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    fail("{}:{}: not valid YAML: {}", origin, e.mark.line + 1, e.msg);
  }
}

}  // namespace aha
