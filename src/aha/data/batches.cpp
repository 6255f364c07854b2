#include "aha/data/batches.hpp"

#include <algorithm>
#include <numeric>

#include "aha/base/random.hpp"

namespace aha::data {

BatchSchedule::BatchSchedule(int64_t count, int64_t batch_size, uint64_t seed, bool shuffle)
    : count_(count), batch_size_(batch_size), seed_(seed), shuffle_(shuffle) {}

std::vector<int64_t> BatchSchedule::order(int64_t epoch) const {
  if (epoch != cached_epoch_) {
    if (shuffle_) {
      RandomStream stream(seed_, "shuffle", static_cast<uint64_t>(epoch));
      cached_order_ = permutation(count_, stream);
    } else {
      cached_order_.resize(static_cast<size_t>(count_));
      std::iota(cached_order_.begin(), cached_order_.end(), 0);
    }
    cached_epoch_ = epoch;
  }
  return cached_order_;
}

std::vector<int64_t> BatchSchedule::indices(const DataCursor& cursor) const {
  const std::vector<int64_t> all = order(cursor.epoch);
  const int64_t begin = cursor.index * batch_size_, end = std::min(count_, begin + batch_size_);
  return std::vector<int64_t>(all.begin() + begin, all.begin() + end);
}

DataCursor BatchSchedule::advance(const DataCursor& cursor) const {
  if (cursor.index + 1 < per_epoch()) return {cursor.epoch, cursor.index + 1};
  return {cursor.epoch + 1, 0};
}

MicroBatch make_micro_batch(const std::vector<Sequence>& sequences, const std::vector<int64_t>& indices,
                            bool padding_free) {
  MicroBatch mb;
  mb.batch = static_cast<int64_t>(indices.size());
  for (int64_t i : indices) {
    mb.seq = std::max<int64_t>(mb.seq, static_cast<int64_t>(sequences[i].tokens.size()));
    mb.tokens_in += static_cast<int64_t>(sequences[i].tokens.size());
  }
  const size_t rows = static_cast<size_t>(padding_free ? mb.tokens_in : mb.batch * mb.seq);
  mb.tokens.assign(rows, 0);
  mb.targets.assign(rows, -1);
  mb.weights.assign(rows, 0.0f);
  if (padding_free) mb.sequence_rows.assign(static_cast<size_t>(mb.batch * mb.seq), -1);
  size_t next_row = 0;  // padding-free: where the next sequence's rows start
  for (int64_t r = 0; r < mb.batch; ++r) {
    const Sequence& s = sequences[static_cast<size_t>(indices[static_cast<size_t>(r)])];
    const size_t n = s.tokens.size(), first = padding_free ? next_row : static_cast<size_t>(r * mb.seq);
    next_row += n;
    for (size_t i = 0; i < n; ++i) {
      mb.tokens[first + i] = s.tokens[i];
      if (padding_free) mb.sequence_rows[static_cast<size_t>(r * mb.seq) + i] = static_cast<int64_t>(first + i);
      // Position i predicts token i + 1.
      if (i + 1 == n || !s.labels[i + 1]) continue;
      mb.targets[first + i] = s.tokens[i + 1];
      mb.weights[first + i] = 1.0f;
      ++mb.target_tokens;
    }
  }
  return mb;
}

}  // namespace aha::data
