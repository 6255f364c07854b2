// The progress line of a long run, as the CLI and the demo print it: on a terminal a bar rewritten
// in place ("sft  [#######.....]  400/1000 steps  loss 1.2300  5.10 steps/s  1m58s left"); under
// nohup or a batch scheduler, whose logs cannot rewrite, a plain line at a cadence plus one at the
// end. The library itself never prints (DESIGN.md): its long calls report counts through a
// ProgressCallback, and the application that owns stderr turns them into lines with a
// ProgressReporter.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace aha {

// `done` of `total` units of work so far (completions generated, prompts), as a library call
// reports it while it works.
using ProgressCallback = std::function<void(int64_t done, int64_t total)>;

// One extra field of a progress line, printed "name value" with `precision` decimals.
struct ProgressField {
  std::string name;
  double value = 0;
  int precision = 4;
};

struct ProgressOptions {
  std::string label;           // what runs: "sft", "grpo", "eval"
  std::string unit = "steps";  // what done counts, plural: steps, completions, prompts
  std::FILE* out = stderr;
  bool terminal = false;  // a bar rewritten in place; otherwise plain lines
  // Plain lines: one each time done reaches a multiple of every_units (training: logging_steps),
  // or when every_units is 0, once every_seconds have passed since the last line; always one at the end.
  int64_t every_units = 0;
  double every_seconds = 10;
  // Seconds on a steady clock; empty: std::chrono::steady_clock. Tests pass their own.
  std::function<double()> now = {};
};

// Prints the progress of one stage of work to options.out.
class ProgressReporter {
 public:
  explicit ProgressReporter(ProgressOptions options);
  // Ends a terminal bar's line when the work stopped unfinished (an error is printed next).
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Restarts the clock the rate is measured on, with `done` units already done (a resumed run).
  void start(int64_t done);
  // Reports `done` of `total` (total <= 0: unknown) with extra fields; prints when the cadence says.
  // The update that reaches total prints the final line.
  void update(int64_t done, int64_t total, const std::vector<ProgressField>& fields = {});
  // Prints the final line unless an update printed it (a run that stopped early) or none came (a
  // run with nothing to do); ends a terminal bar's line. Later calls do nothing.
  void finish();
  // A callback for library calls that count their work: update(done, total).
  ProgressCallback callback();

 private:
  double now() const;
  void print(bool last);

  ProgressOptions o_;
  double started_ = 0, last_print_ = 0;
  int64_t start_done_ = 0, done_ = 0, total_ = 0, last_printed_done_ = -1;
  std::vector<ProgressField> fields_;
  size_t drawn_width_ = 0;  // of the bar now on the terminal, to blank a longer one
  bool updated_ = false, finished_ = false;
};

// The text of a progress line without its '\r' or '\n': the bar when `bar` is true, the rate and
// the time left (or when `last`, the time taken).
std::string progress_line(const std::string& label, const std::string& unit, int64_t done, int64_t total,
                          const std::vector<ProgressField>& fields, double rate, double elapsed, bool bar, bool last);

// "42s", "1m58s", "2h03m".
std::string format_duration(double seconds);

// Whether stderr is a terminal: the CLI's choice of ProgressOptions::terminal.
bool stderr_is_terminal();

}  // namespace aha
