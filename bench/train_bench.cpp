// Training speed: one optimisation step (forward, backward, gradient clipping, AdamW) of two
// Llama configurations with untied embeddings and of Qwen2.5-0.5B's (05b: tied, q/k/v biases,
// sequence 256, batch 1), aha's step in fp32 and with bf16: true against the same model and step
// in PyTorch fp32 and under bf16 autocast (bench/train_reference.py, Debian's python3-torch with
// OPENBLAS_CORETYPE=SkylakeX), with the same thread count. Each side runs in a fresh process per
// configuration, so that its peak resident memory (VmHWM) is that configuration's alone.
//   build/bench/train_bench [--steps N] [--warmup N] [--config 3m,58m,05b] [--no-torch]
// (--config: a comma-separated subset; default all three).
// Threads: --threads N (default: all cores, as aha's default). Internal: --child --config NAME runs
// aha's side of one configuration and prints one JSON line.
//
// FLOPs of one step, per token: 6·N + 6·L·T·q_dim, N the parameters of all matrix products (every
// linear layer and the LM head; not the embedding lookup), L layers, T the sequence length and
// q_dim = heads·head_dim. 6·N counts the forward (2·N) and backward (4·N) products; causal
// attention's q·k and p·v cost 2·(T/2)·q_dim multiply-adds per token and layer forward, times 3
// with the backward. Softmax, norms, activations and the optimizer are not counted.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "aha/backend/cpu/dispatch.hpp"
#include "aha/base/threads.hpp"
#include "aha/model/gradients.hpp"
#include "aha/model/parameter_table.hpp"
#include "aha/model/training.hpp"
#include "aha/train/gradient_step.hpp"
#include "aha/train/init_weights.hpp"
#include "llama_config.hpp"
#include "qwen05b.hpp"

#ifndef AHA_BENCH_DIR
#define AHA_BENCH_DIR "bench"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using namespace aha;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A model and the shape of its training batch. 05b's sequence 256 at batch 1 keeps a step to
// ~0.8 TFLOP (seconds on a few cores) while its products still have 256 rows; attention is ~1% of
// the FLOPs at that length, as in the two Llama configurations.
struct BenchConfig {
  std::string name;
  io::ModelConfig model;
  int64_t seq, batch;
};

const std::vector<BenchConfig>& bench_configs() {
  static const std::vector<BenchConfig> configs = {
      {"3m", bench::llama_config(256, 4, 8, 4, 688, 512), 256, 16},
      {"58m", bench::llama_config(512, 8, 8, 8, 1376, 32000), 256, 4},
      {"05b", bench::qwen25_05b_config(), 256, 1},
  };
  return configs;
}

// Parameters of the matrix products: every linear layer and the LM head (tied or not).
double matmul_parameters(const io::ModelConfig& c) {
  const double h = static_cast<double>(c.hidden_size);
  const double q = static_cast<double>(c.num_attention_heads * c.head_dim);
  const double kv = static_cast<double>(c.num_key_value_heads * c.head_dim);
  const double per_layer = h * (q + 2 * kv) + q * h + 3.0 * h * static_cast<double>(c.intermediate_size);
  return static_cast<double>(c.num_hidden_layers) * per_layer + static_cast<double>(c.vocab_size) * h;
}

// Every trained value: the architecture's parameter table (a tied head counted once).
double all_parameters(const io::ModelConfig& c) {
  double n = 0;
  for (const model::ParameterSpec& p : model::parameter_table(c)) n += static_cast<double>(tensor::numel(p.shape));
  return n;
}

// The FLOP count of one step (see the comment at the top).
double step_flops(const BenchConfig& b) {
  const double tokens = static_cast<double>(b.batch * b.seq);
  const double q_dim = static_cast<double>(b.model.num_attention_heads * b.model.head_dim);
  return tokens * (6.0 * matmul_parameters(b.model) + 6.0 * b.model.num_hidden_layers * b.seq * q_dim);
}

// Peak resident memory of this process in KiB (VmHWM of /proc/self/status).
int64_t peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

// fp32 FLOP/s of independent fused multiply-adds on every thread, in the vectors of the fp32
// kernels in use: the machine's usable peak.
double measured_peak_flops() {
  constexpr int64_t kSteps = 20'000'000;
  const backend::cpu::IsaLevel level = backend::cpu::isa_level();
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<float> sink(static_cast<size_t>(num_threads()));
    std::vector<double> flops(sink.size());
    const auto start = Clock::now();
    parallel_for(sink.size(), [&](size_t begin, size_t end) {
      for (size_t t = begin; t < end; ++t) flops[t] = backend::cpu::fma_chains_for(level, kSteps, &sink[t]);
    });
    const double seconds = seconds_since(start);
    double total = 0;
    for (double f : flops) total += f;
    best = std::max(best, total / seconds);
  }
  return best;
}

data::MicroBatch random_batch(const BenchConfig& b, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(b.model.vocab_size - 1));
  data::MicroBatch mb;
  mb.batch = b.batch;
  mb.seq = b.seq;
  const size_t rows = static_cast<size_t>(b.batch * b.seq);
  for (size_t i = 0; i < rows; ++i) mb.tokens.push_back(token(rng));
  for (size_t i = 0; i < rows; ++i) mb.targets.push_back(token(rng));
  mb.weights.assign(rows, 1.0f);
  mb.target_tokens = mb.tokens_in = static_cast<int64_t>(rows);
  return mb;
}

// aha's side of one configuration: warm-up steps, then `steps` timed steps, with the forward
// alone timed separately for a breakdown. Prints one JSON line. Figures are the fastest step
// (the machine may be shared: other work only ever slows a step down), and the mean.
int run_child(const BenchConfig& b, int steps, int warmup, bool bf16) {
  const io::ModelConfig& config = b.model;
  model::Weights weights = train::init_weights(config, 0.02, 1);
  train::GradientStep stepper(config, weights, false);
  stepper.set_bf16(bf16);
  const std::vector<data::MicroBatch> batches = {random_batch(b, 7)};
  const train::AdamWOptions options{.learning_rate = 1e-4, .weight_decay = 0.01};
  double loss = 0;
  for (int i = 0; i < warmup; ++i) loss = stepper.step(batches, options, 1.0).loss;
  double step_s = INFINITY, total_s = 0;
  for (int i = 0; i < steps; ++i) {
    const auto start = Clock::now();
    loss = stepper.step(batches, options, 1.0).loss;
    step_s = std::min(step_s, seconds_since(start));
    total_s += seconds_since(start);
  }
  const int64_t peak_kib = peak_rss_kib();  // before the forward-only pass below plans its own
  // The forward alone (loss only), to split the step's time.
  model::Activations acts(config, b.batch, b.seq, false);
  acts.bf16 = bf16;
  const data::MicroBatch& mb = batches[0];
  const model::TrainBatch tb{mb.tokens, mb.targets, mb.weights, 1.0};
  model::compute_loss(config, weights, tb, acts);
  double forward_s = INFINITY;
  for (int i = 0; i < steps; ++i) {
    const auto fwd_start = Clock::now();
    model::compute_loss(config, weights, tb, acts);
    forward_s = std::min(forward_s, seconds_since(fwd_start));
  }
  nlohmann::json out = {{"step_s", step_s},       {"mean_step_s", total_s / steps},
                        {"forward_s", forward_s}, {"tokens_per_s", static_cast<double>(b.batch * b.seq) / step_s},
                        {"loss", loss},           {"peak_rss_kib", peak_kib}};
  fmt::print("{}\n", out.dump());
  return 0;
}

// Runs `command` and parses the last line it prints that is a JSON object.
nlohmann::json run_json(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return nullptr;
  std::string line, last;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      if (line[0] == '{') last = line;
      line.clear();
    }
  }
  const int status = pclose(pipe);
  if (status != 0 || last.empty()) return nullptr;
  return nlohmann::json::parse(last, nullptr, false);
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("train_bench");
}

// One row of the comparison: a command that trains one configuration (given as --config NAME
// with the common options) in a fresh process and prints one JSON line. Every aha row is compared
// with every baseline row; a row is one more entry of sides().
struct Side {
  std::string name;
  bool baseline;
  std::string command;
};

std::vector<Side> sides(bool with_torch) {
  const std::string torch = "OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 " AHA_BENCH_DIR "/train_reference.py";
  std::vector<Side> out = {{"aha fp32", false, self_path() + " --child"},
                           {"aha bf16", false, self_path() + " --child --bf16"}};  // bf16: true
  if (!with_torch) return out;
  out.push_back({"pytorch fp32", true, torch});
  out.push_back({"pytorch bf16", true, torch + " --bf16"});  // torch.autocast("cpu", dtype=torch.bfloat16)
  return out;
}

void print_header(const BenchConfig& b) {
  const io::ModelConfig& c = b.model;
  fmt::print(
      "\n{} config: {}, dim {}, {} layers, {} heads ({} KV) of {}, FFN {}, vocab {}{}, seq {}, batch {}"
      " ({:.2f}M parameters, {:.1f} GFLOP per step)\n",
      b.name, c.model_type, c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.num_key_value_heads,
      c.head_dim, c.intermediate_size, c.vocab_size, c.tie_word_embeddings ? " tied" : "", b.seq, b.batch,
      all_parameters(c) / 1e6, step_flops(b) / 1e9);
}

void print_row(const BenchConfig& b, const std::string& who, const nlohmann::json& r, double peak) {
  if (r.is_null() || r.is_discarded()) return fmt::print("  {:12} not run or failed\n", who);
  const double flops = step_flops(b), step_s = r["step_s"].get<double>();
  fmt::print(
      "  {:12} {:8.1f} tokens/s  {:8.1f} ms/step (mean {:8.1f}, forward {:7.1f})  {:6.1f} "
      "GFLOPS = {:4.1f}% of fp32 peak  peak memory {:7.1f} MiB  loss {:.4f}\n",
      who, r["tokens_per_s"].get<double>(), step_s * 1e3, r["mean_step_s"].get<double>() * 1e3,
      r["forward_s"].get<double>() * 1e3, flops / step_s / 1e9, 100.0 * flops / step_s / peak,
      r["peak_rss_kib"].get<double>() / 1024.0, r["loss"].get<double>());
  if (r.contains("parameters") && r["parameters"].get<double>() != all_parameters(b.model))
    fmt::print("  {:12} has {} parameters, not aha's {}: not the same model\n", who, r["parameters"].get<double>(),
               all_parameters(b.model));
}

// Each side's row, then every aha side's ratios against every baseline side.
void report(const BenchConfig& b, const std::vector<Side>& rows, const std::vector<nlohmann::json>& results,
            double peak) {
  print_header(b);
  for (size_t i = 0; i < rows.size(); ++i) print_row(b, rows[i].name, results[i], peak);
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows.size(); ++j) {
      const nlohmann::json &x = results[i], &y = results[j];
      if (rows[i].baseline || !rows[j].baseline || !x.is_object() || !y.is_object()) continue;
      fmt::print("  {} / {}: {:.2f}x tokens/s, {:.2f}x peak memory\n", rows[i].name, rows[j].name,
                 x["tokens_per_s"].get<double>() / y["tokens_per_s"].get<double>(),
                 x["peak_rss_kib"].get<double>() / y["peak_rss_kib"].get<double>());
    }
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 5, warmup = 2;
  std::string only;
  bool with_torch = true, child = false, bf16 = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--steps") steps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--warmup") warmup = std::max(0, std::atoi(next().c_str()));
    else if (a == "--threads") set_num_threads(std::max(1, std::atoi(next().c_str())));
    else if (a == "--config") only = next();
    else if (a == "--child") child = true;
    else if (a == "--bf16") bf16 = true;
    else if (a == "--no-torch") with_torch = false;
    else {
      fmt::print(stderr,
                 "usage: train_bench [--steps N] [--warmup N] [--threads N] "
                 "[--config 3m,58m,05b] [--no-torch]\n");
      return 2;
    }
  }
  if (child) {
    for (const BenchConfig& b : bench_configs())
      if (b.name == only) return run_child(b, steps, warmup, bf16);
    return 2;
  }

  const int threads = num_threads();
  const double peak = measured_peak_flops();
  fmt::print("threads: {}; measured fp32 peak (independent FMAs on every thread): {:.1f} GFLOPS\n", threads,
             peak / 1e9);
  fmt::print(
      "FLOPs per step = tokens * (6 * matmul parameters + 6 * layers * seq * heads * "
      "head_dim); fastest of {} timed steps after {} warm-up steps\n",
      steps, warmup);
  const std::string common = fmt::format(" --steps {} --warmup {} --threads {}", steps, warmup, threads);
  const std::vector<Side> rows = sides(with_torch);
  for (const BenchConfig& b : bench_configs()) {
    if (!only.empty() && ("," + only + ",").find("," + b.name + ",") == std::string::npos) continue;
    std::vector<nlohmann::json> results;
    for (const Side& side : rows) results.push_back(run_json(side.command + " --config " + b.name + common));
    report(b, rows, results, peak);
  }
  return 0;
}
