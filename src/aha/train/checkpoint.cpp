#include "aha/train/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/gguf/import_tokenizer.hpp"
#include "aha/io/prompt_template_file.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/ledger/weights_hash.hpp"
#include "aha/model/adapter.hpp"
#include "aha/model/gradients.hpp"

namespace aha::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kPrefix = "checkpoint-";
constexpr const char* kTempPrefix = ".tmp-checkpoint-";
constexpr const char* kAsideInfix = ".old-";  // checkpoint-<step>.old-<pid>: renamed aside for its replacement

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_io(dir, "cannot open directory");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail_io(dir, "cannot flush directory");
}

// The step of a directory named checkpoint-<step>, or -1.
int64_t checkpoint_step(const std::string& name) {
  if (name.rfind(kPrefix, 0) != 0) return -1;
  const std::string digits = name.substr(std::string(kPrefix).size());
  if (digits.empty() || digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::stoll(digits);
}

// The step of a directory named checkpoint-<step>.old-<pid>, or -1.
int64_t aside_step(const std::string& name) {
  const size_t at = name.find(kAsideInfix);
  return at == std::string::npos ? -1 : checkpoint_step(name.substr(0, at));
}

std::vector<std::pair<int64_t, std::string>> checkpoints(const std::string& output_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    const int64_t step = checkpoint_step(entry.path().filename().string());
    if (step >= 0 && entry.is_directory()) found.emplace_back(step, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// transformers' TrainerState fields (a single process, no hyperparameter search, no
// metric_for_best_model), plus aha's own under "aha_" names.
Json trainer_state_json(const TrainerState& s, const std::string& output_dir) {
  Json t{{"best_global_step", nullptr},
         {"best_metric", nullptr},
         {"best_model_checkpoint", nullptr},
         {"epoch", s.epoch},
         {"eval_steps", s.eval_steps},
         {"global_step", s.global_step},
         {"is_hyper_param_search", false},
         {"is_local_process_zero", true},
         {"is_world_process_zero", true},
         {"log_history", s.log_history},
         {"logging_steps", s.logging_steps},
         {"max_steps", s.max_steps},
         {"num_input_tokens_seen", s.num_input_tokens_seen},
         {"num_train_epochs", s.num_train_epochs},
         {"save_steps", s.save_steps},
         {"stateful_callbacks", Json::object()},
         {"total_flos", 0.0},
         {"train_batch_size", s.train_batch_size},
         {"trial_name", nullptr},
         {"trial_params", nullptr},
         {"aha_output_dir", output_dir},
         {"aha_bad_steps_in_a_row", s.bad_steps_in_a_row},
         {"aha_pending_log",
          {{"loss_sum", s.since_log.loss_sum}, {"steps", s.since_log.steps}, {"tokens", s.since_log.tokens}}},
         {"aha_train_seconds", s.train_seconds},
         {"aha_started_at", s.started_at}};
  if (!s.rollout.is_null()) t["aha_rollout"] = s.rollout;
  return t;
}

void write_optimizer(const std::string& path, AdamW& optimizer, const std::vector<std::string>& names) {
  std::map<std::string, tensor::Tensor> tensors;
  for (size_t i = 0; i < names.size(); ++i) {
    const int64_t n = static_cast<int64_t>(optimizer.exp_avg(i).size());
    tensors[names[i] + ".exp_avg"] = tensor::Tensor::from_f32({n}, optimizer.exp_avg(i));
    tensors[names[i] + ".exp_avg_sq"] = tensor::Tensor::from_f32({n}, optimizer.exp_avg_sq(i));
  }
  io::write_safetensors(path, tensors, {{"step", std::to_string(optimizer.steps())}});
}

}  // namespace

void write_model_files(const std::string& dir, const ModelFiles& files) {
  fs::create_directories(dir);
  if (files.lora) {
    model::write_adapter(dir, *files.lora, files.base_model);
  } else {
    write_file_atomic(dir + "/config.json", files.config_json);
    const auto tensors = model::to_tensors(*files.weights);
    io::write_safetensors(dir + "/model.safetensors", tensors,
                          {{"format", "pt"}, {ledger::kWeightsMetadataKey, ledger::hash_tensors(tensors).sha256}});
  }
  for (const std::string& path : files.tokenizer_files) {
    if (!io::gguf::is_gguf_path(path)) {
      write_file_atomic(dir + "/" + fs::path(path).filename().string(), read_file(path));
      continue;
    }
    for (const auto& [name, text] : io::gguf::tokenizer_files(io::gguf::GgufFile(path)))
      write_file_atomic(dir + "/" + name, text);
  }
  if (!files.prompt_template.empty())
    write_file_atomic(dir + "/" + io::kPromptTemplateFile, io::prompt_template_file_text(files.prompt_template));
}

void save_checkpoint(const std::string& output_dir, const ModelFiles& model, AdamW& optimizer,
                     const std::vector<std::string>& parameter_names, const TrainerState& state, uint64_t seed) {
  const std::string final_dir = output_dir + "/" + kPrefix + std::to_string(state.global_step);
  const std::string temp = fmt::format("{}/{}{}-{}", output_dir, kTempPrefix, state.global_step, getpid());
  std::error_code ec;
  if (!fs::create_directory(temp, ec)) fail_io(temp, ec ? "cannot create directory" : "already exists");
  write_model_files(temp, model);
  if (model.ref_model)
    write_model_files(temp + "/ref_model", {model.config_json, model.ref_model, {}, nullptr, "", "", nullptr});
  write_optimizer(temp + "/optimizer.safetensors", optimizer, parameter_names);
  write_file_atomic(temp + "/trainer_state.json", trainer_state_json(state, output_dir).dump(2) + "\n");
  write_file_atomic(temp + "/rng_state.json", Json{{"seed", seed},
                                                   {"epoch", state.cursor.epoch},
                                                   {"note", "aha's random streams derive from (seed, purpose, index)"}}
                                                      .dump(2) +
                                                  "\n");
  write_file_atomic(
      temp + "/data_state.json",
      Json{{"epoch", state.cursor.epoch}, {"index", state.cursor.index}, {"num_sequences", state.num_sequences}}.dump(
          2) +
          "\n");
  fsync_directory(temp);
  replace_directory(temp, final_dir);
}

void replace_directory(const std::string& complete, const std::string& target) {
  // A complete checkpoint of the same step (from an earlier attempt) goes aside first and is
  // deleted last: a crash at any point leaves a complete one, which recover_checkpoints keeps.
  const fs::path parent = fs::path(target).parent_path();
  const std::string aside = fmt::format("{}{}{}", target, kAsideInfix, getpid());
  std::error_code ec;
  const bool had = fs::exists(target, ec);
  if (had) {
    fs::remove_all(aside, ec);
    fs::rename(target, aside, ec);
    if (ec) fail_io(target, "cannot rename the earlier checkpoint aside");
  }
  fs::rename(complete, target, ec);
  if (ec) fail_io(target, "cannot rename the checkpoint into place");
  fsync_directory(parent.empty() ? "." : parent.string());
  if (had) fs::remove_all(aside, ec);
}

TrainerState read_trainer_state(const std::string& dir) {
  const Json t = read_json_file(dir + "/trainer_state.json");
  const Json d = read_json_file(dir + "/data_state.json");
  TrainerState s;
  try {
    s.global_step = t.at("global_step").get<int64_t>();
    s.epoch = t.at("epoch").get<double>();
    s.max_steps = t.at("max_steps").get<int64_t>();
    s.log_history = t.at("log_history");
    s.bad_steps_in_a_row = t.value("aha_bad_steps_in_a_row", int64_t{0});
    const Json pending = t.value("aha_pending_log", Json::object());
    s.since_log = {pending.value("loss_sum", 0.0), pending.value("steps", int64_t{0}),
                   pending.value("tokens", int64_t{0})};
    s.rollout = t.value("aha_rollout", Json());
    s.num_input_tokens_seen = t.value("num_input_tokens_seen", int64_t{0});
    s.train_seconds = t.value("aha_train_seconds", 0.0);
    s.started_at = t.value("aha_started_at", std::string());
    s.cursor = {d.at("epoch").get<int64_t>(), d.at("index").get<int64_t>()};
    s.num_sequences = d.at("num_sequences").get<int64_t>();
  } catch (const Json::exception& e) {
    fail("{}: trainer_state.json or data_state.json is malformed: {}", dir, e.what());
  }
  return s;
}

void read_optimizer(const std::string& dir, AdamW& optimizer, const std::vector<std::string>& names) {
  io::SafetensorsFile file(dir + "/optimizer.safetensors");
  for (size_t i = 0; i < names.size(); ++i) {
    for (bool second : {false, true}) {
      const std::string moment = second ? ".exp_avg_sq" : ".exp_avg";
      std::vector<float> values = file.get(names[i] + moment).to_f32();
      std::vector<float>& target = second ? optimizer.exp_avg_sq(i) : optimizer.exp_avg(i);
      if (values.size() != target.size())
        fail("{}: {}{} has {} values, the model needs {}", file.path(), names[i], moment, values.size(), target.size());
      target = std::move(values);
    }
  }
  auto step = file.metadata().find("step");
  if (step == file.metadata().end()) fail("{}: no \"step\" in the metadata", file.path());
  optimizer.set_steps(std::stoll(step->second));
}

std::optional<std::string> newest_checkpoint(const std::string& output_dir) {
  auto found = checkpoints(output_dir);
  if (found.empty()) return std::nullopt;
  return found.back().second;
}

void prune_checkpoints(const std::string& output_dir, int64_t limit) {
  if (limit <= 0) return;
  auto found = checkpoints(output_dir);
  for (size_t i = 0; i + static_cast<size_t>(limit) < found.size(); ++i) fs::remove_all(found[i].second);
}

bool is_checkpoint_entry(const std::string& name) { return checkpoint_step(name) >= 0 || aside_step(name) >= 0; }

bool is_partial_checkpoint_entry(const std::string& name) { return name.rfind(kTempPrefix, 0) == 0; }

void recover_checkpoints(const std::string& output_dir) {
  std::error_code ec;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& path : entries) {
    const std::string name = path.filename().string();
    if (is_partial_checkpoint_entry(name)) {
      fs::remove_all(path, ec);
      if (ec) fail_io(path.string(), "cannot remove the partial checkpoint");
    } else if (const int64_t step = aside_step(name); step >= 0) {
      const fs::path checkpoint = path.parent_path() / (kPrefix + std::to_string(step));
      if (fs::exists(checkpoint, ec)) fs::remove_all(path, ec);  // its replacement is complete
      else fs::rename(path, checkpoint, ec);                     // the replacement never arrived
      if (ec) fail_io(path.string(), "cannot recover the checkpoint set aside");
    }
  }
}

void remove_checkpoints(const std::string& output_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec))
    if (is_checkpoint_entry(entry.path().filename().string())) fs::remove_all(entry.path());
}

std::string resume_directory(const std::string& output_dir, ResumeMode mode, const std::string& resume_path,
                             const std::function<void(const std::string&)>& notice) {
  if (mode == ResumeMode::path) {
    if (!is_file(resume_path + "/trainer_state.json"))
      fail("resume from checkpoint {}: not a checkpoint directory (no trainer_state.json)", resume_path);
    return resume_path;
  }
  const auto newest = newest_checkpoint(output_dir);
  if (mode == ResumeMode::none) {
    if (newest)
      fail("output_dir {} already holds {}; resume to continue that run or choose another output_dir", output_dir,
           std::filesystem::path(*newest).filename().string());
    return "";
  }
  if (!newest) {
    if (notice) notice(fmt::format("no checkpoint in {}: starting from scratch", output_dir));
    return "";
  }
  return *newest;
}

}  // namespace aha::train
