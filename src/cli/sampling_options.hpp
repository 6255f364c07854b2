// The sampling flags that aha generate and aha chat share.
#pragma once

#include <CLI/CLI.hpp>

#include "aha/generate/sampler.hpp"

namespace aha::cli {

// llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05.
inline generate::SamplingParams default_sampling() {
  return {.temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f};
}

// Adds --temperature, --top-p, --top-k, --min-p and the penalty flags, writing into `params`.
void add_sampling_options(CLI::App& app, generate::SamplingParams& params);

}  // namespace aha::cli
