// `aha report` through the CLI: the default output path, --out, and bad input (exit 2, one line).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "aha/base/file.hpp"
#include "support/temp_dir.hpp"

namespace aha {
namespace {

using test::run_aha;
using test::write_text;

// Exit 2 and exactly one line on stderr that contains `expected`.
void expect_bad_input(const test::RunResult& r, const std::string& expected) {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(ReportCli, writes_run_report_html_by_default_or_to_out) {
  test::TempDir dir;
  write_text(dir.file("metrics.jsonl"), "{\"step\": 1, \"loss\": 1.5}\n{\"step\": 2, \"loss\": 1.25}\n");
  test::RunResult r = run_aha("report --run " + dir.path().string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, dir.file("report.html") + "\n");
  EXPECT_NE(read_file(dir.file("report.html")).find("data-metric=\"loss\""), std::string::npos);
  r = run_aha("report --run " + dir.path().string() + " --out " + dir.file("other.html"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(dir.file("other.html")), read_file(dir.file("report.html")));
}

TEST(ReportCli, bad_input_gives_one_clear_line_and_exit_2) {
  test::TempDir dir;
  expect_bad_input(run_aha("report --run " + dir.file("absent")),
                   "--run " + dir.file("absent") + ": no such directory");
  expect_bad_input(run_aha("report --run " + dir.path().string()),
                   "no metrics.jsonl in it or in its immediate subdirectories");
  std::filesystem::create_directories(dir.file("grpo"));
  write_text(dir.file("grpo/metrics.jsonl"), "{\"step\": 1, \"reward\": 0.5}\n{\"step\": 2, \"reward\": 0.5\n");
  expect_bad_input(run_aha("report --run " + dir.path().string()),
                   dir.file("grpo") + "/metrics.jsonl:2: not valid JSON");
  write_text(dir.file("grpo/metrics.jsonl"), "{\"step\": 1, \"reward\": 0.5}\n");
  write_text(dir.file("grpo/provenance.json"), "{\"format\": \"aha-provenance\"");
  expect_bad_input(run_aha("report --run " + dir.path().string()), "provenance.json");
  write_text(dir.file("grpo/provenance.json"), "{\"format\": \"aha-provenance\", \"format_version\": 1}");
  expect_bad_input(run_aha("report --run " + dir.path().string()), "provenance.json");
  EXPECT_FALSE(std::filesystem::exists(dir.file("report.html")));
}

TEST(ReportCli, help_names_the_options_and_what_the_page_holds) {
  const test::RunResult r = run_aha("report --help");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* s : {"--run", "--out", "RUN/report.html", "metrics.jsonl", "completions.jsonl", "provenance.json"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
}

}  // namespace
}  // namespace aha
