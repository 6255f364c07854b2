#include "aha/rl/prompt_source.hpp"

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/data/prompts.hpp"
#include "aha/tokenizer/chat_template.hpp"

namespace aha::rl {
namespace {

bool has_chat_template(const std::string& dir) {
  if (is_file(dir + "/chat_template.jinja")) return true;
  const std::string path = dir + "/tokenizer_config.json";
  return is_file(path) && read_json_file(path).contains("chat_template");
}

}  // namespace

std::vector<std::string> tokenizer_files_of(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                           "generation_config.json"})
    if (is_file(dir + "/" + name)) files.push_back(dir + "/" + name);
  return files;
}

std::vector<GrpoPrompt> load_prompts(const PromptSourceOptions& o, const tokenizer::Tokenizer& tokenizer,
                                     const std::vector<std::unique_ptr<RewardFunction>>& rewards) {
  const std::string origin = o.dataset_path.empty() ? "dataset_task " + o.dataset_task : o.dataset_path;
  const std::vector<data::PromptItem> items =
      o.dataset_path.empty() ? tasks::generate_task(o.dataset_task, "train", o.num_examples, o.seed)
                             : data::read_prompt_dataset(o.dataset_path);
  const bool chat_available = has_chat_template(o.model_dir);
  std::string name = o.prompt_template;
  if (name.empty()) name = chat_available ? "chat" : "r1_zero";
  const data::PromptTemplate format = data::parse_prompt_template(name);
  std::unique_ptr<tokenizer::ChatTemplate> chat;
  if (format == data::PromptTemplate::chat) {
    if (!chat_available)
      fail(
          "prompt_template: chat, but {} has no chat template (tokenizer_config.json or chat_template.jinja); "
          "use r1_zero or raw",
          o.model_dir);
    chat = std::make_unique<tokenizer::ChatTemplate>(tokenizer::ChatTemplate::load(o.model_dir));
  }
  std::vector<GrpoPrompt> prompts;
  for (size_t i = 0; i < items.size(); ++i) {
    for (const auto& reward : rewards) {
      try {
        reward->check_answer(items[i].answer);
      } catch (const Error& e) {
        fail("{}: item {}: {}", origin, i + 1, e.what());
      }
    }
    GrpoPrompt p{data::format_prompt(items[i], format, chat.get()), {}, items[i].answer};
    p.ids = tokenizer.encode(p.text);
    const auto n = static_cast<int64_t>(p.ids.size());
    if (n == 0) fail("{}: item {}: the prompt is empty", origin, i + 1);
    if (n > o.max_prompt_length)
      fail("{}: item {}: the prompt has {} tokens, more than max_prompt_length ({})", origin, i + 1, n,
           o.max_prompt_length);
    if (o.context > 0 && n >= o.context)
      fail("{}: item {}: the prompt has {} tokens, which leaves no room to generate in the model's context of {}",
           origin, i + 1, n, o.context);
    prompts.push_back(std::move(p));
  }
  return prompts;
}

}  // namespace aha::rl
