#include "aha/train/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <variant>

#include "aha/base/error.hpp"
#include "aha/train/config_reader.hpp"

namespace aha::train {
namespace {

using Member = std::variant<double TrainConfig::*, int64_t TrainConfig::*, bool TrainConfig::*,
                            std::string TrainConfig::*, std::optional<bool> TrainConfig::*,
                            std::vector<std::string> TrainConfig::*>;

struct Key {
  const char* name;
  Member member;
  bool sft_only = false;
};

const std::vector<Key>& keys() {
  using C = TrainConfig;
  static const std::vector<Key> table = {
      {"model_name_or_path", &C::model_name_or_path}, {"model_config", &C::model_config},
      {"tokenizer", &C::tokenizer}, {"dataset_path", &C::dataset_path},
      {"dataset_task", &C::dataset_task}, {"dataset_num_examples", &C::dataset_num_examples},
      {"eval_dataset_path", &C::eval_dataset_path}, {"skip_bad_lines", &C::skip_bad_lines},
      {"max_length", &C::max_length}, {"truncation", &C::truncation, true},
      {"completion_only_loss", &C::completion_only_loss, true},
      {"assistant_only_loss", &C::assistant_only_loss, true}, {"packing", &C::packing, true},
      {"learning_rate", &C::learning_rate}, {"num_train_epochs", &C::num_train_epochs},
      {"max_steps", &C::max_steps}, {"per_device_train_batch_size", &C::per_device_train_batch_size},
      {"gradient_accumulation_steps", &C::gradient_accumulation_steps},
      {"warmup_ratio", &C::warmup_ratio}, {"warmup_steps", &C::warmup_steps},
      {"lr_scheduler_type", &C::lr_scheduler_type}, {"weight_decay", &C::weight_decay},
      {"adam_beta1", &C::adam_beta1}, {"adam_beta2", &C::adam_beta2}, {"adam_epsilon", &C::adam_epsilon},
      {"max_grad_norm", &C::max_grad_norm}, {"seed", &C::seed},
      {"gradient_checkpointing", &C::gradient_checkpointing}, {"threads", &C::threads},
      {"output_dir", &C::output_dir}, {"save_steps", &C::save_steps},
      {"save_total_limit", &C::save_total_limit}, {"logging_steps", &C::logging_steps},
      {"eval_steps", &C::eval_steps}, {"use_peft", &C::use_peft}, {"lora_r", &C::lora_r},
      {"lora_alpha", &C::lora_alpha}, {"lora_dropout", &C::lora_dropout},
      {"lora_target_modules", &C::lora_target_modules},
  };
  return table;
}

std::vector<std::string> key_names() {
  std::vector<std::string> names;
  for (const Key& k : keys()) names.push_back(k.name);
  return names;
}

const Key& find_key(const std::string& name, TrainMode mode, const std::string& where) {
  for (const Key& k : keys()) {
    if (name != k.name) continue;
    if (k.sft_only && mode != TrainMode::sft) fail("{}: {}: applies to `aha sft` only", where, name);
    return k;
  }
  fail_unknown_key(where, name, key_names(), "docs/training.md");
}

}  // namespace

TrainConfig load_train_config(const std::string& path, TrainMode mode, const std::vector<std::string>& overrides) {
  TrainConfig c;
  c.mode = mode;
  read_config(path, overrides, [&](const std::string& name, const YAML::Node& value, const std::string& where) {
    std::visit([&](auto member) { set_config_value(&(c.*member), value, name, where); },
               find_key(name, mode, where).member);
  });
  validate(c, path);
  return c;
}

std::string to_yaml(const TrainConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const Key& k : keys()) {
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
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            out << YAML::Flow << c.*member;
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
  require(!c.output_dir.empty(), origin, "output_dir", "required: the run directory");
  require(c.model_name_or_path.empty() != c.model_config.empty(), origin, "model_name_or_path",
          "give exactly one of model_name_or_path (an HF model directory) and model_config (a config.json)");
  require(c.model_config.empty() || !c.tokenizer.empty(), origin, "tokenizer",
          "required with model_config: the tokenizer.json of the new model");
  require(c.dataset_path.empty() != c.dataset_task.empty(), origin, "dataset_path",
          "give exactly one of dataset_path (a JSONL file) and dataset_task (a built-in task)");
  require(c.dataset_task.empty() || c.dataset_task == "arithmetic", origin, "dataset_task",
          "unknown task; the built-in tasks are: arithmetic");
  require(c.dataset_task.empty() || c.mode == TrainMode::pretrain, origin, "dataset_task",
          "built-in tasks give plain text, for `aha pretrain`");
  require(c.dataset_num_examples >= 1, origin, "dataset_num_examples", "must be at least 1");
  require(c.max_length >= 2, origin, "max_length", "must be at least 2");
  require(c.learning_rate > 0, origin, "learning_rate", "must be positive");
  require(c.max_steps > 0 || c.num_train_epochs > 0, origin, "num_train_epochs",
          "must be positive (or set max_steps)");
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
  require(c.seed >= 0, origin, "seed", "must not be negative");
  require(c.threads >= 0 && c.threads <= 4096, origin, "threads", "must be in 0 .. 4096 (0: default)");
  require(c.save_steps >= 1, origin, "save_steps", "must be at least 1");
  require(c.save_total_limit >= 0, origin, "save_total_limit", "must not be negative (0: keep all)");
  require(c.logging_steps >= 1, origin, "logging_steps", "must be at least 1");
  require(c.eval_steps >= 0, origin, "eval_steps", "must not be negative (0: logging_steps)");
  if (!c.use_peft) return;
  validate_lora_keys(c.lora_r, c.lora_alpha, c.lora_dropout, c.lora_target_modules, origin);
  require(!c.model_name_or_path.empty(), origin, "use_peft",
          "LoRA trains adapters on a pretrained model: set model_name_or_path (not model_config)");
}

}  // namespace aha::train
