// Separating a reasoning model's <think>…</think> text from its answer, for streamed output:
// tags split across chunks are recognised, and text that may be the start of a tag is held back.
#pragma once

#include <string>
#include <vector>

namespace aha::generate {

// A run of text and whether it was inside <think>…</think>.
struct TextPiece {
  bool reasoning;
  std::string text;
};

class ReasoningSplitter {
 public:
  // `in_reasoning`: the prompt already opened <think> (as R1's and Qwen3's templates can).
  explicit ReasoningSplitter(bool in_reasoning = false) : state_(in_reasoning ? State::reasoning : State::start) {}

  // Adds streamed text; returns the pieces that are now certain, tags removed.
  std::vector<TextPiece> feed(const std::string& text);
  // Returns what is still held back, at the end of the text.
  std::vector<TextPiece> flush();

 private:
  // start: only whitespace so far, an opening <think> may come; then reasoning until
  // </think>; then answer to the end.
  enum class State { start, reasoning, answer };
  State state_;
  std::string held_;
};

// True when `prompt` ends inside an unclosed <think> (the template opened it for the model).
bool prompt_opens_reasoning(const std::string& prompt);

}  // namespace aha::generate
