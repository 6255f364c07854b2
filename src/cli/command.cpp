#include "cli/command.hpp"

#include <algorithm>
#include <charconv>

#include "aha/base/error.hpp"
#include "aha/dist/world.hpp"

namespace aha::cli {
namespace {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

}  // namespace

bool register_command(Command command) {
  registry().push_back(std::move(command));
  return true;
}

std::vector<Command> registered_commands() {
  std::vector<Command> out = registry();
  std::sort(out.begin(), out.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  return out;
}

std::vector<int32_t> parse_ids(const std::string& text, const std::string& flag) {
  std::vector<int32_t> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string_view item(text.data() + start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    int32_t id = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || id < 0)
      fail("{}: '{}' is not a token id (expected comma-separated integers from 0 to {})", flag, std::string(item),
           INT32_MAX);
    ids.push_back(id);
    start = comma + 1;
  }
  return ids;
}

void add_dtype_option(CLI::App& app, model::DTypeChoice& dtype) {
  app.add_option_function<std::string>(
      "--dtype", [&dtype](const std::string& text) { dtype = model::parse_dtype_choice(text, "--dtype"); },
      "Compute dtype: auto (the checkpoint's: bfloat16 for BF16 weights, else float32), float32, bfloat16 "
      "(matrices held once in 16 bits, sums in fp32) or q8_0 (matrices quantized at load to 8 bits in blocks of "
      "32, as GGUF's Q8_0)");
}

ProgressOptions stderr_progress(const std::string& label, const std::string& unit, int64_t every_units) {
  return {.label = label, .unit = unit, .out = stderr, .terminal = stderr_is_terminal(), .every_units = every_units};
}

std::string current_task(const std::string& task, tasks::TaskKind kind) {
  std::string deprecation;
  const std::string now = tasks::current_task_name(task, kind, &deprecation);
  if (!deprecation.empty() && dist::world().rank() == 0) fmt::print(stderr, "aha: {}\n", deprecation);
  return now;
}

}  // namespace aha::cli
