// Micro-batches over a sequence set: seeded shuffling per epoch and a cursor (epoch, index) that
// a checkpoint saves, so that a resumed run sees the same batches in the same order.
#pragma once

#include <cstdint>
#include <vector>

#include "aha/data/sequences.hpp"

namespace aha::data {

// Where the next micro-batch starts: epoch (0-based) and micro-batch index within it.
struct DataCursor {
  int64_t epoch = 0;
  int64_t index = 0;
};

// One micro-batch in the (batch, seq) layout of model::TrainBatch, padded to its longest row.
struct MicroBatch {
  int64_t batch = 0, seq = 0;
  std::vector<int32_t> tokens;   // (batch, seq); padding is token 0
  std::vector<int32_t> targets;  // (batch, seq) next token, -1 where nothing is predicted
  std::vector<float> weights;    // (batch, seq) 1 where the target counts, else 0
  int64_t target_tokens = 0;     // number of weights that are 1
  int64_t tokens_in = 0;         // real (unpadded) tokens
};

class BatchSchedule {
 public:
  // Micro-batches of `batch_size` sequences out of `count` sequences, reshuffled each epoch
  // from `seed` (or in file order when `shuffle` is false).
  BatchSchedule(int64_t count, int64_t batch_size, uint64_t seed, bool shuffle = true);

  // Micro-batches in one epoch (the last may be smaller).
  int64_t per_epoch() const { return (count_ + batch_size_ - 1) / batch_size_; }
  // The sequence indices of the micro-batch at `cursor`.
  std::vector<int64_t> indices(const DataCursor& cursor) const;
  // The cursor after `cursor`, moving into the next epoch after the last micro-batch.
  DataCursor advance(const DataCursor& cursor) const;

 private:
  std::vector<int64_t> order(int64_t epoch) const;
  int64_t count_, batch_size_;
  uint64_t seed_;
  bool shuffle_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> cached_order_;
};

// The micro-batch of `sequences[indices]`.
MicroBatch make_micro_batch(const std::vector<Sequence>& sequences, const std::vector<int64_t>& indices);

}  // namespace aha::data
