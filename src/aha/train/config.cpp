#include "aha/train/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <variant>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/model/lora.hpp"

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

bool parse_bool(const std::string& s, bool& out) {
  if (s == "true" || s == "True" || s == "TRUE") return out = true, true;
  if (s == "false" || s == "False" || s == "FALSE") return out = false, true;
  return false;
}

bool parse_int(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  out = v;
  return true;
}

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || *end != '\0') return false;
  out = v;
  return true;
}

// Sets a list of names from a YAML list, or from one name ("all-linear").
void set_list(std::vector<std::string>& out, const char* name, const YAML::Node& node, const std::string& where) {
  out.clear();
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return;
  }
  if (!node.IsSequence()) fail("{}: {}: expected a list of names", where, name);
  for (const auto& item : node) {
    if (!item.IsScalar()) fail("{}: {}: expected a list of names", where, name);
    out.push_back(item.Scalar());
  }
}

// Sets `key` from the YAML scalar `node`; `where` prefixes errors ("file:line" or "--set").
void set_key(TrainConfig& c, const Key& key, const YAML::Node& node, const std::string& where) {
  if (auto* list = std::get_if<std::vector<std::string> TrainConfig::*>(&key.member)) {
    set_list(c.**list, key.name, node, where);
    return;
  }
  if (!node.IsScalar() && !node.IsNull())
    fail("{}: {}: expected a single value, got a {}", where, key.name, node.IsMap() ? "mapping" : "list");
  const std::string text = node.IsNull() ? "" : node.Scalar();
  auto bad = [&](const char* expected) {
    fail("{}: {}: expected {}, got \"{}\"", where, key.name, expected, text);
  };
  std::visit(
      [&](auto member) {
        using T = std::remove_cvref_t<decltype(c.*member)>;
        if constexpr (std::is_same_v<T, double>) {
          if (!parse_double(text, c.*member)) bad("a number");
        } else if constexpr (std::is_same_v<T, int64_t>) {
          if (!parse_int(text, c.*member)) bad("an integer");
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!parse_bool(text, c.*member)) bad("true or false");
        } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
          bool v = false;
          if (node.IsNull()) c.*member = std::nullopt;
          else if (!parse_bool(text, v)) bad("true, false or null");
          else c.*member = v;
        } else if constexpr (std::is_same_v<T, std::string>) {
          c.*member = text;
        }
      },
      key.member);
}

const Key& find_key(const std::string& name, TrainMode mode, const std::string& where) {
  for (const Key& k : keys()) {
    if (name != k.name) continue;
    if (k.sft_only && mode != TrainMode::sft) fail("{}: {}: applies to `aha sft` only", where, name);
    return k;
  }
  const std::string near = nearest_key(name, key_names());
  if (near.empty()) fail("{}: unknown key '{}' (docs/training.md lists the keys)", where, name);
  fail("{}: unknown key '{}'; did you mean '{}'?", where, name, near);
}

void apply_file(TrainConfig& c, const std::string& path, TrainMode mode) {
  YAML::Node root;
  try {
    root = YAML::Load(read_file(path));
  } catch (const YAML::Exception& e) {
    fail("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg);
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) fail("{}: expected a mapping of keys to values", path);
  for (const auto& item : root) {
    const std::string where = fmt::format("{}:{}", path, item.first.Mark().line + 1);
    const std::string name = item.first.Scalar();
    set_key(c, find_key(name, mode, where), item.second, where);
  }
}

void apply_override(TrainConfig& c, const std::string& text, TrainMode mode) {
  const size_t eq = text.find('=');
  const std::string where = fmt::format("--set {}", text);
  if (eq == std::string::npos || eq == 0) fail("{}: expected key=value", where);
  const std::string name = text.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    fail("{}: the value is not valid YAML: {}", where, e.msg);
  }
  set_key(c, find_key(name, mode, where), value, where);
}

}  // namespace

std::string nearest_key(const std::string& key, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = std::max<size_t>(3, key.size() / 3) + 1;
  for (const std::string& name : names) {
    // Levenshtein distance, one row at a time.
    std::vector<size_t> row(name.size() + 1);
    for (size_t j = 0; j <= name.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= key.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= name.size(); ++j) {
        const size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (key[i - 1] == name[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    if (row[name.size()] < best_distance) best_distance = row[name.size()], best = name;
  }
  return best;
}

TrainConfig load_train_config(const std::string& path, TrainMode mode, const std::vector<std::string>& overrides) {
  TrainConfig c;
  c.mode = mode;
  apply_file(c, path, mode);
  for (const std::string& o : overrides) apply_override(c, o, mode);
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
  require(c.lora_r >= 1, origin, "lora_r", "must be at least 1");
  require(c.lora_alpha > 0, origin, "lora_alpha", "must be positive");
  require(c.lora_dropout >= 0 && c.lora_dropout < 1, origin, "lora_dropout", "must be in [0, 1)");
  model::resolve_lora_targets(c.lora_target_modules, origin + ": lora_target_modules");
  require(!c.model_name_or_path.empty(), origin, "use_peft",
          "LoRA trains adapters on a pretrained model: set model_name_or_path (not model_config)");
}

}  // namespace aha::train
