// Reading a reward's options (a JSON object) with errors that name the reward and the option.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace aha::rl {

// Throws a bad-input Error when `options` is not an object (null counts as empty) or has a key
// outside `allowed`.
void check_option_keys(const nlohmann::json& options, const std::string& reward,
                       std::initializer_list<std::string_view> allowed);

// The number option `key` of `options`, `fallback` when absent; must lie in [low, high].
double number_option(const nlohmann::json& options, const std::string& reward, const std::string& key, double fallback,
                     double low, double high);

// The option `key` of `options` as a list of strings, empty when absent.
std::vector<std::string> string_list_option(const nlohmann::json& options, const std::string& reward,
                                            const std::string& key);

// The string option `key` of `options`, `fallback` when absent; must be one of `choices`.
std::string choice_option(const nlohmann::json& options, const std::string& reward, const std::string& key,
                          const std::string& fallback, std::initializer_list<std::string_view> choices);

}  // namespace aha::rl
