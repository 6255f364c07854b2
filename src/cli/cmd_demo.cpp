// `aha demo`: the R1-Zero-style experiment on built-in data (docs/demo.md); prints the
// before/after table and writes DIR/summary.json.
#include <fmt/format.h>

#include <memory>

#include "apps/demo/demo.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct DemoCli {
  bool quick = false;
  std::string out = "runs/demo";
};

int run_demo(const DemoCli& c) {
  demo::DemoOptions o;
  o.out_dir = c.out;
  o.plan = demo::demo_plan(c.quick);
  o.notice = [](const std::string& line) { fmt::print(stderr, "aha demo: {}\n", line); };
  const demo::DemoResult r = demo::run_demo(o);
  fmt::print("{}", demo::format_table(r));
  fmt::print("held-out: {} items x {} samples each, temperature {}, top-p {}\n", o.plan.test_items, o.plan.samples,
             o.plan.temperature, o.plan.top_p);
  fmt::print("pass@1 {:+.4f} after GRPO, {:+.4f} after the SFT control\n", r.after.pass1 - r.before.pass1,
             r.control.pass1 - r.before.pass1);
  fmt::print("wall time (everything but the control): {:.1f} s\n", r.wall_seconds);
  fmt::print("final model: {}\n", r.model_dir);
  fmt::print("results: {}/summary.json, evaluations in {}/eval/\n", c.out, c.out);
  return 0;
}

const bool registered = register_command({
    "demo",
    "Run the R1-Zero-style experiment on built-in data: warm-up SFT, GRPO, pass@k before and after",
    [](CLI::App& app) {
      auto c = std::make_shared<DemoCli>();
      app.add_flag("--quick", c->quick, "A small run for tests (seconds instead of minutes)");
      app.add_option("--out", c->out, "Output directory, new or empty (default runs/demo)");
      return [c] { return run_demo(*c); };
    },
});

}  // namespace
}  // namespace aha::cli
