// `aha report`: writes one self-contained HTML page (inline CSS and SVG charts, no scripts, no
// network) about a run directory, or a demo's --out holding several runs.
#include <fmt/format.h>

#include <memory>

#include "apps/report/report.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct ReportOptions {
  std::string run, out;
};

const bool registered = register_command({
    "report",
    "Write an HTML report of a run: metric charts, sample completions, provenance",
    [](CLI::App& app) {
      auto o = std::make_shared<ReportOptions>();
      app.add_option("--run", o->run,
                     "Run directory: output_dir of pretrain, sft or grpo (holding metrics.jsonl), or a demo's --out "
                     "(runs in its immediate subdirectories)")
          ->required();
      app.add_option("--out", o->out, "HTML file to write (default: RUN/report.html)");
      app.footer(
          "The page charts every numeric metric of metrics.jsonl over steps (runs overlaid), shows sample\n"
          "completions from completions.jsonl (first and last logged step), provenance.json, a demo's\n"
          "summary.json and eval summaries under eval/. It needs no network to view. See docs/report.md.");
      return [o] {
        const std::string out = o->out.empty() ? o->run + "/report.html" : o->out;
        report::write_report(o->run, out);
        fmt::print("{}\n", out);
        return 0;
      };
    },
});

}  // namespace
}  // namespace aha::cli
