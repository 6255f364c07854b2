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

// One micro-batch in the layout of model::TrainBatch: (batch, seq), padded to its longest
// sequence; or, padding-free, the sequences' tokens back to back, one row each, with
// sequence_rows (batch, seq) naming each sequence's rows (-1 past its end).
struct MicroBatch {
  int64_t batch = 0, seq = 0;
  std::vector<int32_t> tokens;         // one per row; padding is token 0
  std::vector<int32_t> targets;        // one per row: the next token, -1 where nothing is predicted
  std::vector<float> weights;          // one per row: 1 where the target counts, else 0
  std::vector<int64_t> sequence_rows;  // padding-free only, else empty
  int64_t target_tokens = 0;           // number of weights that are 1
  int64_t tokens_in = 0;               // real (unpadded) tokens
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

// The micro-batch of `sequences[indices]`, padded or padding-free (TRL's `padding_free`: no row is
// computed for padding; each sequence still attends only to itself, from position 0).
MicroBatch make_micro_batch(const std::vector<Sequence>& sequences, const std::vector<int64_t>& indices,
                            bool padding_free = false);

}  // namespace aha::data
