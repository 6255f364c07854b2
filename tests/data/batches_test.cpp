// Micro-batches: seeded shuffling per epoch, a cursor that replays them, padding and targets.
#include "aha/data/batches.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "aha/data/sequences.hpp"
#include "aha/tasks/arithmetic_text.hpp"

namespace aha::data {
namespace {

TEST(Batches, each_epoch_is_a_seeded_permutation_and_epochs_differ) {
  BatchSchedule a(10, 3, 7), b(10, 3, 7), c(10, 3, 8);
  EXPECT_EQ(a.per_epoch(), 4);
  std::vector<int64_t> epoch0, epoch1;
  DataCursor cur;
  for (int i = 0; i < 4; ++i, cur = a.advance(cur)) {
    for (int64_t x : a.indices(cur)) epoch0.push_back(x);
    EXPECT_EQ(a.indices(cur), b.indices(cur));
  }
  EXPECT_EQ(cur.epoch, 1);
  EXPECT_EQ(cur.index, 0);
  for (int i = 0; i < 4; ++i, cur = a.advance(cur))
    for (int64_t x : a.indices(cur)) epoch1.push_back(x);
  EXPECT_EQ(std::set<int64_t>(epoch0.begin(), epoch0.end()).size(), 10u);
  EXPECT_NE(epoch0, epoch1);
  EXPECT_NE(a.indices({0, 0}), c.indices({0, 0}));
  EXPECT_EQ(a.indices({1, 2}), b.indices({1, 2}));  // a cursor alone recreates any micro-batch
}

TEST(Batches, micro_batch_pads_and_predicts_the_next_labelled_token) {
  std::vector<Sequence> seqs = {{{5, 6, 7}, {1, 0, 1}}, {{8, 9}, {1, 1}}};
  const MicroBatch mb = make_micro_batch(seqs, {0, 1});
  EXPECT_EQ(mb.batch, 2);
  EXPECT_EQ(mb.seq, 3);
  EXPECT_EQ(mb.tokens, (std::vector<int32_t>{5, 6, 7, 8, 9, 0}));
  EXPECT_EQ(mb.targets, (std::vector<int32_t>{-1, 7, -1, 9, -1, -1}));
  EXPECT_EQ(mb.weights, (std::vector<float>{0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(mb.target_tokens, 2);
  EXPECT_EQ(mb.tokens_in, 5);
}

TEST(Batches, a_padding_free_micro_batch_lays_the_sequences_back_to_back) {
  std::vector<Sequence> seqs = {{{5, 6, 7}, {1, 0, 1}}, {{8, 9}, {1, 1}}, {{4}, {1}}};
  const MicroBatch mb = make_micro_batch(seqs, {0, 1, 2}, true);
  EXPECT_EQ(mb.batch, 3);
  EXPECT_EQ(mb.seq, 3);
  EXPECT_EQ(mb.tokens, (std::vector<int32_t>{5, 6, 7, 8, 9, 4}));
  EXPECT_EQ(mb.targets, (std::vector<int32_t>{-1, 7, -1, 9, -1, -1}));
  EXPECT_EQ(mb.weights, (std::vector<float>{0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(mb.sequence_rows, (std::vector<int64_t>{0, 1, 2, 3, 4, -1, 5, -1, -1}));
  EXPECT_EQ(mb.target_tokens, 2);
  EXPECT_EQ(mb.tokens_in, 6);
  EXPECT_TRUE(make_micro_batch(seqs, {0, 1, 2}).sequence_rows.empty());
}

TEST(Batches, packing_cuts_full_blocks_and_drops_the_tail) {
  std::vector<Sequence> docs = {{{1, 2, 3}, {1, 1, 1}}, {{4, 5, 6, 7}, {1, 1, 1, 1}}};
  const auto blocks = pack_sequences(docs, 3);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1].tokens, (std::vector<int32_t>{4, 5, 6}));
  EXPECT_EQ(pack_sequences(docs, 10).size(), 1u);  // all of it, when it is the only block
}

TEST(Arithmetic, texts_are_deterministic_from_the_seed_and_correct) {
  const auto a = tasks::arithmetic_texts(1, 50), b = tasks::arithmetic_texts(1, 50), c = tasks::arithmetic_texts(2, 50);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (const std::string& t : a) {
    int x = 0, y = 0, z = 0;
    char op = 0;
    ASSERT_EQ(std::sscanf(t.c_str(), "%d%c%d=%d", &x, &op, &y, &z), 4) << t;
    EXPECT_EQ(op == '+' ? x + y : x - y, z) << t;
  }
}

}  // namespace
}  // namespace aha::data
