#include "aha/tokenizer/trainer.hpp"

#include <algorithm>
#include <queue>
#include <unordered_map>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/tokenizer/added_tokens.hpp"
#include "aha/tokenizer/byte_level.hpp"
#include "aha/tokenizer/normalizers.hpp"
#include "aha/tokenizer/pre_tokenizers.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {
namespace {

using OrderedJson = nlohmann::ordered_json;

// Qwen2's split: single digits (which helps arithmetic), letters with one leading non-letter,
// punctuation runs, newlines, and white space that leaves one space to the following word.
constexpr const char* kSplitPattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";

OrderedJson byte_level_step() {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
}

OrderedJson pre_tokenizer_config() {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", kSplitPattern}}}, {"behavior", "Isolated"}, {"invert", false}},
            byte_level_step()}}};
}

OrderedJson normalizer_config() { return {{"type", "NFC"}}; }

uint64_t pair_key(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

std::string alphabet_text(const std::string& bytes) {
  std::string out;
  byte_level::encode(bytes, out);
  return out;
}

}  // namespace

struct BpeTrainer::State {
  Json normalizer_json = Json(normalizer_config());
  Json pre_tokenizer_json = Json(pre_tokenizer_config());
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  AddedTokens specials;
  std::unordered_map<std::string, int64_t> counts;  // word (raw bytes) -> occurrences
  int64_t words = 0;
};

BpeTrainer::BpeTrainer(TrainOptions options) : options_(std::move(options)), state_(std::make_unique<State>()) {
  const auto reserved = static_cast<int64_t>(256 + options_.special_tokens.size());
  if (options_.vocab_size < reserved)
    fail("vocab size {} is too small: the 256 byte tokens and {} special tokens need {}", options_.vocab_size,
         options_.special_tokens.size(), reserved);
  State& s = *state_;
  s.normalizer = make_normalizer(JsonAt(s.normalizer_json, "trainer", "normalizer"));
  s.pre_tokenizer = make_pre_tokenizer(JsonAt(s.pre_tokenizer_json, "trainer", "pre_tokenizer"));
  Json specials = Json::array();
  for (size_t i = 0; i < options_.special_tokens.size(); ++i) {
    if (options_.special_tokens[i].empty()) fail("special tokens must not be empty");
    specials.push_back({{"id", i}, {"content", options_.special_tokens[i]}, {"special", true}, {"normalized", false}});
  }
  s.specials = AddedTokens::from_json(JsonAt(specials, "trainer", "special_tokens"), nullptr);
}

BpeTrainer::BpeTrainer(BpeTrainer&&) noexcept = default;
BpeTrainer::~BpeTrainer() = default;

void BpeTrainer::add_text(std::string_view text) {
  State& s = *state_;
  std::string repaired;
  if (!utf8::is_valid(text)) text = repaired = utf8::sanitize(text);
  // Special tokens in the data stay out of the merges: they are matched whole when encoding.
  std::vector<Segment> segments;
  s.specials.split(text, false, segments);
  Pieces pieces;
  for (const Segment& segment : segments) {
    if (segment.id != Segment::kText) continue;
    std::string part(text.substr(segment.begin, segment.end - segment.begin));
    s.normalizer->normalize(part);
    pieces.clear();
    pieces.raw_bytes = false;
    pieces.add(part);
    s.pre_tokenizer->pre_tokenize(pieces);  // ends with ByteLevel: pieces hold raw bytes
    for (size_t i = 0; i < pieces.size(); ++i) ++s.counts[std::string(pieces[i])];
    s.words += static_cast<int64_t>(pieces.size());
  }
}

TrainResult BpeTrainer::finish() {
  State& s = *state_;
  // Ids 0-255 are the bytes, ordered by their alphabet character as in GPT-2's vocabulary.
  std::vector<int> order(256);
  for (int b = 0; b < 256; ++b) order[b] = b;
  std::sort(order.begin(), order.end(), [](int x, int y) {
    return byte_level::char_of(static_cast<unsigned char>(x)) < byte_level::char_of(static_cast<unsigned char>(y));
  });
  std::vector<std::string> tokens;  // id -> raw bytes
  int32_t byte_id[256];
  for (int i = 0; i < 256; ++i) {
    tokens.emplace_back(1, static_cast<char>(order[i]));
    byte_id[order[i]] = i;
  }

  struct Word {
    std::vector<int32_t> symbols;
    int64_t count;
  };
  std::vector<Word> words;
  words.reserve(s.counts.size());
  for (const auto& [text, count] : s.counts) {
    Word w{{}, count};
    for (char c : text) w.symbols.push_back(byte_id[static_cast<unsigned char>(c)]);
    words.push_back(std::move(w));
  }
  // Sort so that the result does not depend on the hash map's iteration order.
  std::sort(words.begin(), words.end(), [](const Word& a, const Word& b) { return a.symbols < b.symbols; });

  std::unordered_map<uint64_t, int64_t> pair_counts;
  std::unordered_map<uint64_t, std::vector<uint32_t>> pair_words;
  for (uint32_t w = 0; w < words.size(); ++w) {
    const auto& sym = words[w].symbols;
    for (size_t i = 0; i + 1 < sym.size(); ++i) {
      const uint64_t key = pair_key(sym[i], sym[i + 1]);
      pair_counts[key] += words[w].count;
      pair_words[key].push_back(w);
    }
  }
  struct Candidate {
    int64_t count;
    uint64_t pair;
    // The most frequent first; among equals, the pair of smaller ids first.
    bool operator<(const Candidate& o) const { return count != o.count ? count < o.count : pair > o.pair; }
  };
  std::priority_queue<Candidate> queue;
  for (const auto& [pair, count] : pair_counts) queue.push({count, pair});

  const auto target_merges = options_.vocab_size - 256 - static_cast<int32_t>(options_.special_tokens.size());
  std::vector<std::pair<int32_t, int32_t>> merges;
  std::vector<uint32_t> visited(words.size(), UINT32_MAX);
  std::vector<uint64_t> changed;
  while (static_cast<int32_t>(merges.size()) < target_merges && !queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const int64_t current = pair_counts[top.pair];
    if (current != top.count) {
      if (current > 0) queue.push({current, top.pair});  // stale entry: requeue with today's count
      continue;
    }
    if (current <= 0) break;
    const auto a = static_cast<int32_t>(top.pair >> 32), b = static_cast<int32_t>(top.pair & 0xFFFFFFFFu);
    const auto merged = static_cast<int32_t>(tokens.size());
    tokens.push_back(tokens[static_cast<size_t>(a)] + tokens[static_cast<size_t>(b)]);
    merges.emplace_back(a, b);
    const auto stamp = static_cast<uint32_t>(merges.size());
    changed.clear();
    auto add = [&](int32_t x, int32_t y, int64_t delta, uint32_t w) {
      const uint64_t key = pair_key(x, y);
      pair_counts[key] += delta;
      if (delta > 0) pair_words[key].push_back(w);
      changed.push_back(key);
    };
    for (const uint32_t w : pair_words[top.pair]) {
      if (visited[w] == stamp) continue;
      visited[w] = stamp;
      auto& sym = words[w].symbols;
      const int64_t c = words[w].count;
      for (size_t i = 0; i + 1 < sym.size(); ++i) {
        if (sym[i] != a || sym[i + 1] != b) continue;
        if (i > 0) {
          add(sym[i - 1], a, -c, w);
          add(sym[i - 1], merged, c, w);
        }
        if (i + 2 < sym.size()) {
          add(b, sym[i + 2], -c, w);
          add(merged, sym[i + 2], c, w);
        }
        pair_counts[top.pair] -= c;
        sym[i] = merged;
        sym.erase(sym.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      }
    }
    pair_words.erase(top.pair);
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    for (const uint64_t key : changed)
      if (key != top.pair && pair_counts[key] > 0) queue.push({pair_counts[key], key});
  }

  OrderedJson vocab = OrderedJson::object();
  for (size_t id = 0; id < tokens.size(); ++id) vocab[alphabet_text(tokens[id])] = id;
  OrderedJson merge_list = OrderedJson::array();
  for (const auto& [a, b] : merges)
    merge_list.push_back(
        {alphabet_text(tokens[static_cast<size_t>(a)]), alphabet_text(tokens[static_cast<size_t>(b)])});
  OrderedJson added = OrderedJson::array();
  for (size_t i = 0; i < options_.special_tokens.size(); ++i)
    added.push_back({{"id", tokens.size() + i},
                     {"content", options_.special_tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  const OrderedJson doc = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", normalizer_config()},
      {"pre_tokenizer", pre_tokenizer_config()},
      {"post_processor", byte_level_step()},
      {"decoder", byte_level_step()},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merge_list}}},
  };
  TrainResult result;
  result.json = doc.dump(2) + "\n";
  result.merges = static_cast<int32_t>(merges.size());
  result.vocab_size = static_cast<int32_t>(tokens.size() + options_.special_tokens.size());
  result.words = s.words;
  result.distinct_words = static_cast<int64_t>(s.counts.size());
  return result;
}

}  // namespace aha::tokenizer
