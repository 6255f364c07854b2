#include "aha/tokenizer/tokenizer.hpp"

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/gguf/import_tokenizer.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {

Tokenizer Tokenizer::load(const std::string& path) {
  std::string file = path;
  if (io::gguf::is_gguf_path(path)) {
    const std::optional<Json> json = io::gguf::tokenizer_json(io::gguf::GgufFile(path));
    if (!json) fail("{}: has no tokenizer (no metadata 'tokenizer.ggml.model')", path);
    return from_json(*json, path + " (tokenizer.ggml)");
  }
  if (is_directory(path)) {
    file = path + "/tokenizer.json";
    if (!is_file(file)) fail("{}: no tokenizer.json in this directory", path);
  }
  return from_json_text(read_file(file), file);
}

Tokenizer Tokenizer::from_json_text(const std::string& text, const std::string& origin) {
  return from_json(parse_json(text, origin), origin);
}

Tokenizer Tokenizer::from_json(const Json& json, const std::string& origin) {
  const JsonAt root(json, origin, "");
  root.object();
  const JsonAt model = root["model"];
  const std::string type = model.str_or("type", "BPE");
  if (type != "BPE") model["type"].fail(fmt::format("model '{}' is not supported (aha supports BPE models)", type));
  Tokenizer t(Bpe::from_json(model));
  if (root.has("normalizer")) t.normalizer_ = make_normalizer(root["normalizer"]);
  if (root.has("pre_tokenizer")) t.pre_tokenizer_ = make_pre_tokenizer(root["pre_tokenizer"]);
  if (root.has("post_processor")) t.post_processor_ = make_post_processor(root["post_processor"]);
  if (root.has("decoder")) t.decoder_ = make_decoder(root["decoder"]);
  if (root.has("added_tokens")) t.added_ = AddedTokens::from_json(root["added_tokens"], t.normalizer_.get());
  return t;
}

void Tokenizer::encode_segment(std::string_view text, bool at_start, std::vector<int32_t>& ids) const {
  Pieces pieces;
  pieces.first_at_start = at_start;
  pieces.add(text);
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);
  for (size_t i = 0; i < pieces.size(); ++i) model_.encode(pieces[i], pieces.raw_bytes, ids);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special) const {
  std::string repaired;
  if (!utf8::is_valid(text)) {
    repaired = utf8::sanitize(text);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<Segment> segments, inner;
  added_.split(text, false, segments);
  std::string normalized;
  for (const Segment& segment : segments) {
    if (segment.id != Segment::kText) {
      ids.push_back(segment.id);
      continue;
    }
    const std::string_view raw = text.substr(segment.begin, segment.end - segment.begin);
    if (!normalizer_ && !added_.any(true)) {
      encode_segment(raw, segment.begin == 0, ids);
      continue;
    }
    normalized.assign(raw);
    if (normalizer_) normalizer_->normalize(normalized);
    inner.clear();
    added_.split(normalized, true, inner);
    for (const Segment& part : inner) {
      if (part.id != Segment::kText) ids.push_back(part.id);
      else
        encode_segment(std::string_view(normalized).substr(part.begin, part.end - part.begin),
                       segment.begin == 0 && part.begin == 0, ids);
    }
  }
  if (post_processor_) post_processor_->process(ids, add_special);
  return ids;
}

std::string Tokenizer::normalize(std::string_view text) const {
  const std::string repaired = utf8::sanitize(text);
  std::vector<Segment> segments;
  added_.split(repaired, false, segments);
  std::string out, piece;
  for (const Segment& segment : segments) {
    piece = repaired.substr(segment.begin, segment.end - segment.begin);
    if (segment.id == Segment::kText && normalizer_) normalizer_->normalize(piece);
    out += piece;
  }
  return out;
}

std::string Tokenizer::decode_bytes(std::span<const int32_t> ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    if (const AddedToken* added = added_.find(id)) {
      if (!(skip_special && added->special)) tokens.push_back(added->content);
      continue;
    }
    const std::string* token = model_.id_to_token(id);
    if (token == nullptr) fail("token id {} is not in the vocabulary (ids 0 to {})", id, vocab_size() - 1);
    tokens.push_back(*token);
  }
  if (decoder_) decoder_->decode_chain(tokens);
  std::string bytes;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0 && !decoder_) bytes.push_back(' ');  // without a decoder, HF joins tokens with spaces
    bytes += tokens[i];
  }
  return bytes;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string bytes = decode_bytes(ids, skip_special);
  return utf8::is_valid(bytes) ? bytes : utf8::sanitize(bytes);
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_.token_to_id(token)) return id;
  return model_.token_to_id(token);
}

const std::string* Tokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* added = added_.find(id)) return &added->content;
  return model_.id_to_token(id);
}

int32_t Tokenizer::vocab_size() const {
  int32_t n = model_.vocab_end();
  for (const AddedToken& t : added_.tokens()) n = std::max(n, t.id + 1);
  return n;
}

bool Tokenizer::is_special(int32_t id) const {
  const AddedToken* added = added_.find(id);
  return added != nullptr && added->special;
}

}  // namespace aha::tokenizer
