#include "aha/train/config.hpp"

#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <variant>

#include "aha/base/error.hpp"
#include "aha/data/prompts.hpp"
#include "aha/tasks/task.hpp"
#include "aha/train/config_reader.hpp"

namespace aha::train {
namespace {

using TrainMember = std::variant<double TrainConfig::*, int64_t TrainConfig::*, bool TrainConfig::*,
                                 std::string TrainConfig::*, std::optional<bool> TrainConfig::*>;

struct TrainKey {
  const char* name;
  TrainMember member;
  bool sft_only = false;
};

// The keys of pretrain and sft beyond TrainingArguments'.
const std::vector<TrainKey>& train_keys() {
  using C = TrainConfig;
  static const std::vector<TrainKey> table = {
      {"model_config", &C::model_config},
      {"tokenizer", &C::tokenizer},
      {"eval_dataset_path", &C::eval_dataset_path},
      {"skip_bad_lines", &C::skip_bad_lines},
      {"max_length", &C::max_length},
      {"truncation", &C::truncation, true},
      {"completion_only_loss", &C::completion_only_loss, true},
      {"assistant_only_loss", &C::assistant_only_loss, true},
      {"packing", &C::packing, true},
      {"padding_free", &C::padding_free, true},
      {"prompt_template", &C::prompt_template, true},
      {"eval_steps", &C::eval_steps},
  };
  return table;
}

std::vector<std::string> key_names() {
  std::vector<std::string> names = training_argument_names();
  for (const TrainKey& k : train_keys()) names.push_back(k.name);
  return names;
}

void set_key(TrainConfig& c, const std::string& name, const YAML::Node& value, const std::string& where) {
  if (set_training_argument(c, name, value, where)) return;
  for (const TrainKey& k : train_keys()) {
    if (name != k.name) continue;
    if (k.sft_only && c.mode != TrainMode::sft) fail("{}: {}: applies to `aha sft` only", where, name);
    return std::visit([&](auto member) { set_config_value(&(c.*member), value, name, where); }, k.member);
  }
  fail_unknown_key(where, name, key_names(), "docs/training.md");
}

}  // namespace

TrainConfig load_train_config(const std::string& path, TrainMode mode, const std::vector<std::string>& overrides) {
  TrainConfig c;
  c.mode = mode;
  read_config(path, overrides, [&](const std::string& name, const YAML::Node& value, const std::string& where) {
    set_key(c, name, value, where);
  });
  validate(c, path);
  return c;
}

std::string to_yaml(const TrainConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_training_arguments(out, c);
  for (const TrainKey& k : train_keys()) {
    if (k.sft_only && c.mode != TrainMode::sft) continue;
    out << YAML::Key << k.name << YAML::Value;
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(c.*member)>;
          if constexpr (std::is_same_v<T, std::optional<bool>>) {
            if ((c.*member).has_value()) out << *(c.*member);
            else out << YAML::Null;
          } else if constexpr (std::is_same_v<T, double>) {
            out << fmt::format("{}", c.*member);
          } else {
            out << c.*member;
          }
        },
        k.member);
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace aha::train

namespace aha::train {
namespace {

void require(bool ok, const std::string& origin, const char* key, const char* what) {
  if (!ok) fail("{}: {}: {}", origin, key, what);
}

}  // namespace

void validate(const TrainConfig& c, const std::string& origin) {
  validate_training_arguments(c, origin);
  require(c.model_name_or_path.empty() != c.model_config.empty(), origin, "model_name_or_path",
          "give exactly one of model_name_or_path (an HF model directory) and model_config (a config.json)");
  require(c.model_config.empty() || !c.tokenizer.empty(), origin, "tokenizer",
          "required with model_config: the tokenizer.json of the new model");
  if (!c.dataset_task.empty()) {
    const bool text = c.mode == TrainMode::pretrain;
    const std::string task =
        tasks::current_task_name(c.dataset_task, text ? tasks::TaskKind::text : tasks::TaskKind::prompts, nullptr);
    const std::vector<std::string> names = text ? tasks::text_task_names() : tasks::task_names();
    if (std::find(names.begin(), names.end(), task) == names.end())
      fail("{}: dataset_task: unknown {} task '{}'; the built-in ones are: {}{}", origin, text ? "pretraining" : "sft",
           c.dataset_task, fmt::join(names, ", "),
           text ? " (prompt tasks with answers, such as word_problems, are for `aha sft`, grpo, distill and eval)"
                : " (equations, plain text, is for `aha pretrain`)");
  }
  require(c.prompt_template.empty() || data::is_prompt_template(c.prompt_template), origin, "prompt_template",
          ("must be " + data::prompt_template_names()).c_str());
  require(c.max_length >= 2, origin, "max_length", "must be at least 2");
  require(c.eval_steps >= 0, origin, "eval_steps", "must not be negative (0: logging_steps)");
  require(!c.use_peft || !c.model_name_or_path.empty(), origin, "use_peft",
          "LoRA trains adapters on a pretrained model: set model_name_or_path (not model_config)");
}

void check_input_paths(const TrainConfig& c, const std::string& config_path) {
  check_input_paths(config_path, {{"model_name_or_path", c.model_name_or_path},
                                  {"model_config", c.model_config},
                                  {"tokenizer", c.tokenizer},
                                  {"dataset_path", c.dataset_path},
                                  {"eval_dataset_path", c.eval_dataset_path}});
}

}  // namespace aha::train
