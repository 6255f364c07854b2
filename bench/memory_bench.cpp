// Peak resident memory of aha's commands on one model directory (the Qwen2.5-0.5B-shaped one
// that build/bench/write_qwen05b writes, or any other): `aha generate`, `aha sft` with LoRA and
// `aha grpo` with LoRA, each run as a child process whose peak resident set (ru_maxrss from wait4)
// is set beside the baseline a bf16 runtime needs: the weights stored in bf16 plus the key/value
// cache of the command's sequences (aha's fp32 cache: 2 · layers · kv_heads · head_dim · 4 bytes
// per position). Issue #14 asks peak / (bf16 weights + KV cache) <= 1.3 for generate.
//   build/bench/memory_bench --model DIR [--prompt-tokens N] [--max-tokens N] [--steps N]
//       [--only generate,sft,grpo] [--generate-args "ARGS"] [--train-args "ARGS"] [--threads N]
//       [--keep DIR]
// generate: --prompt-tokens ids (default 128) and --max-tokens (default 128), --ctx-size their sum.
// sft: LoRA (PEFT's defaults: r 16 on q_proj and v_proj), gradient checkpointing, micro-batches of
// 4 sequences of 128 tokens (64 prompt, 64 completion with EOS). grpo: LoRA, gradient
// checkpointing, one prompt of 64 tokens, 8 completions of 64 tokens per step (the model's EOS lies
// past the tokenizer, so every completion is 64 tokens), rewarded by an `external` awk program with
// the parity of its request line's length: rewards that differ within the group, so that every
// step trains (a micro-batch whose advantages are all 0 skips its backward). Both run --steps steps
// (default 2). --generate-args and --train-args are appended to the commands (e.g. "--dtype
// bfloat16" and "--set bf16=true"). The data, configs and logs go to a temporary directory, removed
// unless a command failed, or to --keep DIR.
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "aha/base/file.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/model/parameter_table.hpp"

#ifndef AHA_BINARY
#define AHA_BINARY "aha"
#endif

namespace {

using namespace aha;
namespace fs = std::filesystem;

constexpr int64_t kSftBatch = 4, kSftPrompt = 64, kSftCompletion = 63;  // + EOS: 128 tokens
constexpr int64_t kGrpoPrompt = 64, kGrpoCompletion = 64, kGrpoGroup = 8;

struct Options {
  std::string model, keep, only = "generate,sft,grpo", generate_args, train_args;
  int64_t prompt_tokens = 128, max_tokens = 128, steps = 2, threads = 0;
};

// One command to measure, and the key/value cache positions it holds at most.
struct Job {
  std::string name;
  std::vector<std::string> argv;
  int64_t kv_positions;
};

struct ChildResult {
  bool ok = false;
  double peak_mib = 0, wall_s = 0;
};

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

// Runs `argv` with stdout and stderr to `log`; its peak resident memory from wait4.
ChildResult run_measured(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  std::fflush(stdout);  // or the child would write this process's buffered lines again
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(log.c_str(), "w", stdout) || dup2(fileno(stdout), 2) < 0) _exit(127);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (pid < 0 || wait4(pid, &status, 0, &usage) != pid) return {};
  return {WIFEXITED(status) && WEXITSTATUS(status) == 0, static_cast<double>(usage.ru_maxrss) / 1024.0,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

// `n` lowercase letters starting at letter `first`: `n` tokens of the byte-level tokenizer.
std::string letters(int64_t n, int64_t first) {
  std::string s;
  for (int64_t i = 0; i < n; ++i) s += static_cast<char>('a' + (first + i) % 26);
  return s;
}

void write_sft_data(const std::string& path, int64_t examples) {
  std::string text;
  for (int64_t i = 0; i < examples; ++i)
    text += fmt::format(R"({{"prompt": "{}", "completion": "{}"}})", letters(kSftPrompt, i),
                        letters(kSftCompletion, i + 7)) +
            "\n";
  write_file_atomic(path, text);
}

void write_grpo_data(const std::string& path, int64_t prompts) {
  std::string text;
  for (int64_t i = 0; i < prompts; ++i)
    text += fmt::format(R"({{"prompt": "{}", "answer": "1"}})", letters(kGrpoPrompt, i)) + "\n";
  write_file_atomic(path, text);
}

// The YAML keys both training commands share.
std::string common_yaml(const Options& o, const std::string& data, const std::string& out) {
  return fmt::format(
      "model_name_or_path: {}\ndataset_path: {}\noutput_dir: {}\nuse_peft: true\ngradient_checkpointing: true\n"
      "max_steps: {}\nsave_steps: 100000\nlogging_steps: 1\nseed: 1\n",
      fs::absolute(o.model).string(), data, out, o.steps);
}

std::string sft_yaml(const Options& o, const std::string& work) {
  return common_yaml(o, work + "/sft.jsonl", work + "/sft") +
         fmt::format("per_device_train_batch_size: {}\nmax_length: {}\n", kSftBatch, kSftPrompt + kSftCompletion + 1);
}

std::string grpo_yaml(const Options& o, const std::string& work) {
  return common_yaml(o, work + "/grpo.jsonl", work + "/grpo") +
         fmt::format(
             "prompt_template: raw\nreward_funcs:\n  - {{name: external, command: [awk, \"{{ print length($0) % 2; "
             "fflush() }}\"]}}\nnum_generations: {}\nper_device_train_batch_size: {}\n"
             "max_prompt_length: {}\nmax_completion_length: {}\nlog_completions_steps: 0\n",
             kGrpoGroup, kGrpoGroup, kGrpoPrompt, kGrpoCompletion);
}

// The command line of `aha <command>`, with --threads and the extra arguments.
std::vector<std::string> aha_command(const Options& o, std::vector<std::string> args, const std::string& extra) {
  args.insert(args.begin(), AHA_BINARY);
  if (o.threads > 0) args.insert(args.end(), {"--threads", std::to_string(o.threads)});
  for (const std::string& w : split_words(extra)) args.push_back(w);
  return args;
}

std::vector<Job> jobs(const Options& o, const std::string& work) {
  std::string ids;
  for (int64_t i = 0; i < o.prompt_tokens; ++i) {
    if (i > 0) ids += ',';
    ids += std::to_string('a' + i % 26);
  }
  std::vector<Job> out;
  out.push_back(
      {"generate",
       aha_command(o,
                   {"generate", "--model", o.model, "--ids", ids, "--max-tokens", std::to_string(o.max_tokens),
                    "--ctx-size", std::to_string(o.prompt_tokens + o.max_tokens), "--seed", "1", "--json"},
                   o.generate_args),
       o.prompt_tokens + o.max_tokens});
  write_sft_data(work + "/sft.jsonl", kSftBatch * o.steps);
  write_file_atomic(work + "/sft.yaml", sft_yaml(o, work));
  out.push_back({"sft", aha_command(o, {"sft", "--config", work + "/sft.yaml"}, o.train_args), 0});
  write_grpo_data(work + "/grpo.jsonl", o.steps);
  write_file_atomic(work + "/grpo.yaml", grpo_yaml(o, work));
  out.push_back({"grpo", aha_command(o, {"grpo", "--config", work + "/grpo.yaml"}, o.train_args),
                 kGrpoGroup * (kGrpoPrompt + kGrpoCompletion)});
  return out;
}

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--model") o.model = v;
    else if (a == "--prompt-tokens") o.prompt_tokens = std::max<int64_t>(1, std::atoll(v.c_str()));
    else if (a == "--max-tokens") o.max_tokens = std::max<int64_t>(1, std::atoll(v.c_str()));
    else if (a == "--steps") o.steps = std::max<int64_t>(1, std::atoll(v.c_str()));
    else if (a == "--threads") o.threads = std::max<int64_t>(0, std::atoll(v.c_str()));
    else if (a == "--only") o.only = v;
    else if (a == "--generate-args") o.generate_args = v;
    else if (a == "--train-args") o.train_args = v;
    else if (a == "--keep") o.keep = v;
    else return false;
  }
  return argc % 2 == 1 && !o.model.empty();
}

std::string make_work_dir(const Options& o) {
  if (!o.keep.empty()) {
    fs::create_directories(o.keep);
    return fs::absolute(o.keep).string();
  }
  std::string pattern = (fs::temp_directory_path() / "memory_bench.XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a directory under " + pattern);
  return pattern;
}

void print_row(const Job& job, const ChildResult& r, double weights_mib, double kv_mib_per_position,
               const std::string& log) {
  const double kv = kv_mib_per_position * static_cast<double>(job.kv_positions);
  if (!r.ok) return fmt::print("  {:9} failed: see {}\n", job.name, log);
  fmt::print("  {:9} {:10.1f} {:12.1f} {:10.1f} {:10.2f} {:8.1f}\n", job.name, r.peak_mib, weights_mib, kv,
             r.peak_mib / (weights_mib + kv), r.wall_s);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_options(argc, argv, o)) {
    fmt::print(stderr,
               "usage: memory_bench --model DIR [--prompt-tokens N] [--max-tokens N] [--steps N] [--only "
               "generate,sft,grpo] [--generate-args \"ARGS\"] [--train-args \"ARGS\"] [--threads N] [--keep DIR]\n");
    return 2;
  }
  const io::ModelConfig c = io::read_model_config(o.model + "/config.json");
  double parameters = 0;
  for (const model::ParameterSpec& p : model::parameter_table(c))
    parameters += static_cast<double>(tensor::numel(p.shape));
  const double weights_mib = 2.0 * parameters / (1 << 20);
  const double kv_mib =
      2.0 * static_cast<double>(c.num_hidden_layers * c.num_key_value_heads * c.head_dim) * 4.0 / (1 << 20);
  const std::string work = make_work_dir(o);
  fmt::print("model {}: {}, {:.1f}M parameters = {:.1f} MiB in bf16; fp32 KV cache {:.1f} KiB per position\n", o.model,
             c.model_type, parameters / 1e6, weights_mib, kv_mib * 1024);
  fmt::print("  {:9} {:>10} {:>12} {:>10} {:>10} {:>8}\n", "command", "peak MiB", "bf16 weights", "KV MiB",
             "peak/(w+KV)", "wall s");
  bool all_ok = true;
  for (const Job& job : jobs(o, work)) {
    if (("," + o.only + ",").find("," + job.name + ",") == std::string::npos) continue;
    const std::string log = work + "/" + job.name + ".log";
    fmt::print(stderr, "{}\n", join(job.argv));
    const ChildResult r = run_measured(job.argv, log);
    all_ok = all_ok && r.ok;
    print_row(job, r, weights_mib, kv_mib, log);
  }
  if (o.keep.empty() && all_ok) fs::remove_all(work);
  return all_ok ? 0 : 1;
}
