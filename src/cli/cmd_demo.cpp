// `aha demo`: DeepSeek-R1's recipe with its controls, or with --zero R1-Zero's, on built-in data
// (docs/demo.md); prints the table and writes DIR/summary.json.
#include <fmt/format.h>

#include <limits>
#include <memory>

#include "apps/demo/demo.hpp"
#include "apps/demo/zero.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct DemoCli {
  bool quick = false, zero = false;
  std::string out = "runs/demo";
  uint64_t seed = 42;
};

int run_zero(const DemoCli& c) {
  demo::ZeroOptions o;
  o.out_dir = c.out;
  o.plan = demo::zero_plan(c.quick);
  o.plan.seed = c.seed;
  o.notice = [](const std::string& line) { fmt::print(stderr, "aha demo --zero: {}\n", line); };
  o.progress = stderr_progress;
  const demo::ZeroResult r = demo::run_zero_demo(o);
  fmt::print("{}", demo::format_zero_report(r, o.plan.samples));
  fmt::print("held-out: {} items; greedy, and {} samples each at temperature {}, top-p {}; R1-Zero prompt\n",
             o.plan.test_items, o.plan.samples, o.plan.temperature, o.plan.top_p);
  fmt::print("base corpus: {} documents, {} with <think>/<answer> tags\n", r.corpus.documents.size(), r.corpus.tagged);
  fmt::print("wall time: {:.1f} s\n", r.wall_seconds);
  fmt::print("final model: {}\n", r.model_dir);
  fmt::print("results: {}/summary.json, evaluations in {}/eval/\n", c.out, c.out);
  return 0;
}

int run_demo(const DemoCli& c) {
  if (c.zero) return run_zero(c);
  demo::DemoOptions o;
  o.out_dir = c.out;
  o.plan = demo::demo_plan(c.quick);
  o.plan.seed = c.seed;
  o.notice = [](const std::string& line) { fmt::print(stderr, "aha demo: {}\n", line); };
  o.progress = stderr_progress;
  const demo::DemoResult r = demo::run_demo(o);
  fmt::print("{}", demo::format_table(r, o.plan.samples));
  fmt::print(
      "held-out: {} items; greedy, and {} samples each at temperature {}, top-p {}; scored by the strict "
      "accuracy verifier (the lenient one's scores are in summary.json)\n",
      o.plan.test_items, o.plan.samples, o.plan.temperature, o.plan.top_p);
  fmt::print("teacher: right on {:.3f} of the warm-up items\n", r.teacher_accuracy);
  fmt::print("wall time (everything but the controls): {:.1f} s\n", r.wall_seconds);
  fmt::print("final model: {}\n", r.model_dir);
  fmt::print("results: {}/summary.json, evaluations in {}/eval/\n", c.out, c.out);
  return 0;
}

const bool registered = register_command({
    "demo",
    "Run DeepSeek-R1's recipe on built-in data (SFT warm-up, then GRPO) beside the controls RL must beat; "
    "--zero runs R1-Zero's (GRPO on a pretrained base, no SFT)",
    [](CLI::App& app) {
      auto c = std::make_shared<DemoCli>();
      app.add_flag("--quick", c->quick, "A small run for tests (seconds instead of minutes)");
      app.add_flag("--zero", c->zero,
                   "R1-Zero instead: pretrain a base model on a corpus that never shows the task worked in "
                   "<think>/<answer> form, then GRPO on it directly, with no SFT");
      app.add_option("--out", c->out, "Output directory, new or empty (default runs/demo)");
      // The training configs hold the seed as a signed integer: refuse what they would refuse
      // before the demo writes anything.
      app.add_option("--seed", c->seed, "Seed of the data, the teacher, the models and the sampling (default 42)")
          ->check(CLI::Range(uint64_t{0}, uint64_t{std::numeric_limits<int64_t>::max()}));
      return [c] { return run_demo(*c); };
    },
});

}  // namespace
}  // namespace aha::cli
