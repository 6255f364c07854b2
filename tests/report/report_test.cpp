// The report page built from hand-written run directories: escaping, the charts present, runs
// overlaid, missing values, tables; and the errors for bad metrics files.
#include "apps/report/report.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "aha/base/error.hpp"
#include "apps/report/html.hpp"
#include "apps/report/sections.hpp"
#include "support/temp_dir.hpp"

namespace aha::report {
namespace {

using test::write_text;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  return "(no error)";
}

TEST(ReportHtml, escaping_turns_markup_into_text) {
  EXPECT_EQ(html_escape("</script><b>&\"'"), "&lt;/script&gt;&lt;b&gt;&amp;&quot;&#39;");
  // "h" + "é" (2 bytes) + "llo": a cut at 2 bytes would split é, so it backs up to 1.
  EXPECT_EQ(escape_truncated("h\xC3\xA9llo", 2), "h<span class=\"note\">… (truncated: 5 more bytes)</span>");
  EXPECT_EQ(escape_truncated("a<b", 3), "a&lt;b");
}

TEST(ReportPage, a_grpo_run_gets_a_chart_per_numeric_metric_and_escaped_completions) {
  test::TempDir dir;
  write_text(
      dir.file("metrics.jsonl"),
      R"({"step": 1, "reward": 0.25, "rewards/accuracy/mean": 0.0, "kl": null, "loss": 0.5, "skipped_update": false})"
      "\n"
      R"({"step": 2, "reward": 0.5, "rewards/accuracy/mean": 0.25, "kl": null, "loss": null, "name": "x"})"
      "\n\n"
      R"({"step": 3, "reward": 0.75, "rewards/accuracy/mean": 0.5, "kl": null, "loss": 0.25})"
      "\n");
  write_text(
      dir.file("completions.jsonl"),
      R"({"step": 3, "prompt": "What is 1+1?", "completion": "</script><b>bold</b>", "rewards": {"accuracy": 1}, "reward": 1, "advantage": 0.5})"
      "\n");
  const std::string page = build_report(dir.path().string());
  EXPECT_NE(page.find("&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(page.find("</script>"), std::string::npos);
  EXPECT_EQ(page.find("<b>"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);  // the page has no scripts at all
  // reward, rewards/accuracy/mean and loss are charted, once each; kl (always null) is listed as
  // not charted; booleans and strings are not metrics.
  EXPECT_EQ(count(page, "<svg class=\"chart\""), 3u);
  EXPECT_EQ(count(page, "data-metric=\"reward\""), 1u);
  EXPECT_EQ(count(page, "data-metric=\"rewards/accuracy/mean\""), 1u);
  EXPECT_EQ(count(page, "data-metric=\"loss\""), 1u);
  EXPECT_NE(page.find("Not charted (no finite value logged): kl"), std::string::npos);
  EXPECT_EQ(page.find("data-metric=\"skipped_update\""), std::string::npos);
  EXPECT_NE(page.find("3 points (1 missing or not finite, not drawn)"), std::string::npos);
  // Rewards come before the loss.
  EXPECT_LT(page.find("data-metric=\"reward\""), page.find("data-metric=\"loss\""));
}

TEST(ReportPage, runs_in_subdirectories_are_overlaid_in_one_chart_per_metric) {
  test::TempDir dir;
  for (const char* run : {"sft", "sft_control"}) {
    std::filesystem::create_directories(dir.file(run));
    write_text(dir.file(std::string(run) + "/metrics.jsonl"),
               "{\"step\": 1, \"loss\": 2.0, \"learning_rate\": 0.001}\n{\"step\": 2, \"loss\": 1.0, "
               "\"learning_rate\": 0.001}\n");
  }
  std::filesystem::create_directories(dir.file("data"));  // no metrics.jsonl: not a run
  write_text(
      dir.file("summary.json"),
      R"({"task": "counting", "samples": 8, "models": [{"model": "warmup", "strict": {"greedy_pass1": 0.25, "pass1": )"
      R"(0.0168, "maj8": 0.2, "pass8": 0.114}, "lenient": {"pass1": 0.5}, "train_steps": 7}, {"model": "grpo", )"
      R"("strict": {"pass1": 0.0138}}]})");
  const std::string page = build_report(dir.path().string());
  EXPECT_EQ(count(page, "<svg class=\"chart\""), 2u);  // loss and learning_rate
  // One polyline per run in each chart, in the runs' colours.
  EXPECT_EQ(count(page, std::string("stroke=\"") + run_color(0) + "\""), 2u);
  EXPECT_EQ(count(page, std::string("stroke=\"") + run_color(1) + "\""), 2u);
  EXPECT_NE(page.find("<th>maj@8</th><th>pass@8</th>"), std::string::npos);
  EXPECT_NE(page.find("<td>warmup</td><td>strict</td><td>0.25</td><td>0.0168</td><td>0.2</td><td>0.114</td><td>—</td>"
                      "<td>—</td><td>7</td>"),
            std::string::npos);
  EXPECT_NE(page.find("<td>warmup</td><td>lenient</td><td>—</td><td>0.5</td><td>—</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>grpo</td><td>strict</td><td>—</td><td>0.0138</td><td>—</td>"), std::string::npos);
}

TEST(ReportPage, metric_groups_follow_trl_names) {
  EXPECT_EQ(metric_group("rewards/format/mean"), "Rewards and accuracy");
  EXPECT_EQ(metric_group("completions/mean_length"), "Completions (length, truncation)");
  EXPECT_EQ(metric_group("clip_ratio/high_mean"), "Clip ratios");
  EXPECT_EQ(metric_group("kl"), "KL and entropy");
  EXPECT_EQ(metric_group("eval_loss"), "Loss and gradient norm");
  EXPECT_EQ(metric_group("generation_tokens_per_second"), "Throughput and time");
  EXPECT_EQ(metric_group("learning_rate"), "Learning rate");
  EXPECT_EQ(metric_group("epoch"), "Other");
  EXPECT_EQ(metric_group("eval/maj@4"), "Evaluation on held-out prompts");
  EXPECT_EQ(metric_group("filtered/rewards/accuracy/mean"), "Rewards and accuracy");
  EXPECT_EQ(metric_group("filtered/completions/max_length"), "Completions (length, truncation)");
}

TEST(ReportPage, a_grpo_runs_evaluation_lines_are_charted_under_evaluation) {
  test::TempDir dir;
  // As `aha grpo` with eval_steps 2 writes them: training lines every step, eval/ lines at steps 2 and 4.
  write_text(dir.file("metrics.jsonl"),
             "{\"step\": 1, \"reward\": 0.1}\n{\"step\": 2, \"reward\": 0.2}\n"
             "{\"step\": 2, \"eval/pass@1\": 0.25, \"eval/greedy_pass@1\": 0.5}\n{\"step\": 3, \"reward\": 0.3}\n"
             "{\"step\": 4, \"reward\": 0.4}\n{\"step\": 4, \"eval/pass@1\": 0.5, \"eval/greedy_pass@1\": 1.0}\n");
  const std::string page = build_report(dir.path().string());
  EXPECT_EQ(count(page, "data-metric=\"eval/pass@1\""), 1u);
  EXPECT_EQ(count(page, "data-metric=\"eval/greedy_pass@1\""), 1u);
  EXPECT_NE(page.find("<h3>Evaluation on held-out prompts</h3>"), std::string::npos);
  // The eval series has its two logged steps; the training lines do not count as missing points.
  const size_t caption = page.find("<figcaption>", page.find("data-metric=\"eval/pass@1\""));
  const std::string text = page.substr(caption, page.find("</figcaption>", caption) - caption);
  EXPECT_NE(text.find(": 2 points"), std::string::npos) << text;
  EXPECT_EQ(text.find("missing"), std::string::npos) << text;
  EXPECT_LT(page.find("data-metric=\"reward\""), page.find("data-metric=\"eval/pass@1\""));
}

TEST(ReportPage, table_values_are_formatted_and_escaped) {
  EXPECT_EQ(value_text(Json(123456789)), "123456789");
  EXPECT_EQ(value_text(Json(0.123456789)), "0.123457");
  EXPECT_EQ(value_text(Json(nullptr)), "—");
  EXPECT_EQ(value_text(Json("<i>")), "&lt;i&gt;");
  EXPECT_EQ(value_text(Json{{"a", "<"}}), "{&quot;a&quot;:&quot;&lt;&quot;}");
}

TEST(ReportRead, malformed_lines_name_the_file_and_line) {
  test::TempDir dir;
  const std::string m = dir.file("metrics.jsonl");
  write_text(m, "{\"step\": 1, \"loss\": 1}\n{\"step\": 2, \"loss\": \n");
  EXPECT_EQ(error_of([&] { build_report(dir.path().string()); }), m + ":2: not valid JSON (byte 21)");
  write_text(m, "{\"step\": 1}\n[1, 2]\n");
  EXPECT_EQ(error_of([&] { build_report(dir.path().string()); }), m + ":2: expected a JSON object, found array");
  write_text(m, "{\"step\": \"one\", \"loss\": 1}\n");
  EXPECT_EQ(error_of([&] { build_report(dir.path().string()); }),
            m + ":1: field 'step' must be a number (found string)");
  write_text(m, "{\"step\": 1}\n");
  write_text(dir.file("completions.jsonl"), "{\"step\": 1}\nnot json\n");
  EXPECT_EQ(error_of([&] { build_report(dir.path().string()); }),
            dir.file("completions.jsonl") + ":2: not valid JSON (byte 2)");
}

}  // namespace
}  // namespace aha::report
