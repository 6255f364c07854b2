// `aha report` on a real `aha demo --quick` run, opened in headless Chromium by puppeteer-core
// (tests/report/js, installed by scripts/install-deps): no console errors, no requests, a chart
// per numeric metric, each with drawn lines, and a completion carrying markup shown as text.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "aha/base/file.hpp"
#include "support/temp_dir.hpp"

namespace aha {
namespace {

using test::run_shell;

TEST(ReportBrowser, demo_report_renders_in_headless_chromium_with_every_chart_drawn) {
  const char* env_chromium = std::getenv("AHA_CHROMIUM");
  const std::string chromium = env_chromium ? env_chromium : "/usr/bin/chromium";
  if (!std::filesystem::exists(chromium))
    GTEST_SKIP() << "no Chromium at " << chromium << " (scripts/install-deps installs it)";
  if (run_shell("command -v node").first != 0) GTEST_SKIP() << "no node on PATH (scripts/install-deps installs it)";
  const std::string js = std::string(AHA_SOURCE_DIR) + "/tests/report/js";
  ASSERT_TRUE(std::filesystem::exists(js + "/node_modules/puppeteer-core"))
      << "puppeteer-core is missing: run scripts/install-deps";

  test::TempDir dir;
  const std::string out = dir.file("demo");
  const test::RunResult demo = test::run_aha("demo --quick --threads 2 --out " + out);
  ASSERT_EQ(demo.status, 0) << demo.err;
  // A completion whose markup would make elements, and a console error, if it were not escaped.
  const std::string completions = out + "/grpo/completions.jsonl";
  const std::string injected =
      R"({"step": 3, "prompt": "p", "completion": "</script><b>bold</b><script>console.error('not escaped')</script>", )"
      R"("rewards": {"accuracy": 0.0, "format": 0.0}, "reward": 0.0, "advantage": 0.0, "truncated": false})";
  test::write_text(completions, injected + "\n" + read_file(completions));

  const test::RunResult r = test::run_aha("report --run " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string shot = std::getenv("AHA_REPORT_SCREENSHOT") ? std::getenv("AHA_REPORT_SCREENSHOT") : "";
  auto [status, log] = run_shell("cd " + js + " && AHA_CHROMIUM=" + chromium + " AHA_REPORT_HTML=" + out +
                                 "/report.html AHA_REPORT_RUN=" + out + " AHA_REPORT_SCREENSHOT=" + shot +
                                 " node --test report.test.mjs");
  EXPECT_EQ(status, 0) << log;
  EXPECT_NE(log.find("# pass 1"), std::string::npos) << log;
  EXPECT_NE(log.find("# fail 0"), std::string::npos) << log;
}

}  // namespace
}  // namespace aha
