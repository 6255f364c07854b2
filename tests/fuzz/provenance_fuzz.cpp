// Fuzz target: any byte string read as provenance.json is rejected with aha::Error or gives a
// lineage from which the EU summary and the model card are written without any other exception.
#include <cstdint>
#include <string>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/compliance/lineage.hpp"
#include "aha/compliance/model_card.hpp"
#include "aha/compliance/training_summary.hpp"
#include "aha/ledger/provenance.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const aha::Json doc = aha::parse_json(std::string(reinterpret_cast<const char*>(data), size), "provenance.json");
    aha::ledger::check_provenance(doc, "provenance.json");
    aha::ledger::record_sha256(doc);
    const aha::compliance::Lineage lineage = aha::compliance::flatten_lineage(doc);
    const aha::compliance::ProviderInfo provider;
    const aha::Json summary = aha::compliance::training_summary("/nonexistent-model-dir", lineage, provider);
    aha::compliance::training_summary_markdown(summary);
    aha::compliance::model_card("/nonexistent-model-dir", lineage, provider, {});
  } catch (const aha::Error&) {
  }
  return 0;
}
