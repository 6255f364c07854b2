#include "aha/rl/rewards/options.hpp"

#include <fmt/format.h>

#include <cmath>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"

namespace aha::rl {

void check_option_keys(const nlohmann::json& options, const std::string& reward,
                       std::initializer_list<std::string_view> allowed) {
  if (options.is_null()) return;
  if (!options.is_object()) fail("reward {}: options must be a JSON object, got {}", reward, json_type_name(options));
  for (const auto& [key, value] : options.items()) {
    bool known = false;
    for (std::string_view name : allowed) known = known || name == key;
    if (known) continue;
    std::string names;
    for (std::string_view name : allowed) {
      if (!names.empty()) names += ", ";
      names += name;
    }
    fail("reward {}: unknown option \"{}\" (options: {})", reward, key, names.empty() ? "none" : names);
  }
}

double number_option(const nlohmann::json& options, const std::string& reward, const std::string& key, double fallback,
                     double low, double high) {
  if (!options.is_object() || !options.contains(key)) return fallback;
  const nlohmann::json& value = options.at(key);
  if (!value.is_number()) fail("reward {}: option \"{}\" must be a number, got {}", reward, key, json_type_name(value));
  const double x = value.get<double>();
  if (!std::isfinite(x) || x < low || x > high)
    fail("reward {}: option \"{}\" is {}, expected a number in [{}, {}]", reward, key, x, low, high);
  return x;
}

std::vector<std::string> string_list_option(const nlohmann::json& options, const std::string& reward,
                                            const std::string& key) {
  std::vector<std::string> list;
  if (!options.is_object() || !options.contains(key)) return list;
  const nlohmann::json& value = options.at(key);
  if (!value.is_array())
    fail("reward {}: option \"{}\" must be an array of strings, got {}", reward, key, json_type_name(value));
  for (const nlohmann::json& item : value) {
    if (!item.is_string())
      fail("reward {}: option \"{}\" must be an array of strings, got an element of type {}", reward, key,
           json_type_name(item));
    list.push_back(item.get<std::string>());
  }
  return list;
}

std::string choice_option(const nlohmann::json& options, const std::string& reward, const std::string& key,
                          const std::string& fallback, std::initializer_list<std::string_view> choices) {
  if (!options.is_object() || !options.contains(key)) return fallback;
  const nlohmann::json& value = options.at(key);
  std::string names;
  for (std::string_view choice : choices) names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", choice);
  if (!value.is_string())
    fail("reward {}: option \"{}\" must be one of {}, got {}", reward, key, names, json_type_name(value));
  const std::string text = value.get<std::string>();
  for (std::string_view choice : choices)
    if (choice == text) return text;
  fail("reward {}: option \"{}\" is \"{}\", expected one of {}", reward, key, text, names);
}

}  // namespace aha::rl
