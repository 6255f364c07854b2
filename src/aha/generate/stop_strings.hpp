// Stop strings for streamed text: text is released only once it cannot be the start of a
// stop string, and generation ends at the first stop string (which is not released).
#pragma once

#include <string>
#include <vector>

namespace aha::generate {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Adds newly decoded text; returns the text that is now safe to show.
  std::string feed(const std::string& text);
  // Returns whatever is still held back (at the end of generation).
  std::string flush();
  // True once a stop string has appeared; feed() returns nothing after that.
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace aha::generate
