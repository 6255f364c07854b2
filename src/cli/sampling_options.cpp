#include "cli/sampling_options.hpp"

namespace aha::cli {

void add_sampling_options(CLI::App& app, generate::SamplingParams& p) {
  app.add_option("--temperature", p.temperature, "Sampling temperature; 0 is greedy (default 0.8)");
  app.add_option("--top-p", p.top_p, "Nucleus sampling: keep the most likely tokens up to this mass (default 0.95)");
  app.add_option("--top-k", p.top_k, "Keep only the k most likely tokens; 0 turns it off (default 40)");
  app.add_option("--min-p", p.min_p, "Drop tokens less likely than this times the best one (default 0.05)");
  app.add_option("--repetition-penalty", p.repetition_penalty, "transformers' repetition penalty (default 1: off)");
  app.add_option("--presence-penalty", p.presence_penalty, "OpenAI's presence penalty (default 0)");
  app.add_option("--frequency-penalty", p.frequency_penalty, "OpenAI's frequency penalty (default 0)");
}

}  // namespace aha::cli
