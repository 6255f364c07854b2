#include "aha/rl/grpo_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <variant>

#include "aha/base/error.hpp"
#include "aha/data/prompt_fit.hpp"
#include "aha/data/prompts.hpp"
#include "aha/rl/grpo_loss.hpp"
#include "aha/rl/sampling_correction.hpp"
#include "aha/train/config_reader.hpp"

namespace aha::rl {
namespace {

using GC = GrpoConfig;
using GrpoMember = std::variant<double GC::*, int64_t GC::*, bool GC::*, std::string GC::*, std::optional<double> GC::*,
                                std::optional<bool> GC::*, std::vector<RewardSpec> GC::*, std::vector<double> GC::*>;

struct GrpoKey {
  const char* name;
  GrpoMember member;
};

// GRPOConfig's keys beyond TrainingArguments'.
const std::vector<GrpoKey>& grpo_keys() {
  static const std::vector<GrpoKey> table = {
      {"prompt_template", &GC::prompt_template},
      {"reward_funcs", &GC::reward_funcs},
      {"reward_weights", &GC::reward_weights},
      {"num_generations", &GC::num_generations},
      {"temperature", &GC::temperature},
      {"top_p", &GC::top_p},
      {"top_k", &GC::top_k},
      {"max_prompt_length", &GC::max_prompt_length},
      {"prompt_truncation", &GC::prompt_truncation},
      {"max_completion_length", &GC::max_completion_length},
      {"mask_truncated_completions", &GC::mask_truncated_completions},
      {"dynamic_sampling", &GC::dynamic_sampling},
      {"max_dynamic_sampling_rounds", &GC::max_dynamic_sampling_rounds},
      {"rollout_quantization", &GC::rollout_quantization},
      {"vllm_importance_sampling_correction", &GC::vllm_importance_sampling_correction},
      {"vllm_importance_sampling_mode", &GC::vllm_importance_sampling_mode},
      {"vllm_importance_sampling_cap", &GC::vllm_importance_sampling_cap},
      {"beta", &GC::beta},
      {"epsilon", &GC::epsilon},
      {"epsilon_high", &GC::epsilon_high},
      {"loss_type", &GC::loss_type},
      {"scale_rewards", &GC::scale_rewards},
      {"num_iterations", &GC::num_iterations},
      {"log_completions_steps", &GC::log_completions_steps},
      // Loss variants, the generation batch, the reference model.
      {"importance_sampling_level", &GC::importance_sampling_level},
      {"delta", &GC::delta},
      {"sapo_temperature_neg", &GC::sapo_temperature_neg},
      {"sapo_temperature_pos", &GC::sapo_temperature_pos},
      {"top_entropy_quantile", &GC::top_entropy_quantile},
      {"steps_per_generation", &GC::steps_per_generation},
      {"generation_batch_size", &GC::generation_batch_size},
      {"sync_ref_model", &GC::sync_ref_model},
      {"ref_model_mixup_alpha", &GC::ref_model_mixup_alpha},
      {"ref_model_sync_steps", &GC::ref_model_sync_steps},
      {"disable_dropout", &GC::disable_dropout},
      {"share_prompt_rows", &GC::share_prompt_rows},
      {"eval_dataset_path", &GC::eval_dataset_path},
      {"eval_dataset_task", &GC::eval_dataset_task},
      {"eval_dataset_num_examples", &GC::eval_dataset_num_examples},
      {"eval_steps", &GC::eval_steps},
      {"num_generations_eval", &GC::num_generations_eval},
      {"load_best_model_at_end", &GC::load_best_model_at_end},
      {"metric_for_best_model", &GC::metric_for_best_model},
      {"greater_is_better", &GC::greater_is_better},
  };
  return table;
}

// YAML -> JSON for reward options (scalars stay strings unless they read as numbers or booleans).
nlohmann::json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : node) o[kv.first.Scalar()] = to_json(kv.second);
    return o;
  }
  if (node.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& v : node) a.push_back(to_json(v));
    return a;
  }
  if (node.IsNull()) return nullptr;
  const std::string s = node.Scalar();
  int64_t i = 0;
  double d = 0;
  if (train::parse_config_integer(s, i)) return i;
  if (train::parse_config_number(s, d)) return d;
  if (s == "true" || s == "false") return s == "true";
  return s;
}

}  // namespace

std::vector<RewardSpec> parse_reward_funcs(const YAML::Node& node, const std::string& where) {
  std::vector<RewardSpec> specs;
  auto one = [&](const YAML::Node& item) {
    if (item.IsScalar()) return specs.push_back({item.Scalar(), nlohmann::json::object()});
    if (!item.IsMap() || !item["name"] || !item["name"].IsScalar())
      fail("{}: reward_funcs: each entry is a name or a mapping with \"name\" and its options", where);
    RewardSpec spec{item["name"].Scalar(), to_json(item)};
    spec.options.erase("name");
    specs.push_back(spec);
  };
  if (node.IsSequence()) {
    for (const auto& item : node) one(item);
  } else {
    one(node);
  }
  return specs;
}

namespace {

void set_grpo_member(GC& c, const GrpoKey& key, const YAML::Node& node, const std::string& where) {
  std::visit(
      [&](auto member) {
        using T = std::remove_cvref_t<decltype(c.*member)>;
        if constexpr (std::is_same_v<T, std::vector<RewardSpec>>) c.*member = parse_reward_funcs(node, where);
        else train::set_config_value(&(c.*member), node, key.name, where);
      },
      key.member);
}

void set_grpo_key(GC& c, const std::string& name, const YAML::Node& node, const std::string& where) {
  if (train::set_training_argument(c, name, node, where)) return;
  std::vector<std::string> names = train::training_argument_names();
  for (const GrpoKey& k : grpo_keys()) {
    if (name == k.name) return set_grpo_member(c, k, node, where);
    names.push_back(k.name);
  }
  train::fail_unknown_key(where, name, names, "docs/grpo.md");
}

void require(bool ok, const std::string& origin, const char* key, const std::string& what) {
  if (!ok) fail("{}: {}: {}", origin, key, what);
}

}  // namespace

void require_rewards_fit_template(const std::vector<RewardSpec>& rewards, const std::string& prompt_template,
                                  const std::string& origin) {
  // The template opens the think block, so a completion that opens it again never scores.
  require(prompt_template != "r1_zero_think" ||
              std::none_of(rewards.begin(), rewards.end(), [](const RewardSpec& r) { return r.name == "format"; }),
          origin, "reward_funcs",
          "format never scores after prompt_template r1_zero_think, which opens <think>: use format_think_open");
}

namespace {

// The loss variants, the generation batch and the reference model's keys.
void validate_variants(const GrpoConfig& c, const std::string& origin) {
  parse_sequence_level(c.importance_sampling_level, origin + ": importance_sampling_level");
  const LossType type = parse_loss_type(c.loss_type, origin + ": loss_type");
  require(!c.delta || *c.delta > 1, origin, "delta", "must be greater than 1 (INTELLECT-2 uses 1 + ε < delta)");
  require(!c.delta || is_clipped_surrogate(type), origin, "delta",
          "applies to the clipped losses (grpo, bnpo, dr_grpo, dapo), not " + c.loss_type);
  require(type != LossType::cispo || c.epsilon_high.value_or(c.epsilon) > 0, origin, "epsilon_high",
          "must be positive with cispo: it caps the ratio itself (ScaleRL recommends 5)");
  require(c.sapo_temperature_neg > 0, origin, "sapo_temperature_neg", "must be positive");
  require(c.sapo_temperature_pos > 0, origin, "sapo_temperature_pos", "must be positive");
  require(c.top_entropy_quantile >= 0 && c.top_entropy_quantile <= 1, origin, "top_entropy_quantile",
          "must be in [0, 1] (1: every token)");
  resolved_steps_per_generation(c, 1, origin);
  require(!c.sync_ref_model || c.beta != 0, origin, "sync_ref_model",
          "needs beta > 0: with beta 0 there is no reference model to synchronize");
  require(!c.sync_ref_model || !c.use_peft, origin, "sync_ref_model",
          "is not supported with use_peft (the reference is the base with the adapters off), as in TRL");
  require(c.ref_model_mixup_alpha >= 0 && c.ref_model_mixup_alpha <= 1, origin, "ref_model_mixup_alpha",
          "must be in [0, 1]");
  require(c.ref_model_sync_steps >= 1, origin, "ref_model_sync_steps", "must be at least 1");
  require(c.rollout_quantization == "none" || c.rollout_quantization == "q8_0", origin, "rollout_quantization",
          fmt::format("must be none or q8_0, got \"{}\"", c.rollout_quantization));
  parse_sampling_correction(c.vllm_importance_sampling_mode, origin + ": vllm_importance_sampling_mode");
  require(c.vllm_importance_sampling_cap > 0 && std::isfinite(c.vllm_importance_sampling_cap), origin,
          "vllm_importance_sampling_cap", "must be a positive number (TRL's default 3)");
}

// The evaluation keys, as the HF Trainer checks them: load_best_model_at_end needs an evaluation at
// every checkpoint and a metric that evaluation logs.
void validate_eval(const GrpoConfig& c, const std::string& origin) {
  const bool eval = !c.eval_dataset_path.empty() || !c.eval_dataset_task.empty();
  require(c.eval_dataset_path.empty() || c.eval_dataset_task.empty(), origin, "eval_dataset_task",
          "give eval_dataset_path or eval_dataset_task, not both");
  require(c.eval_dataset_num_examples >= 1, origin, "eval_dataset_num_examples", "must be at least 1");
  require(c.eval_steps >= 0, origin, "eval_steps", "must not be negative (0: logging_steps)");
  require(c.num_generations_eval >= 0, origin, "num_generations_eval", "must not be negative (0: num_generations)");
  if (!c.load_best_model_at_end) return;
  require(eval, origin, "load_best_model_at_end", "needs an evaluation: set eval_dataset_path or eval_dataset_task");
  require(c.save_steps % eval_interval(c) == 0, origin, "load_best_model_at_end",
          fmt::format("save_steps ({}) must be a multiple of eval_steps ({}): every checkpoint needs an evaluation",
                      c.save_steps, eval_interval(c)));
  require(c.save_total_limit == 0, origin, "load_best_model_at_end",
          "needs every checkpoint kept (save_total_limit: 0), since any of them may be the best");
  const std::vector<std::string> names = eval_metric_names(c);
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  require(std::find(names.begin(), names.end(), c.metric_for_best_model) != names.end(), origin,
          "metric_for_best_model",
          fmt::format("\"{}\" is not an eval metric of this run ({})", c.metric_for_best_model, list));
}

}  // namespace

int64_t resolved_steps_per_generation(const GrpoConfig& c, int64_t processes, const std::string& origin) {
  require(c.steps_per_generation >= 0, origin, "steps_per_generation", "must not be negative (0: unset)");
  require(c.generation_batch_size >= 0, origin, "generation_batch_size", "must not be negative (0: unset)");
  require(c.steps_per_generation == 0 || c.generation_batch_size == 0, origin, "generation_batch_size",
          "cannot be set together with steps_per_generation (set one of them)");
  const int64_t global = c.per_device_train_batch_size * processes;
  require(c.generation_batch_size % global == 0, origin, "generation_batch_size",
          fmt::format("({}) must be a multiple of per_device_train_batch_size × processes ({})",
                      c.generation_batch_size, global));
  const int64_t steps = c.steps_per_generation    ? c.steps_per_generation
                        : c.generation_batch_size ? c.generation_batch_size / global
                                                  : c.gradient_accumulation_steps;
  require(steps % c.gradient_accumulation_steps == 0, origin, "steps_per_generation",
          fmt::format("({}) must be a multiple of gradient_accumulation_steps ({}): aha spreads one generation "
                      "batch over whole optimizer steps",
                      steps, c.gradient_accumulation_steps));
  return steps;
}

GrpoConfig load_grpo_config(const std::string& path, const std::vector<std::string>& overrides) {
  GrpoConfig c;
  train::read_config(path, overrides, [&](const std::string& name, const YAML::Node& value, const std::string& where) {
    set_grpo_key(c, name, value, where);
  });
  validate(c, path);
  return c;
}

void validate(const GrpoConfig& c, const std::string& origin) {
  train::validate_training_arguments(c, origin);
  require(!c.model_name_or_path.empty(), origin, "model_name_or_path", "required: the HF model directory to train");
  require(c.prompt_template.empty() || data::is_prompt_template(c.prompt_template), origin, "prompt_template",
          "must be " + data::prompt_template_names());
  require_rewards_fit_template(c.reward_funcs, c.prompt_template, origin);
  require(!c.reward_funcs.empty(), origin, "reward_funcs", "required: at least one reward (e.g. [accuracy, format])");
  require(c.reward_weights.empty() || c.reward_weights.size() == c.reward_funcs.size(), origin, "reward_weights",
          fmt::format("has {} weights for {} reward_funcs", c.reward_weights.size(), c.reward_funcs.size()));
  require(c.num_generations >= 2, origin, "num_generations",
          fmt::format("must be at least 2, got {}: GRPO compares each completion with the others of its group",
                      c.num_generations));
  validate_variants(c, origin);
  const int64_t batch = c.per_device_train_batch_size * resolved_steps_per_generation(c, 1, origin);
  require(batch % c.num_generations == 0, origin, "num_generations",
          fmt::format("per_device_train_batch_size × {} ({}) must be a multiple of "
                      "num_generations ({}): each generation samples whole groups",
                      c.steps_per_generation || c.generation_batch_size ? "steps_per_generation"
                                                                        : "gradient_accumulation_steps",
                      batch, c.num_generations));
  require(c.temperature > 0, origin, "temperature", "must be positive (GRPO needs sampling)");
  require(c.top_p > 0 && c.top_p <= 1, origin, "top_p", "must be in (0, 1]");
  require(c.top_k >= 0, origin, "top_k", "must not be negative (0: off)");
  require(c.max_prompt_length >= 1, origin, "max_prompt_length", "must be at least 1");
  data::parse_prompt_truncation(c.prompt_truncation, origin + ": prompt_truncation");
  require(c.max_completion_length >= 1, origin, "max_completion_length", "must be at least 1");
  require(c.max_dynamic_sampling_rounds >= 1, origin, "max_dynamic_sampling_rounds", "must be at least 1");
  require(c.beta >= 0, origin, "beta", "must not be negative");
  require(c.epsilon >= 0 && c.epsilon < 1, origin, "epsilon", "must be in [0, 1)");
  require(!c.epsilon_high || *c.epsilon_high >= 0, origin, "epsilon_high", "must not be negative");
  parse_loss_type(c.loss_type, origin + ": loss_type");
  parse_scale_rewards(c.scale_rewards, origin + ": scale_rewards");
  require(c.num_iterations >= 1, origin, "num_iterations", "must be at least 1");
  require(c.log_completions_steps >= 0, origin, "log_completions_steps", "must not be negative (0: never)");
  validate_eval(c, origin);
}

std::vector<std::string> eval_metric_names(const GrpoConfig& c) {
  if (c.eval_dataset_path.empty() && c.eval_dataset_task.empty()) return {};
  const int64_t k = c.num_generations_eval > 0 ? c.num_generations_eval : c.num_generations;
  std::vector<std::string> names = {"eval/pass@1", "eval/greedy_pass@1", fmt::format("eval/pass@{}", k),
                                    fmt::format("eval/maj@{}", k), "eval/reward"};
  for (const RewardSpec& r : c.reward_funcs) names.push_back("eval/rewards/" + r.name + "/mean");
  return names;
}

int64_t eval_interval(const GrpoConfig& c) { return c.eval_steps > 0 ? c.eval_steps : c.logging_steps; }

std::string to_yaml(const GrpoConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  train::emit_training_arguments(out, c);
  for (const GrpoKey& k : grpo_keys()) {
    out << YAML::Key << k.name << YAML::Value;
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(c.*member)>;
          if constexpr (std::is_same_v<T, std::vector<RewardSpec>>) {
            out << YAML::BeginSeq;
            for (const RewardSpec& s : c.*member) {
              if (s.options.empty()) {
                out << s.name;
                continue;
              }
              out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name;
              for (const auto& [name, value] : s.options.items())
                out << YAML::Key << name << YAML::Value
                    << (value.is_string() ? value.template get<std::string>() : value.dump());
              out << YAML::EndMap;
            }
            out << YAML::EndSeq;
          } else if constexpr (std::is_same_v<T, std::vector<double>>) {
            out << YAML::Flow << YAML::BeginSeq;
            for (double v : c.*member) out << fmt::format("{}", v);
            out << YAML::EndSeq;
          } else if constexpr (std::is_same_v<T, std::optional<double>>) {
            if (c.*member) out << fmt::format("{}", *(c.*member));
            else out << YAML::Null;
          } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
            if (c.*member) out << *(c.*member);
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

}  // namespace aha::rl
