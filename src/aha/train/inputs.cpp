#include "aha/train/inputs.hpp"

#include <filesystem>
#include <memory>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/data/sft_dataset.hpp"
#include "aha/data/text_dataset.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/io/gguf/reader.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/model/architecture.hpp"
#include "aha/tasks/task.hpp"
#include "aha/tokenizer/chat_template.hpp"
#include "aha/train/init_weights.hpp"

namespace aha::train {
namespace fs = std::filesystem;
namespace {

// The tokenizer.json path and the folder holding the tokenizer's other files.
std::pair<std::string, std::string> tokenizer_location(const TrainConfig& c) {
  const std::string given =
      c.tokenizer.empty() ? io::model_file_dir(c.model_name_or_path, "tokenizer.json") : c.tokenizer;
  if (is_directory(given)) return {given + "/tokenizer.json", given};
  if (io::gguf::is_gguf_path(given)) return {given, given};  // a GGUF file holds its tokenizer
  const fs::path p(given);
  return {given, p.has_parent_path() ? p.parent_path().string() : "."};
}

std::vector<std::string> tokenizer_files(const TrainConfig& c) {
  const auto [json, dir] = tokenizer_location(c);
  std::vector<std::string> files = {json};
  if (io::gguf::is_gguf_path(json)) return files;  // write_model_files writes the tokenizer it holds
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"})
    if (is_file(dir + "/" + name)) files.push_back(dir + "/" + name);
  if (c.model_name_or_path.empty()) return files;
  const std::string generation = io::model_file_dir(c.model_name_or_path, "generation_config.json");
  if (is_file(generation + "/generation_config.json")) files.push_back(generation + "/generation_config.json");
  return files;
}

int32_t eos_id(const io::ModelConfig& m, const std::string& origin) {
  if (m.eos_token_ids.empty())
    fail("{}: no eos_token_id: training appends EOS to every text, so the config must name it", origin);
  const int64_t eos = m.eos_token_ids.front();
  if (eos < 0 || eos >= m.vocab_size) fail("{}: eos_token_id {} is outside the vocabulary", origin, eos);
  return static_cast<int32_t>(eos);
}

bool has_chat_template(const std::string& dir) {
  if (io::gguf::is_gguf_path(dir)) return io::gguf::GgufFile(dir).find("tokenizer.chat_template") != nullptr;
  if (is_file(dir + "/chat_template.jinja")) return true;
  const std::string path = dir + "/tokenizer_config.json";
  return is_file(path) && read_json_file(path).contains("chat_template");
}

int64_t token_count(const data::SequenceSet& set) {
  int64_t n = 0;
  for (const data::Sequence& s : set.sequences) n += static_cast<int64_t>(s.tokens.size());
  return n;
}

// The fingerprint of what `set` was read from: the file `path`, or the built-in `task`.
ledger::DatasetRecord fingerprint(const TrainConfig& c, const std::string& path, const std::string& task,
                                  const std::string& role, int64_t records, const data::SequenceSet& set) {
  if (!path.empty()) return ledger::fingerprint_file(path, role, records, token_count(set));
  return ledger::generator_record(task, "1", {{"num_examples", c.dataset_num_examples}}, static_cast<uint64_t>(c.seed),
                                  role, records, token_count(set));
}

data::SequenceSet text_set(const TrainConfig& c, const std::string& path, const std::string& task,
                           const tokenizer::Tokenizer& tok, int32_t eos, const std::string& role,
                           std::vector<ledger::DatasetRecord>& records) {
  data::TextSource source{path, task, static_cast<uint64_t>(c.seed), c.dataset_num_examples, c.skip_bad_lines};
  int64_t skipped = 0;
  std::vector<std::string> texts = data::read_texts(source, skipped);
  data::SequenceSet set = data::pack_texts(texts, tok, eos, c.max_length);
  set.skipped_lines = skipped;
  records.push_back(fingerprint(c, path, task, role, static_cast<int64_t>(texts.size()), set));
  return set;
}

// A file of prompt-completion or messages records; or worked solutions, from a built-in task's
// train split or a GSM8K-format file, with prompts formatted as `aha grpo` formats them.
data::SequenceSet sft_set(const TrainConfig& c, const std::string& path, const std::string& task,
                          const tokenizer::Tokenizer& tok, const tokenizer::ChatTemplate* chat, int32_t eos,
                          const std::string& role, std::vector<ledger::DatasetRecord>& records) {
  data::SftOptions o{c.max_length, c.truncation, c.completion_only_loss.value_or(true), c.assistant_only_loss,
                     c.skip_bad_lines};
  data::SequenceSet set;
  if (!task.empty() || data::is_gsm8k_file(path)) {
    const std::string format = c.prompt_template.empty() ? (chat ? "chat" : "r1_zero") : c.prompt_template;
    const std::vector<data::PromptItem> items =
        task.empty() ? data::read_prompt_dataset(path)
                     : tasks::generate_task(task, "train", c.dataset_num_examples, static_cast<uint64_t>(c.seed));
    set = data::worked_solution_sequences(items, data::parse_prompt_template(format), {&tok, chat, eos}, o,
                                          task.empty() ? path : "dataset_task " + task);
  } else {
    set = data::read_sft_dataset(path, {&tok, chat, eos}, o);
  }
  records.push_back(fingerprint(c, path, task, role, static_cast<int64_t>(set.sequences.size()), set));
  if (c.packing) set.sequences = data::pack_sequences(set.sequences, c.max_length);
  return set;
}

}  // namespace

void load_model_config(const TrainConfig& c, std::string& config_json, io::ModelConfig& model_config) {
  // An adapter directory's config.json is its base model's; a GGUF file's is the one it describes.
  std::string path = c.model_config;
  if (path.empty()) std::tie(config_json, path) = io::model_config_text(c.model_name_or_path);
  else config_json = read_file(path);
  model_config = io::parse_model_config(parse_json(config_json, path), path);
  model::find_architecture(model_config.model_type, path);  // an unknown model_type names the file
}

TrainingInputs load_training_inputs(const TrainConfig& c) {
  TrainingInputs in;
  load_model_config(c, in.config_json, in.model_config);
  const std::string origin = !c.model_config.empty()                        ? c.model_config
                             : io::gguf::is_gguf_path(c.model_name_or_path) ? c.model_name_or_path
                                                                            : c.model_name_or_path + "/config.json";
  if (c.model_name_or_path.empty()) {
    const Json config = parse_json(in.config_json, origin);
    const auto range = config.find("initializer_range");
    if (range != config.end() && !(range->is_number() && range->get<double>() > 0 && range->get<double>() < 1e3))
      fail("{}: initializer_range must be a positive number, got {}", origin, range->dump());
    in.weights = init_weights(in.model_config, range != config.end() ? range->get<double>() : 0.02,
                              static_cast<uint64_t>(c.seed));
  } else {
    // LoRA in mixed precision keeps a BF16 base in bf16: its matrices are only ever bf16 operands.
    in.weights = model::load_weights(io::ModelDir(c.model_name_or_path), c.use_peft && c.bf16);
  }
  if (c.use_peft) {
    if (io::is_adapter_dir(c.model_name_or_path))
      fail("model_name_or_path {} is an adapter: merge it into a model first (aha merge) to train new adapters on it",
           c.model_name_or_path);
    const model::LoraSettings s{c.lora_r, c.lora_alpha, c.lora_dropout, false,
                                model::resolve_lora_targets(c.lora_target_modules, "lora_target_modules")};
    in.lora = model::zero_lora(in.model_config, s);
    init_lora(*in.lora, static_cast<uint64_t>(c.seed));
    in.base_model = fs::absolute(c.model_name_or_path).lexically_normal().string();
  }
  const auto [tokenizer_json, tokenizer_dir] = tokenizer_location(c);
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(tokenizer_json);
  if (tok.vocab_size() > in.model_config.vocab_size)
    fail("{}: the tokenizer has {} ids but vocab_size is {}", origin, tok.vocab_size(), in.model_config.vocab_size);
  in.tokenizer_files = tokenizer_files(c);
  const int32_t eos = eos_id(in.model_config, origin);
  if (c.mode == TrainMode::pretrain) {
    in.train = text_set(c, c.dataset_path, c.dataset_task, tok, eos, "train", in.datasets);
    if (!c.eval_dataset_path.empty()) in.eval = text_set(c, c.eval_dataset_path, "", tok, eos, "eval", in.datasets);
    return in;
  }
  std::unique_ptr<tokenizer::ChatTemplate> chat;
  if (has_chat_template(tokenizer_dir))
    chat = std::make_unique<tokenizer::ChatTemplate>(tokenizer::ChatTemplate::load(tokenizer_dir));
  in.train = sft_set(c, c.dataset_path, c.dataset_task, tok, chat.get(), eos, "train", in.datasets);
  if (!c.eval_dataset_path.empty())
    in.eval = sft_set(c, c.eval_dataset_path, "", tok, chat.get(), eos, "eval", in.datasets);
  return in;
}

}  // namespace aha::train
