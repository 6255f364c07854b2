#include "aha/tokenizer/bpe.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "aha/base/error.hpp"
#include "aha/tokenizer/byte_level.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {
namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

}  // namespace

// Ranked merges in an open-addressing hash table: (left id, right id) -> (rank, merged id).
struct Bpe::Merges {
  struct Slot {
    uint64_t key = UINT64_MAX;
    int32_t rank = 0, merged = 0;
  };
  std::vector<Slot> slots;
  uint64_t mask = 0;

  explicit Merges(size_t n) {
    size_t capacity = 16;
    while (capacity < 2 * n) capacity *= 2;
    slots.resize(capacity);
    mask = capacity - 1;
  }
  static uint64_t hash(uint64_t key) { return (key * 0x9E3779B97F4A7C15ull) >> 20; }
  // Later merges of the same pair replace earlier ones, as in the reference implementations.
  void insert(uint64_t key, int32_t rank, int32_t merged) {
    for (uint64_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == UINT64_MAX || slots[i].key == key) {
        slots[i] = {key, rank, merged};
        return;
      }
    }
  }
  const Slot* find(uint64_t key) const {
    for (uint64_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == key) return &slots[i];
      if (slots[i].key == UINT64_MAX) return nullptr;
    }
  }
};

// Piece -> ids: a direct-mapped table (a new piece simply replaces the one in its slot) guarded
// by striped locks, so that threads encoding at once rarely wait and memory stays bounded.
struct Bpe::Cache {
  static constexpr size_t kSlots = 1 << 16, kStripes = 256, kMaxKey = 46, kMaxIds = 16;
  struct Slot {
    uint64_t hash = 0;
    uint8_t key_len = 0, n_ids = 0;  // key_len 0: empty
    char key[kMaxKey];
    int32_t ids[kMaxIds];
  };
  std::vector<Slot> slots = std::vector<Slot>(kSlots);
  std::mutex stripes[kStripes];

  static uint64_t hash_of(std::string_view piece) { return std::hash<std::string_view>{}(piece); }
  bool find(std::string_view piece, uint64_t hash, std::vector<int32_t>& out) {
    const size_t i = hash & (kSlots - 1);
    std::lock_guard lock(stripes[i % kStripes]);
    const Slot& s = slots[i];
    if (s.hash != hash || s.key_len != piece.size() || std::memcmp(s.key, piece.data(), piece.size()) != 0)
      return false;
    out.insert(out.end(), s.ids, s.ids + s.n_ids);
    return true;
  }
  void insert(std::string_view piece, uint64_t hash, const int32_t* ids, size_t n) {
    if (n > kMaxIds) return;
    const size_t i = hash & (kSlots - 1);
    std::lock_guard lock(stripes[i % kStripes]);
    Slot& s = slots[i];
    s.hash = hash;
    s.key_len = static_cast<uint8_t>(piece.size());
    s.n_ids = static_cast<uint8_t>(n);
    std::memcpy(s.key, piece.data(), piece.size());
    std::copy(ids, ids + n, s.ids);
  }
};

Bpe::Bpe() : cache_(std::make_unique<Cache>()) {}
Bpe::Bpe(Bpe&&) noexcept = default;
Bpe& Bpe::operator=(Bpe&&) noexcept = default;
Bpe::~Bpe() = default;

Bpe Bpe::from_json(const JsonAt& model) {
  Bpe bpe;
  const JsonAt vocab = model["vocab"];
  bpe.vocab_.reserve(vocab.object().size());
  int32_t max_id = -1;
  for (const auto& [token, id_json] : vocab.object()) {
    if (!id_json.is_number_integer() || id_json.get<int64_t>() < 0 || id_json.get<int64_t>() > kMaxTokenId)
      vocab[token].integer(0, kMaxTokenId);  // fails, naming the entry
    const auto id = id_json.get<int32_t>();
    bpe.vocab_[token] = id;
    max_id = std::max(max_id, id);
  }
  bpe.tokens_.resize(static_cast<size_t>(max_id + 1));
  bpe.has_id_.assign(static_cast<size_t>(max_id + 1), false);
  for (const auto& [token, id] : bpe.vocab_) {
    bpe.tokens_[static_cast<size_t>(id)] = token;
    bpe.has_id_[static_cast<size_t>(id)] = true;
  }

  bpe.prefix_ = model.str_or("continuing_subword_prefix", "");
  bpe.suffix_ = model.str_or("end_of_word_suffix", "");
  bpe.byte_fallback_ = model.bool_or("byte_fallback", false);
  bpe.fuse_unk_ = model.bool_or("fuse_unk", false);
  bpe.ignore_merges_ = model.bool_or("ignore_merges", false);
  if (model.has("unk_token")) {
    const std::string& unk = model["unk_token"].str();
    auto it = bpe.vocab_.find(unk);
    if (it == bpe.vocab_.end()) model["unk_token"].fail(fmt::format("'{}' is not in model.vocab", unk));
    bpe.unk_ = it->second;
  }

  const JsonAt merges = model["merges"];
  bpe.merges_ = std::make_unique<Merges>(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const JsonAt merge = merges[i];
    std::string left, right;
    if (merge.value().is_string()) {
      const std::string& line = merge.str();
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
        merge.fail(fmt::format("'{}' is not two tokens separated by one space", line));
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else {
      if (merge.size() != 2) merge.fail("expected a pair of tokens");
      left = merge[0].str();
      right = merge[1].str();
    }
    const std::string merged =
        left + (!bpe.prefix_.empty() && right.starts_with(bpe.prefix_) ? right.substr(bpe.prefix_.size()) : right);
    const auto l = bpe.vocab_.find(left), r = bpe.vocab_.find(right), m = bpe.vocab_.find(merged);
    if (l == bpe.vocab_.end() || r == bpe.vocab_.end() || m == bpe.vocab_.end())
      merge.fail(fmt::format("merge of '{}' and '{}' uses a token that is not in model.vocab", left, right));
    bpe.merges_->insert(pair_key(l->second, r->second), static_cast<int32_t>(i), m->second);
  }

  for (int b = 0; b < 256; ++b) {
    std::string ch;
    utf8::append(ch, byte_level::char_of(static_cast<unsigned char>(b)));
    auto it = bpe.vocab_.find(ch);
    bpe.byte_ids_[b] = it == bpe.vocab_.end() ? -1 : it->second;
    auto fb = bpe.vocab_.find(fmt::format("<0x{:02X}>", b));
    bpe.fallback_ids_[b] = fb == bpe.vocab_.end() ? -1 : fb->second;
  }
  return bpe;
}

std::optional<int32_t> Bpe::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* Bpe::id_to_token(int32_t id) const {
  if (id < 0 || id >= vocab_end() || !has_id_[static_cast<size_t>(id)]) return nullptr;
  return &tokens_[static_cast<size_t>(id)];
}

void Bpe::encode(std::string_view piece, bool raw_bytes, std::vector<int32_t>& out) const {
  // The pipeline of one tokenizer always hands pieces in the same form (raw bytes or not), so
  // the piece alone is a sound cache key.
  const bool cacheable = piece.size() <= Cache::kMaxKey;  // longer pieces rarely repeat
  const uint64_t hash = cacheable ? Cache::hash_of(piece) : 0;
  if (cacheable && cache_->find(piece, hash, out)) return;
  const size_t start = out.size();
  encode_uncached(piece, raw_bytes, out);
  if (cacheable) cache_->insert(piece, hash, out.data() + start, out.size() - start);
}

void Bpe::add_symbol_for(std::string_view ch, bool first, bool last, std::vector<int32_t>& symbols) const {
  std::string token;
  if (!first) token += prefix_;
  token += ch;
  if (last) token += suffix_;
  if (auto it = vocab_.find(token); it != vocab_.end()) {
    symbols.push_back(it->second);
    return;
  }
  if (byte_fallback_) {
    bool all = true;
    for (char b : ch) all = all && fallback_ids_[static_cast<unsigned char>(b)] >= 0;
    if (all) {
      for (char b : ch) symbols.push_back(fallback_ids_[static_cast<unsigned char>(b)]);
      return;
    }
  }
  if (!unk_) return;  // without an unk token an unknown character is dropped, as in HF tokenizers
  if (fuse_unk_ && !symbols.empty() && symbols.back() == *unk_) return;
  symbols.push_back(*unk_);
}

namespace {

// Buffers for encode_uncached, kept per thread so that encoding a piece allocates nothing.
struct Scratch {
  struct Candidate {
    int32_t rank, pos, merged, left, right;  // merge `left right` -> `merged` at symbol `pos`
    // Lower rank first; on equal ranks the leftmost pair.
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::string mapped;
  std::vector<int32_t> symbols, prev, next;
  std::vector<uint8_t> dead;
  std::vector<Candidate> heap;
};

}  // namespace

void Bpe::encode_uncached(std::string_view piece, bool raw_bytes, std::vector<int32_t>& out) const {
  thread_local Scratch scratch;
  std::string& mapped = scratch.mapped;
  std::vector<int32_t>& symbols = scratch.symbols;
  mapped.clear();
  symbols.clear();
  std::string_view word = piece;
  bool direct = raw_bytes && prefix_.empty() && suffix_.empty();
  if (direct) {
    for (char b : piece) direct = direct && byte_ids_[static_cast<unsigned char>(b)] >= 0;
  }
  if (raw_bytes && (ignore_merges_ || !direct)) {
    byte_level::encode(piece, mapped);
    word = mapped;
  }
  if (ignore_merges_) {
    if (auto it = vocab_.find(word); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (direct) {
    for (char b : piece) symbols.push_back(byte_ids_[static_cast<unsigned char>(b)]);
  } else {
    size_t pos = 0;
    while (pos < word.size()) {
      const size_t at = pos;
      utf8::next(word, pos);
      add_symbol_for(word.substr(at, pos - at), at == 0, pos == word.size(), symbols);
    }
  }

  // Doubly linked symbols; a heap of candidate merges ordered by (rank, position).
  const auto n = static_cast<int32_t>(symbols.size());
  auto& prev = scratch.prev;
  auto& next = scratch.next;
  auto& dead = scratch.dead;
  auto& heap = scratch.heap;
  prev.resize(static_cast<size_t>(n));
  next.resize(static_cast<size_t>(n));
  dead.assign(static_cast<size_t>(n), 0);
  heap.clear();
  for (int32_t i = 0; i < n; ++i) {
    prev[static_cast<size_t>(i)] = i - 1;
    next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
  }
  const auto later = std::greater<Scratch::Candidate>();
  auto consider = [&](int32_t pos) {
    const int32_t right = next[static_cast<size_t>(pos)];
    if (right < 0) return;
    const int32_t l = symbols[static_cast<size_t>(pos)], r = symbols[static_cast<size_t>(right)];
    if (const auto* m = merges_->find(pair_key(l, r))) {
      heap.push_back({m->rank, pos, m->merged, l, r});
      std::push_heap(heap.begin(), heap.end(), later);
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Scratch::Candidate top = heap.back();
    heap.pop_back();
    const auto pos = static_cast<size_t>(top.pos);
    if (dead[pos] || next[pos] < 0) continue;
    const auto right = static_cast<size_t>(next[pos]);
    if (symbols[pos] != top.left || symbols[right] != top.right) continue;  // stale: the pair changed
    symbols[pos] = top.merged;
    dead[right] = 1;
    next[pos] = next[right];
    if (next[pos] >= 0) prev[static_cast<size_t>(next[pos])] = top.pos;
    if (prev[pos] >= 0) consider(prev[pos]);
    consider(top.pos);
  }
  for (int32_t i = 0; i >= 0 && i < n; i = next[static_cast<size_t>(i)]) out.push_back(symbols[static_cast<size_t>(i)]);
}

}  // namespace aha::tokenizer
