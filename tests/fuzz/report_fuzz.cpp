// Fuzz target: any byte string read as metrics.jsonl and as completions.jsonl is rejected with
// aha::Error or gives chart and completion sections; read as provenance.json, it is rejected or
// gives a provenance section, without any other exception or crash.
#include <cstdint>
#include <string>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/ledger/provenance.hpp"
#include "apps/report/report.hpp"
#include "apps/report/sections.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  aha::report::RunData run;
  run.name = "fuzz";
  try {
    aha::report::parse_metrics(text, "metrics.jsonl", run);
    aha::report::charts_html({run});
  } catch (const aha::Error&) {
  }
  try {
    run.completions = aha::report::parse_json_lines(text, "completions.jsonl");
    aha::report::completions_html(run);
  } catch (const aha::Error&) {
  }
  try {
    run.provenance = aha::parse_json(text, "provenance.json");
    aha::ledger::check_provenance(*run.provenance, "provenance.json");
    aha::report::provenance_html(run);
  } catch (const aha::Error&) {
  }
  return 0;
}
