#include "aha/base/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace aha {
namespace {

constexpr int64_t kBarWidth = 24;
// A terminal bar is redrawn at most this often: a tiny model's thousand steps a second would
// otherwise spend their time writing to the terminal.
constexpr double kRedrawSeconds = 0.1;

// "steps" -> "step", for a rate under one per second ("12.5 s/step").
std::string singular(const std::string& unit) {
  return unit.size() > 1 && unit.back() == 's' ? unit.substr(0, unit.size() - 1) : unit;
}

std::string format_rate(double rate, const std::string& unit) {
  if (rate >= 1) return fmt::format("{:.2f} {}/s", rate, unit);
  return fmt::format("{:.1f} s/{}", 1 / rate, singular(unit));
}

}  // namespace

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

std::string progress_line(const std::string& label, const std::string& unit, int64_t done, int64_t total,
                          const std::vector<ProgressField>& fields, double rate, double elapsed, bool bar, bool last) {
  std::string line = label;
  if (bar && total > 0) {
    const int64_t filled = std::clamp<int64_t>(done * kBarWidth / total, 0, kBarWidth);
    line += fmt::format("  [{}{}]  ", std::string(filled, '#'), std::string(kBarWidth - filled, '.'));
  } else {
    line += bar ? "  " : ": ";
  }
  line += total > 0 ? fmt::format("{}/{} {}", done, total, unit) : fmt::format("{} {}", done, unit);
  if (!bar && total > 0) line += fmt::format(" ({}%)", std::clamp<int64_t>(done * 100 / total, 0, 100));
  for (const ProgressField& f : fields) line += fmt::format("  {} {:.{}f}", f.name, f.value, f.precision);
  if (rate > 0) line += "  " + format_rate(rate, unit);
  if (last) line += "  done in " + format_duration(elapsed);
  else if (rate > 0 && total > 0) line += "  " + format_duration((total - done) / rate) + " left";
  return line;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressReporter::ProgressReporter(ProgressOptions options) : o_(std::move(options)) { start(0); }

ProgressReporter::~ProgressReporter() {
  if (o_.terminal && drawn_width_ > 0 && !finished_) std::fputc('\n', o_.out);
}

double ProgressReporter::now() const {
  if (o_.now) return o_.now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void ProgressReporter::start(int64_t done) {
  started_ = last_print_ = now();
  start_done_ = done_ = last_printed_done_ = done;
}

void ProgressReporter::update(int64_t done, int64_t total, const std::vector<ProgressField>& fields) {
  if (finished_) return;
  updated_ = true;
  done_ = done;
  total_ = total;
  fields_ = fields;
  if (total > 0 && done >= total) return finish();
  bool due = false;
  if (o_.terminal) due = drawn_width_ == 0 || now() - last_print_ >= kRedrawSeconds;
  else if (o_.every_units > 0) due = done / o_.every_units > last_printed_done_ / o_.every_units;
  else due = now() - last_print_ >= o_.every_seconds;
  if (due) print(false);
}

void ProgressReporter::finish() {
  if (finished_ || !updated_) return;
  finished_ = true;
  print(true);
}

ProgressCallback ProgressReporter::callback() {
  return [this](int64_t done, int64_t total) { update(done, total); };
}

void ProgressReporter::print(bool last) {
  const double t = now(), elapsed = t - started_;
  const double rate = elapsed > 0 && done_ > start_done_ ? static_cast<double>(done_ - start_done_) / elapsed : 0.0;
  std::string line = progress_line(o_.label, o_.unit, done_, total_, fields_, rate, elapsed, o_.terminal, last);
  if (o_.terminal) {
    // Blanks what is left of a longer bar drawn before.
    const size_t width = line.size();
    if (width < drawn_width_) line.append(drawn_width_ - width, ' ');
    drawn_width_ = std::max<size_t>(width, 1);
    fmt::print(o_.out, "\r{}{}", line, last ? "\n" : "");
  } else {
    fmt::print(o_.out, "{}\n", line);
  }
  std::fflush(o_.out);
  last_print_ = t;
  last_printed_done_ = done_;
}

}  // namespace aha
