// Training speed: one optimisation step (forward, backward, gradient clipping, AdamW; fp32) of
// two Llama configurations with untied embeddings, against the same model and step in PyTorch
// (bench/train_reference.py, Debian's python3-torch with OPENBLAS_CORETYPE=SkylakeX), with the
// same thread count. Each side runs in a fresh process per configuration, so that its peak
// resident memory (VmHWM) is that configuration's alone.
//   build/bench/train_bench [--steps N] [--warmup N] [--config 3m|58m] [--no-torch]
// Threads: --threads N (default: all cores, as aha's default). Internal: --child NAME runs aha's
// side of one configuration and prints one JSON line.
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
#include "aha/model/training.hpp"
#include "aha/train/gradient_step.hpp"
#include "aha/train/init_weights.hpp"
#include "llama_config.hpp"

#ifndef AHA_BENCH_DIR
#define AHA_BENCH_DIR "bench"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using namespace aha;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct BenchConfig {
  std::string name;
  int64_t dim, layers, heads, kv_heads, ffn, vocab, seq, batch;
};

const std::vector<BenchConfig>& bench_configs() {
  static const std::vector<BenchConfig> configs = {
      {"3m", 256, 4, 8, 4, 688, 512, 256, 16},
      {"58m", 512, 8, 8, 8, 1376, 32000, 256, 4},
  };
  return configs;
}

io::ModelConfig model_config(const BenchConfig& b) {
  return bench::llama_config(b.dim, b.layers, b.heads, b.kv_heads, b.ffn, b.vocab);
}

// Parameters of the matrix products: every linear layer and the LM head.
double matmul_parameters(const BenchConfig& b) {
  const double hd = static_cast<double>(b.dim / b.heads);
  const double q = static_cast<double>(b.heads) * hd, kv = static_cast<double>(b.kv_heads) * hd;
  const double per_layer = b.dim * (q + 2 * kv) + q * b.dim + 3.0 * b.dim * b.ffn;
  return b.layers * per_layer + static_cast<double>(b.vocab) * b.dim;
}

double all_parameters(const BenchConfig& b) {
  return matmul_parameters(b) + static_cast<double>(b.vocab) * b.dim + static_cast<double>(b.layers) * 2 * b.dim +
         b.dim;
}

// The FLOP count of one step (see the comment at the top).
double step_flops(const BenchConfig& b) {
  const double tokens = static_cast<double>(b.batch * b.seq);
  const double q_dim = static_cast<double>(b.dim);
  return tokens * (6.0 * matmul_parameters(b) + 6.0 * b.layers * b.seq * q_dim);
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
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(b.vocab - 1));
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
int run_child(const BenchConfig& b, int steps, int warmup) {
  const io::ModelConfig config = model_config(b);
  model::Weights weights = train::init_weights(config, 0.02, 1);
  train::GradientStep stepper(config, weights, false);
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

void report(const BenchConfig& b, const nlohmann::json& aha, const nlohmann::json& torch, double peak) {
  const double flops = step_flops(b);
  fmt::print(
      "\n{} config: dim {}, {} layers, {} heads ({} KV), FFN {}, vocab {}, seq {}, batch {}"
      " ({:.2f}M parameters, {:.1f} GFLOP per step)\n",
      b.name, b.dim, b.layers, b.heads, b.kv_heads, b.ffn, b.vocab, b.seq, b.batch, all_parameters(b) / 1e6,
      flops / 1e9);
  auto line = [&](const char* who, const nlohmann::json& r) {
    if (r.is_null() || r.is_discarded()) return fmt::print("  {:8} not run or failed\n", who);
    const double step_s = r["step_s"].get<double>();
    fmt::print(
        "  {:8} {:8.1f} tokens/s  {:7.1f} ms/step (mean {:7.1f}, forward {:6.1f})  {:6.1f} "
        "GFLOPS = {:4.1f}% of peak  peak memory {:7.1f} MiB  loss {:.4f}\n",
        who, r["tokens_per_s"].get<double>(), step_s * 1e3, r["mean_step_s"].get<double>() * 1e3,
        r["forward_s"].get<double>() * 1e3, flops / step_s / 1e9, 100.0 * flops / step_s / peak,
        r["peak_rss_kib"].get<double>() / 1024.0, r["loss"].get<double>());
  };
  line("aha", aha);
  line("pytorch", torch);
  if (aha.is_object() && torch.is_object())
    fmt::print("  aha / pytorch: {:.2f}x tokens/s, {:.2f}x peak memory\n",
               aha["tokens_per_s"].get<double>() / torch["tokens_per_s"].get<double>(),
               aha["peak_rss_kib"].get<double>() / torch["peak_rss_kib"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 5, warmup = 2;
  std::string only, child;
  bool with_torch = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--steps") steps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--warmup") warmup = std::max(0, std::atoi(next().c_str()));
    else if (a == "--threads") set_num_threads(std::max(1, std::atoi(next().c_str())));
    else if (a == "--config") only = next();
    else if (a == "--child") child = next();
    else if (a == "--no-torch") with_torch = false;
    else {
      fmt::print(stderr,
                 "usage: train_bench [--steps N] [--warmup N] [--threads N] "
                 "[--config 3m|58m] [--no-torch]\n");
      return 2;
    }
  }
  for (const BenchConfig& b : bench_configs())
    if (b.name == child) return run_child(b, steps, warmup);
  if (!child.empty()) return 2;

  const int threads = num_threads();
  const double peak = measured_peak_flops();
  fmt::print("threads: {}; measured fp32 peak (independent FMAs on every thread): {:.1f} GFLOPS\n", threads,
             peak / 1e9);
  fmt::print(
      "FLOPs per step = tokens * (6 * matmul parameters + 6 * layers * seq * heads * "
      "head_dim); fastest of {} timed steps after {} warm-up steps\n",
      steps, warmup);
  const std::string common = fmt::format(" --steps {} --warmup {} --threads {}", steps, warmup, threads);
  for (const BenchConfig& b : bench_configs()) {
    if (!only.empty() && b.name != only) continue;
    const nlohmann::json aha = run_json(self_path() + " --child " + b.name + common);
    nlohmann::json torch;
    if (with_torch)
      torch =
          run_json(fmt::format("OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 {}/"
                               "train_reference.py --config {}{}",
                               AHA_BENCH_DIR, b.name, common));
    report(b, aha, torch, peak);
  }
  return 0;
}
