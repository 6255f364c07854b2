#include "aha/rl/distill.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <map>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/data/random.hpp"
#include "aha/generate/engine.hpp"
#include "aha/io/generation_config.hpp"
#include "aha/model/decoder.hpp"
#include "aha/rl/prompt_source.hpp"
#include "aha/train/config.hpp"

namespace aha::rl {
namespace {

using Setter = std::function<void(DistillConfig&, const YAML::Node&, const std::string&)>;

template <typename T>
Setter scalar(T DistillConfig::*member) {
  return [member](DistillConfig& c, const YAML::Node& node, const std::string& where) {
    try {
      if (!node.IsScalar()) throw YAML::Exception(node.Mark(), "expected a single value");
      c.*member = node.as<T>();
    } catch (const YAML::Exception&) {
      fail("{}: expected a single {}", where, std::is_same_v<T, std::string> ? "text" : "number");
    }
  };
}

const std::map<std::string, Setter>& setters() {
  using C = DistillConfig;
  static const std::map<std::string, Setter> table = {
      {"model_name_or_path", scalar(&C::model_name_or_path)}, {"dataset_path", scalar(&C::dataset_path)},
      {"dataset_task", scalar(&C::dataset_task)}, {"dataset_num_examples", scalar(&C::dataset_num_examples)},
      {"prompt_template", scalar(&C::prompt_template)}, {"min_reward", scalar(&C::min_reward)},
      {"num_samples", scalar(&C::num_samples)}, {"max_kept_per_prompt", scalar(&C::max_kept_per_prompt)},
      {"temperature", scalar(&C::temperature)}, {"top_p", scalar(&C::top_p)}, {"top_k", scalar(&C::top_k)},
      {"max_prompt_length", scalar(&C::max_prompt_length)},
      {"max_completion_length", scalar(&C::max_completion_length)}, {"batch_size", scalar(&C::batch_size)},
      {"seed", scalar(&C::seed)}, {"threads", scalar(&C::threads)}, {"output_dir", scalar(&C::output_dir)},
      {"reward_funcs", [](C& c, const YAML::Node& node, const std::string& where) {
         c.reward_funcs = parse_reward_funcs(node, where);
       }},
  };
  return table;
}

void set(DistillConfig& c, const std::string& name, const YAML::Node& value, const std::string& where) {
  const auto it = setters().find(name);
  if (it == setters().end()) {
    std::vector<std::string> names;
    for (const auto& [key, setter] : setters()) names.push_back(key);
    const std::string near = train::nearest_key(name, names);
    if (near.empty()) fail("{}: unknown key '{}' (docs/grpo.md lists the keys)", where, name);
    fail("{}: unknown key '{}'; did you mean '{}'?", where, name, near);
  }
  it->second(c, value, fmt::format("{}: {}", where, name));
}

void require(bool ok, const std::string& origin, const char* key, const char* what) {
  if (!ok) fail("{}: {}: {}", origin, key, what);
}

void validate(const DistillConfig& c, const std::string& origin) {
  require(!c.model_name_or_path.empty(), origin, "model_name_or_path", "required: the teacher model directory");
  require(!c.output_dir.empty(), origin, "output_dir", "required: where the dataset is written");
  require(c.dataset_path.empty() != c.dataset_task.empty(), origin, "dataset_path",
          "give exactly one of dataset_path (a JSONL file) and dataset_task (a built-in task)");
  require(!c.reward_funcs.empty(), origin, "reward_funcs", "required: the reward(s) that decide what is kept");
  require(c.num_samples >= 1 && c.num_samples <= 4096, origin, "num_samples", "must be in 1 .. 4096");
  require(c.max_kept_per_prompt >= 0, origin, "max_kept_per_prompt", "must not be negative (0: keep all)");
  require(c.dataset_num_examples >= 1, origin, "dataset_num_examples", "must be at least 1");
  require(c.temperature >= 0, origin, "temperature", "must not be negative (0: greedy)");
  require(c.top_p > 0 && c.top_p <= 1, origin, "top_p", "must be in (0, 1]");
  require(c.top_k >= 0, origin, "top_k", "must not be negative");
  require(c.max_prompt_length >= 1 && c.max_completion_length >= 1, origin, "max_completion_length",
          "max_prompt_length and max_completion_length must be at least 1");
  require(c.batch_size >= 1, origin, "batch_size", "must be at least 1");
  require(c.seed >= 0, origin, "seed", "must not be negative");
  require(c.threads >= 0 && c.threads <= 4096, origin, "threads", "must be in 0 .. 4096 (0: default)");
}

std::string dataset_yaml(const DistillConfig& c, const DistillSummary& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << std::filesystem::path(c.output_dir).filename().string();
  out << YAML::Key << "created_by" << YAML::Value << "aha distill (rejection sampling)";
  out << YAML::Key << "format" << YAML::Value << "prompt-completion JSONL (train.jsonl), for aha sft";
  out << YAML::Key << "synthetic" << YAML::Value << true;
  out << YAML::Key << "category" << YAML::Value << "synthetic";  // the ledger's names (EU summary 2.5)
  out << YAML::Key << "generated_by" << YAML::Value << std::filesystem::absolute(c.model_name_or_path).string();
  out << YAML::Key << "teacher" << YAML::Value << std::filesystem::absolute(c.model_name_or_path).string();
  out << YAML::Key << "source" << YAML::Value
      << (c.dataset_path.empty() ? "built-in task " + c.dataset_task + " (train split)"
                                 : std::filesystem::absolute(c.dataset_path).string());
  out << YAML::Key << "rewards" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const RewardSpec& r : c.reward_funcs) out << r.name;
  out << YAML::EndSeq;
  out << YAML::Key << "min_reward" << YAML::Value << c.min_reward;
  out << YAML::Key << "sampling" << YAML::Value << YAML::BeginMap << YAML::Key << "num_samples" << YAML::Value
      << c.num_samples << YAML::Key << "temperature" << YAML::Value << c.temperature << YAML::Key << "top_p"
      << YAML::Value << c.top_p << YAML::Key << "top_k" << YAML::Value << c.top_k << YAML::Key
      << "max_completion_length" << YAML::Value << c.max_completion_length << YAML::Key << "seed" << YAML::Value
      << c.seed << YAML::EndMap;
  out << YAML::Key << "counts" << YAML::Value << YAML::BeginMap << YAML::Key << "prompts" << YAML::Value << s.prompts
      << YAML::Key << "generated" << YAML::Value << s.generated << YAML::Key << "kept" << YAML::Value << s.kept
      << YAML::Key << "prompts_with_kept" << YAML::Value << s.prompts_with_kept << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

DistillConfig load_distill_config(const std::string& path, const std::vector<std::string>& overrides) {
  DistillConfig c;
  YAML::Node root;
  try {
    root = YAML::Load(read_file(path));
  } catch (const YAML::Exception& e) {
    fail("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg);
  }
  if (!root.IsNull() && !root.IsMap()) fail("{}: expected a mapping of keys to values", path);
  if (root.IsMap())
    for (const auto& item : root)
      set(c, item.first.Scalar(), item.second, fmt::format("{}:{}", path, item.first.Mark().line + 1));
  for (const std::string& text : overrides) {
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) fail("--set {}: expected key=value", text);
    YAML::Node value;
    try {
      value = YAML::Load(text.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      fail("--set {}: the value is not valid YAML: {}", text, e.msg);
    }
    set(c, text.substr(0, eq), value, "--set");
  }
  validate(c, path);
  return c;
}

DistillSummary run_distill(const DistillConfig& c) {
  const model::Model teacher(c.model_name_or_path);
  const std::string dir = c.model_name_or_path;
  if (!is_file(dir + "/tokenizer.json"))
    fail("{}: no tokenizer.json: distillation decodes the teacher's completions, so it needs its tokenizer", dir);
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(dir + "/tokenizer.json");
  std::vector<int32_t> eos;
  for (int64_t id : io::eos_token_ids(dir, teacher.config())) eos.push_back(static_cast<int32_t>(id));
  if (eos.empty()) fail("{}: no eos_token_id in config.json or generation_config.json: completions could never end", dir);
  std::vector<std::unique_ptr<RewardFunction>> rewards;
  for (const RewardSpec& spec : c.reward_funcs) rewards.push_back(make_reward(spec.name, spec.options));
  const std::vector<GrpoPrompt> prompts =
      load_prompts({dir, c.dataset_path, c.dataset_task, c.dataset_num_examples, static_cast<uint64_t>(c.seed),
                    c.prompt_template, c.max_prompt_length, teacher.config().max_position_embeddings},
                   tok, rewards);

  generate::Engine engine(teacher, {c.batch_size, std::min<int64_t>(teacher.config().max_position_embeddings,
                                                                     c.max_prompt_length + c.max_completion_length)});
  data::RandomStream seeds(static_cast<uint64_t>(c.seed), "distill");
  for (const GrpoPrompt& p : prompts) {
    generate::Request request;
    request.prompt = p.ids;
    request.sampling.temperature = static_cast<float>(c.temperature);
    request.sampling.top_p = static_cast<float>(c.top_p);
    request.sampling.top_k = c.top_k;
    request.sampling.seed = seeds.next_u64();
    request.n = c.num_samples;
    request.max_tokens = c.max_completion_length;
    request.eos_ids = eos;
    engine.submit(std::move(request));
  }
  std::vector<std::vector<int32_t>> ids(prompts.size() * static_cast<size_t>(c.num_samples));
  engine.run([&](const generate::TokenEvent& e) {
    ids[e.request * c.num_samples + e.sample].push_back(e.token);
    return true;
  });

  std::vector<RewardInput> inputs;
  for (size_t i = 0; i < ids.size(); ++i)
    inputs.push_back({prompts[i / c.num_samples].text, tok.decode(ids[i], true), prompts[i / c.num_samples].answer});
  std::vector<bool> keep(inputs.size(), true);
  for (auto& reward : rewards) {
    const std::vector<double> scores = reward->score(inputs);
    for (size_t i = 0; i < scores.size() && i < keep.size(); ++i)
      if (!(scores[i] >= c.min_reward)) keep[i] = false;
  }
  DistillSummary s;
  s.prompts = static_cast<int64_t>(prompts.size());
  s.generated = static_cast<int64_t>(inputs.size());
  std::string jsonl;
  for (size_t p = 0; p < prompts.size(); ++p) {
    int64_t kept = 0;
    for (int64_t k = 0; k < c.num_samples; ++k) {
      const size_t i = p * static_cast<size_t>(c.num_samples) + static_cast<size_t>(k);
      if (!keep[i] || (c.max_kept_per_prompt > 0 && kept >= c.max_kept_per_prompt)) continue;
      jsonl += nlohmann::json{{"prompt", inputs[i].prompt}, {"completion", inputs[i].completion}}.dump() + "\n";
      ++kept;
    }
    s.kept += kept;
    if (kept > 0) ++s.prompts_with_kept;
  }
  std::filesystem::create_directories(c.output_dir);
  s.dataset_path = c.output_dir + "/train.jsonl";
  write_file_atomic(s.dataset_path, jsonl);
  write_file_atomic(c.output_dir + "/DATASET.yaml", dataset_yaml(c, s));
  return s;
}

}  // namespace aha::rl
