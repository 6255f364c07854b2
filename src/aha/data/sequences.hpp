// Tokenized training sequences: token ids, and for each token whether predicting it counts in the
// loss; and packing several into fixed-length blocks.
#pragma once

#include <cstdint>
#include <vector>

namespace aha::data {

struct Sequence {
  std::vector<int32_t> tokens;
  std::vector<uint8_t> labels;  // labels[i] = 1: the loss counts the prediction of tokens[i]
};

struct SequenceSet {
  std::vector<Sequence> sequences;
  int64_t skipped_lines = 0;  // input lines left out by skip_bad_lines
};

// Concatenates `sequences` and cuts the stream into blocks of `max_length` tokens, dropping the
// incomplete tail (as transformers' run_clm does) unless it would be the only block.
std::vector<Sequence> pack_sequences(const std::vector<Sequence>& sequences, int64_t max_length);

// Total number of tokens whose prediction counts (labels[i] = 1 for i >= 1) in `sequences`.
int64_t count_target_tokens(const std::vector<Sequence>& sequences);

}  // namespace aha::data
