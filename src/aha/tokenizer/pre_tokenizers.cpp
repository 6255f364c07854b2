#include "aha/tokenizer/pre_tokenizers.hpp"

#include "aha/base/error.hpp"
#include "aha/tokenizer/byte_level.hpp"
#include "aha/tokenizer/regex.hpp"
#include "aha/tokenizer/unicode.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {
namespace {

// What Split does with the parts of a piece that match its pattern.
enum class Behavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// A part of a piece: [begin, end) and whether it matched.
struct Part {
  size_t begin, end;
  bool match;
};

// Adds the parts of `piece` to `out` as Hugging Face's SplitDelimiterBehavior arranges them.
void add_parts(std::string_view piece, const std::vector<Part>& parts, Behavior behavior, Pieces& out) {
  auto add = [&](size_t begin, size_t end) { out.add(piece.substr(begin, end - begin)); };
  switch (behavior) {
    case Behavior::removed:
      for (const Part& p : parts)
        if (!p.match) add(p.begin, p.end);
      return;
    case Behavior::isolated:
      for (const Part& p : parts) add(p.begin, p.end);
      return;
    case Behavior::merged_with_previous:
    case Behavior::contiguous: {
      // A match joins the part before it when that part did not match (merged_with_previous),
      // or any part joins the one before it when both agree on matching (contiguous).
      std::vector<Part> merged;
      bool previous_match = false;
      for (const Part& p : parts) {
        const bool join = behavior == Behavior::contiguous ? p.match == previous_match : p.match && !previous_match;
        if (join && !merged.empty()) merged.back().end = p.end;
        else merged.push_back(p);
        previous_match = p.match;
      }
      for (const Part& p : merged) add(p.begin, p.end);
      return;
    }
    case Behavior::merged_with_next: {
      // A match joins the part after it when that part did not match.
      std::vector<Part> merged;
      bool next_match = false;
      for (size_t i = parts.size(); i-- > 0;) {
        const Part& p = parts[i];
        if (p.match && !next_match && !merged.empty()) merged.back().begin = p.begin;
        else merged.push_back(p);
        next_match = p.match;
      }
      for (size_t i = merged.size(); i-- > 0;) add(merged[i].begin, merged[i].end);
      return;
    }
  }
}

// Turns the matches of a pattern in a piece of length `n` into parts covering the piece.
void matches_to_parts(const std::vector<Match>& matches, size_t n, bool invert, std::vector<Part>& parts) {
  parts.clear();
  size_t prev = 0;
  for (const Match& m : matches) {
    if (m.begin > prev) parts.push_back({prev, m.begin, invert});
    parts.push_back({m.begin, m.end, !invert});
    prev = m.end;
  }
  if (prev < n) parts.push_back({prev, n, invert});
}

Behavior parse_behavior(const JsonAt& field) {
  const std::string& name = field.str();
  if (name == "Removed") return Behavior::removed;
  if (name == "Isolated") return Behavior::isolated;
  if (name == "MergedWithPrevious") return Behavior::merged_with_previous;
  if (name == "MergedWithNext") return Behavior::merged_with_next;
  if (name == "Contiguous") return Behavior::contiguous;
  field.fail(
      fmt::format("unknown behavior '{}' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext "
                  "or Contiguous)",
                  name));
}

class Split : public PreTokenizer {
 public:
  Split(Regex pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

  void pre_tokenize(Pieces& pieces) const override {
    pieces.materialize();
    Pieces out;
    out.text.reserve(pieces.text.size());
    out.first_at_start = pieces.first_at_start;
    std::vector<Match> matches;
    std::vector<Part> parts;
    for (size_t i = 0; i < pieces.size(); ++i) {
      const std::string_view piece = pieces[i];
      matches.clear();
      pattern_.find_all(piece, matches);
      if (behavior_ == Behavior::isolated) {
        // The common case (every byte-level BPE tokenizer), without building parts.
        size_t prev = 0;
        for (const Match& m : matches) {
          out.add(piece.substr(prev, m.begin - prev));
          out.add(piece.substr(m.begin, m.end - m.begin));
          prev = m.end;
        }
        out.add(piece.substr(prev));
        continue;
      }
      matches_to_parts(matches, piece.size(), invert_, parts);
      if (i == 0 && !parts.empty() && behavior_ == Behavior::removed && parts.front().match) out.first_at_start = false;
      add_parts(piece, parts, behavior_, out);
    }
    pieces = std::move(out);
  }

 private:
  Regex pattern_;
  Behavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex)
      gpt2_ = std::make_unique<Split>(
          Regex::compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                         "ByteLevel"),
          Behavior::isolated, false);
  }

  void pre_tokenize(Pieces& pieces) const override {
    pieces.materialize();
    if (add_prefix_space_) {
      Pieces out;
      out.first_at_start = pieces.first_at_start;
      for (size_t i = 0; i < pieces.size(); ++i) {
        const std::string_view piece = pieces[i];
        if (piece.front() != ' ') out.text.push_back(' ');
        out.add(piece);
      }
      pieces = std::move(out);
    }
    if (gpt2_) gpt2_->pre_tokenize(pieces);
    pieces.raw_bytes = true;
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Split> gpt2_;
};

class Digits : public PreTokenizer {
 public:
  explicit Digits(bool individual) : individual_(individual) {}

  void pre_tokenize(Pieces& pieces) const override {
    pieces.materialize();
    Pieces out;
    out.first_at_start = pieces.first_at_start;
    for (size_t i = 0; i < pieces.size(); ++i) {
      const std::string_view piece = pieces[i];
      size_t start = 0, pos = 0;
      bool run_numeric = false;
      while (pos < piece.size()) {
        const size_t at = pos;
        const bool numeric = unicode::is_numeric(utf8::next(piece, pos));
        // A new part starts where numeric-ness changes, and before every digit when individual.
        if (at > start && (numeric != run_numeric || (numeric && individual_))) {
          out.add(piece.substr(start, at - start));
          start = at;
        }
        run_numeric = numeric;
      }
      out.add(piece.substr(start));
    }
    pieces = std::move(out);
  }

 private:
  bool individual_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  enum class Prepend { always, first, never };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend), split_(split) {}

  void pre_tokenize(Pieces& pieces) const override {
    pieces.materialize();
    Pieces out;
    out.first_at_start = pieces.first_at_start;
    std::string word;
    for (size_t i = 0; i < pieces.size(); ++i) {
      const std::string_view piece = pieces[i];
      word.clear();
      for (char c : piece) {
        if (c == ' ') word += replacement_;
        else word.push_back(c);
      }
      const bool at_start = i == 0 && pieces.first_at_start;
      if (!word.starts_with(replacement_) && (prepend_ == Prepend::always || (prepend_ == Prepend::first && at_start)))
        word.insert(0, replacement_);
      if (!split_) {
        out.add(word);
        continue;
      }
      // Split before every replacement character (MergedWithNext).
      size_t start = 0;
      for (size_t at = word.find(replacement_, 1); at != std::string::npos; at = word.find(replacement_, at + 1)) {
        out.add(std::string_view(word).substr(start, at - start));
        start = at;
      }
      out.add(std::string_view(word).substr(start));
    }
    pieces = std::move(out);
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(Pieces& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

MetaspacePreTokenizer::Prepend parse_prepend_scheme(const JsonAt& config) {
  if (!config.has("prepend_scheme"))
    return config.bool_or("add_prefix_space", true) ? MetaspacePreTokenizer::Prepend::always
                                                    : MetaspacePreTokenizer::Prepend::never;
  const std::string& name = config["prepend_scheme"].str();
  if (name == "always") return MetaspacePreTokenizer::Prepend::always;
  if (name == "first") return MetaspacePreTokenizer::Prepend::first;
  if (name == "never") return MetaspacePreTokenizer::Prepend::never;
  config["prepend_scheme"].fail(fmt::format("unknown prepend_scheme '{}' (expected always, first or never)", name));
}

}  // namespace

void Pieces::materialize() {
  if (!raw_bytes) return;
  Pieces out;
  out.first_at_start = first_at_start;
  out.text.reserve(text.size() + text.size() / 4);
  for (size_t i = 0; i < size(); ++i) {
    byte_level::encode((*this)[i], out.text);
    out.ends.push_back(out.text.size());
  }
  *this = std::move(out);
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonAt& config) {
  if (config.value().is_null()) return nullptr;
  const std::string& type = config["type"].str();
  if (type == "Split")
    return std::make_unique<Split>(make_pattern(config["pattern"]), parse_behavior(config["behavior"]),
                                   config.bool_or("invert", false));
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(config.bool_or("add_prefix_space", true),
                                                   config.bool_or("use_regex", true));
  if (type == "Digits") return std::make_unique<Digits>(config.bool_or("individual_digits", false));
  if (type == "Metaspace") {
    std::string replacement = config["replacement"].str();
    if (utf8::count(replacement) != 1) config["replacement"].fail("expected a single character");
    return std::make_unique<MetaspacePreTokenizer>(std::move(replacement), parse_prepend_scheme(config),
                                                   config.bool_or("split", true));
  }
  if (type == "Whitespace")
    return std::make_unique<Split>(Regex::compile("\\w+|[^\\w\\s]+", "Whitespace"), Behavior::removed, true);
  if (type == "WhitespaceSplit")
    return std::make_unique<Split>(Regex::compile("\\s+", "WhitespaceSplit"), Behavior::removed, false);
  if (type == "Sequence") {
    const JsonAt list = config["pretokenizers"];
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto step = make_pre_tokenizer(list[i])) steps.push_back(std::move(step));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  config["type"].fail(
      fmt::format("pre-tokenizer '{}' is not supported (aha supports Split, ByteLevel, Digits, "
                  "Metaspace, Whitespace, WhitespaceSplit, Sequence)",
                  type));
}

}  // namespace aha::tokenizer
