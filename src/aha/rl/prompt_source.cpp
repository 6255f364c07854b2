#include "aha/rl/prompt_source.hpp"

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/data/prompts.hpp"
#include "aha/tokenizer/chat_template.hpp"
#include "aha/tokenizer/model_files.hpp"

namespace aha::rl {

std::vector<std::string> tokenizer_files_of(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                           "generation_config.json"})
    if (is_file(dir + "/" + name)) files.push_back(dir + "/" + name);
  return files;
}

PromptSet load_prompts(const PromptSourceOptions& o, const tokenizer::Tokenizer& tokenizer,
                       const std::vector<std::unique_ptr<RewardFunction>>& rewards) {
  const std::string origin = o.dataset_path.empty() ? "dataset_task " + o.dataset_task : o.dataset_path;
  const std::vector<data::PromptItem> items =
      o.dataset_path.empty() ? tasks::generate_task(o.dataset_task, o.split, o.num_examples, o.seed)
                             : data::read_prompt_dataset(o.dataset_path);
  PromptSet set;
  set.prompt_template = data::resolve_prompt_template(o.prompt_template, o.model_dir);
  const data::PromptTemplate format = data::parse_prompt_template(set.prompt_template);
  std::unique_ptr<tokenizer::ChatTemplate> chat;
  if (format == data::PromptTemplate::chat) {
    if (!data::has_chat_template(o.model_dir))
      fail(
          "prompt_template: chat, but {} has no chat template (tokenizer_config.json or chat_template.jinja); "
          "use r1_zero or raw",
          o.model_dir);
    chat = std::make_unique<tokenizer::ChatTemplate>(tokenizer::load_model_chat_template(o.model_dir, ""));
  }
  const data::PromptLimits limits{o.max_prompt_length, o.context, o.truncation, data::SettingNames::config_keys};
  set.counts.prompts = static_cast<int64_t>(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string item = data::prompt_item_name(origin, items[i], i);
    for (const auto& reward : rewards) {
      try {
        reward->check_answer(items[i].answer);
      } catch (const Error& e) {
        fail("{}: {}", item, e.what());
      }
    }
    GrpoPrompt p{data::format_prompt(items[i], format, chat.get()), {}, items[i].answer, false, items[i].columns};
    p.ids = tokenizer.encode(p.text);
    if (p.ids.empty()) fail("{}: the prompt is empty", item);
    const data::PromptFit fit = data::fit_prompt(p.ids, limits, item);
    if (fit == data::PromptFit::skipped) {
      ++set.counts.skipped;
      continue;
    }
    if (fit == data::PromptFit::truncated) {
      // The text the rewards and completions.jsonl see is what the model sees, as TRL decodes it.
      p.text = tokenizer.decode(p.ids);
      p.truncated = true;
      ++set.counts.truncated;
    }
    set.prompts.push_back(std::move(p));
  }
  if (set.prompts.empty())
    fail(
        "{}: every one of its {} prompts is longer than {} tokens and prompt_truncation is skip; use "
        "prompt_truncation: left or raise max_prompt_length",
        origin, items.size(), data::prompt_token_limit(limits));
  set.notice = set.counts.notice(origin, limits);
  return set;
}

}  // namespace aha::rl
