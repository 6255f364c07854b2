#include "aha/train/training_arguments.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <utility>
#include <variant>

#include "aha/base/error.hpp"
#include "aha/train/config_reader.hpp"

namespace aha::train {
namespace {

using A = TrainingArguments;
using R = RunArguments;
using ArgumentMember = std::variant<double A::*, int64_t A::*, bool A::*, std::string A::*,
                                    std::vector<std::string> A::*, int64_t R::*, std::string R::*, bool R::*>;

// True for the RunArguments members of the table.
template <typename M>
constexpr bool is_run_argument =
    std::is_same_v<M, int64_t R::*> || std::is_same_v<M, std::string R::*> || std::is_same_v<M, bool R::*>;

// Every TrainingArguments key, RunArguments' included, in the order to_yaml writes them.
const std::vector<std::pair<const char*, ArgumentMember>>& argument_keys() {
  static const std::vector<std::pair<const char*, ArgumentMember>> table = {
      {"model_name_or_path", &R::model_name_or_path},
      {"dataset_path", &R::dataset_path},
      {"dataset_task", &R::dataset_task},
      {"dataset_num_examples", &R::dataset_num_examples},
      {"learning_rate", &A::learning_rate},
      {"num_train_epochs", &A::num_train_epochs},
      {"max_steps", &A::max_steps},
      {"per_device_train_batch_size", &A::per_device_train_batch_size},
      {"gradient_accumulation_steps", &A::gradient_accumulation_steps},
      {"warmup_ratio", &A::warmup_ratio},
      {"warmup_steps", &A::warmup_steps},
      {"lr_scheduler_type", &A::lr_scheduler_type},
      {"weight_decay", &A::weight_decay},
      {"adam_beta1", &A::adam_beta1},
      {"adam_beta2", &A::adam_beta2},
      {"adam_epsilon", &A::adam_epsilon},
      {"max_grad_norm", &A::max_grad_norm},
      {"seed", &R::seed},
      {"gradient_checkpointing", &A::gradient_checkpointing},
      {"bf16", &A::bf16},
      {"threads", &R::threads},
      {"output_dir", &R::output_dir},
      {"overwrite_output_dir", &R::overwrite_output_dir},
      {"save_steps", &A::save_steps},
      {"save_total_limit", &A::save_total_limit},
      {"logging_steps", &A::logging_steps},
      {"use_peft", &A::use_peft},
      {"lora_r", &A::lora_r},
      {"lora_alpha", &A::lora_alpha},
      {"lora_dropout", &A::lora_dropout},
      {"lora_target_modules", &A::lora_target_modules},
  };
  return table;
}

void require(bool ok, const std::string& origin, const char* key, const char* what) {
  if (!ok) fail("{}: {}: {}", origin, key, what);
}

// dataset_path and dataset_task name one source between them: setting one (to a non-empty value)
// clears the other, so that the later setting, such as a --set override, wins.
void clear_other_source(RunArguments& args, const std::string& name) {
  if (name == "dataset_path" && !args.dataset_path.empty()) args.dataset_task.clear();
  if (name == "dataset_task" && !args.dataset_task.empty()) args.dataset_path.clear();
}

}  // namespace

std::vector<std::string> training_argument_names() {
  std::vector<std::string> names;
  for (const auto& [name, member] : argument_keys()) names.emplace_back(name);
  return names;
}

bool set_training_argument(TrainingArguments& args, const std::string& name, const YAML::Node& value,
                           const std::string& where) {
  for (const auto& [key, member] : argument_keys()) {
    if (name != key) continue;
    std::visit([&](auto m) { set_config_value(&(args.*m), value, name, where); }, member);
    clear_other_source(args, name);
    return true;
  }
  return false;
}

void emit_training_arguments(YAML::Emitter& out, const TrainingArguments& args) {
  for (const auto& [key, member] : argument_keys()) {
    out << YAML::Key << key << YAML::Value;
    std::visit(
        [&](auto m) {
          using T = std::remove_cvref_t<decltype(args.*m)>;
          if constexpr (std::is_same_v<T, double>) out << fmt::format("{}", args.*m);
          else if constexpr (std::is_same_v<T, std::vector<std::string>>) out << YAML::Flow << args.*m;
          else out << args.*m;
        },
        member);
  }
}

void validate_training_arguments(const TrainingArguments& c, const std::string& origin) {
  validate_run_arguments(c, origin, "the run directory");
  require(c.learning_rate > 0, origin, "learning_rate", "must be positive");
  require(c.max_steps > 0 || c.num_train_epochs > 0, origin, "num_train_epochs", "must be positive (or set max_steps)");
  require(c.per_device_train_batch_size >= 1, origin, "per_device_train_batch_size", "must be at least 1");
  require(c.gradient_accumulation_steps >= 1, origin, "gradient_accumulation_steps", "must be at least 1");
  require(c.warmup_ratio >= 0 && c.warmup_ratio <= 1, origin, "warmup_ratio", "must be in [0, 1]");
  require(c.warmup_steps >= 0, origin, "warmup_steps", "must not be negative");
  const std::vector<std::string> schedules = {"linear", "cosine", "constant", "constant_with_warmup"};
  require(std::find(schedules.begin(), schedules.end(), c.lr_scheduler_type) != schedules.end(), origin,
          "lr_scheduler_type", "must be linear, cosine, constant or constant_with_warmup");
  require(c.weight_decay >= 0, origin, "weight_decay", "must not be negative");
  require(c.adam_beta1 >= 0 && c.adam_beta1 < 1, origin, "adam_beta1", "must be in [0, 1)");
  require(c.adam_beta2 >= 0 && c.adam_beta2 < 1, origin, "adam_beta2", "must be in [0, 1)");
  require(c.adam_epsilon > 0, origin, "adam_epsilon", "must be positive");
  require(c.max_grad_norm >= 0, origin, "max_grad_norm", "must not be negative (0: no clipping)");
  require(c.save_steps >= 1, origin, "save_steps", "must be at least 1");
  require(c.save_total_limit >= 0, origin, "save_total_limit", "must not be negative (0: keep all)");
  require(c.logging_steps >= 1, origin, "logging_steps", "must be at least 1");
  if (c.use_peft) validate_lora_keys(c.lora_r, c.lora_alpha, c.lora_dropout, c.lora_target_modules, origin);
}

std::vector<std::string> run_argument_names() {
  std::vector<std::string> names;
  for (const auto& key : argument_keys())  // not a structured binding: clang 14 cannot capture one
    std::visit(
        [&](auto m) {
          if constexpr (is_run_argument<decltype(m)>) names.emplace_back(key.first);
        },
        key.second);
  return names;
}

bool set_run_argument(RunArguments& args, const std::string& name, const YAML::Node& value, const std::string& where) {
  bool found = false;
  for (const auto& [key, member] : argument_keys()) {
    if (name != key) continue;
    std::visit(
        [&](auto m) {
          if constexpr (is_run_argument<decltype(m)>) {
            set_config_value(&(args.*m), value, name, where);
            clear_other_source(args, name);
            found = true;
          }
        },
        member);
  }
  return found;
}

void validate_run_arguments(const RunArguments& c, const std::string& origin, const char* output_dir_is) {
  require(!c.output_dir.empty(), origin, "output_dir", (std::string("required: ") + output_dir_is).c_str());
  require(!c.dataset_path.empty() || !c.dataset_task.empty(), origin, "dataset_path",
          "required: dataset_path (a JSONL file) or dataset_task (a built-in task)");
  require(c.dataset_num_examples >= 1, origin, "dataset_num_examples", "must be at least 1");
  require(c.seed >= 0, origin, "seed", "must not be negative");
  require(c.threads >= 0 && c.threads <= 4096, origin, "threads", "must be in 0 .. 4096 (0: default)");
}

}  // namespace aha::train
