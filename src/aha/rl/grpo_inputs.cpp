// load_grpo_inputs: the model, tokenizer, prompts and rewards a GRPO config names.
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/io/generation_config.hpp"
#include "aha/io/gguf/reader.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/io/prompt_template_file.hpp"
#include "aha/model/architecture.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/rl/prompt_source.hpp"
#include "aha/tokenizer/model_files.hpp"
#include "aha/train/init_weights.hpp"

namespace aha::rl {

GrpoInputs load_grpo_inputs(const GrpoConfig& c) {
  GrpoInputs in;
  const std::string dir = c.model_name_or_path;
  // An adapter directory's config.json and tokenizer are its base model's (unless it has its own).
  const auto [config_json, config_path] = io::model_config_text(dir);
  in.config_json = config_json;
  in.model_config = io::parse_model_config(parse_json(in.config_json, config_path), config_path);
  model::find_architecture(in.model_config.model_type, config_path);  // an unknown model_type names the file
  // LoRA in mixed precision keeps a BF16 base in bf16: its matrices are only ever bf16 operands.
  in.weights = model::load_weights(io::ModelDir(dir), c.use_peft && c.bf16);
  if (c.use_peft) {
    if (io::is_adapter_dir(dir))
      fail("model_name_or_path {} is an adapter: merge it into a model first (aha merge) to train new adapters on it",
           dir);
    const model::LoraSettings s{c.lora_r, c.lora_alpha, c.lora_dropout, false,
                                model::resolve_lora_targets(c.lora_target_modules, "lora_target_modules")};
    in.lora = model::zero_lora(in.model_config, s);
    train::init_lora(*in.lora, static_cast<uint64_t>(c.seed));
    in.base_model = std::filesystem::absolute(dir).lexically_normal().string();
  }
  const std::string tokenizer_dir = io::model_file_dir(dir, "tokenizer.json");
  std::optional<tokenizer::Tokenizer> tok = tokenizer::load_model_tokenizer(dir);
  if (!tok) fail("{}: no tokenizer: GRPO decodes completions to score them, so the model needs its tokenizer", dir);
  in.tokenizer = std::make_unique<tokenizer::Tokenizer>(std::move(*tok));
  in.tokenizer_files = io::gguf::is_gguf_path(tokenizer_dir) ? std::vector<std::string>{tokenizer_dir}
                                                             : tokenizer_files_of(tokenizer_dir);
  for (int64_t id : io::eos_token_ids(dir, in.model_config)) in.eos_ids.push_back(static_cast<int32_t>(id));
  if (in.eos_ids.empty())
    fail("{}: no eos_token_id in config.json or generation_config.json: completions could never end", dir);
  for (RewardSpec spec : c.reward_funcs) {
    // soft_overlong measures against the run's max_completion_length unless told otherwise.
    if (spec.name == "soft_overlong" && spec.options.is_object() && !spec.options.contains("max_completion_len"))
      spec.options["max_completion_len"] = c.max_completion_length;
    in.rewards.push_back(make_reward(spec.name, spec.options));
  }
  const PromptSourceOptions p{dir,
                              c.dataset_path,
                              c.dataset_task,
                              c.dataset_num_examples,
                              static_cast<uint64_t>(c.seed),
                              c.prompt_template,
                              c.max_prompt_length,
                              in.model_config.max_position_embeddings,
                              data::parse_prompt_truncation(c.prompt_truncation, "prompt_truncation")};
  PromptSet set = load_prompts(p, *in.tokenizer, in.rewards);
  // An empty prompt_template resolves to the model's stored one, which the config never saw.
  if (c.prompt_template.empty())
    require_rewards_fit_template(c.reward_funcs, set.prompt_template, dir + "/" + io::kPromptTemplateFile);
  if (!c.eval_dataset_path.empty() || !c.eval_dataset_task.empty()) {
    PromptSourceOptions e = p;
    e.dataset_path = c.eval_dataset_path;
    e.dataset_task = c.eval_dataset_task;
    e.split = "test";
    e.num_examples = c.eval_dataset_num_examples;
    in.eval_prompts = load_prompts(e, *in.tokenizer, in.rewards).prompts;
  }
  in.prompts = std::move(set.prompts);
  in.prompt_template = set.prompt_template;
  in.prompt_notice = set.notice;
  return in;
}

}  // namespace aha::rl
