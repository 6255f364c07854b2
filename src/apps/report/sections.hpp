// The tables of `aha report`, each an HTML fragment ("" when there is nothing to show).
#pragma once

#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "apps/report/run_data.hpp"

namespace aha::report {

// A JSON value as table text: integers whole, other numbers to 6 significant digits, null as a
// dash, strings escaped, anything else as compact JSON, escaped.
std::string value_text(const Json& v);

// The table of a demo's summary.json in `dir`, every model with both verifiers' metrics ("" when
// `dir` holds none or it is not a demo's).
std::string demo_summary_html(const std::string& dir);

// Every aha eval summary under `dir`/eval/*/ and each run's eval/*/, as one table.
std::string evaluations_html(const std::string& dir, const std::vector<RunData>& runs);

// Sample completions of a GRPO run with their rewards: the first and the last logged step.
std::string completions_html(const RunData& run);

// The provenance summary of a run's model: kind, base model, datasets, rewards, seed, hardware,
// time, tokens, FLOPs, energy, lineage.
std::string provenance_html(const RunData& run);

}  // namespace aha::report
