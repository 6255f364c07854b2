// The demo's warm-up teacher: a program that solves chained arithmetic ("a op b = c" lines, each
// starting from the previous result) with one systematic mistake, as a weak model has habits
// rather than random slips: it often reads the first step that takes things away as one that
// adds them. A model trained on it learns the habit, so on such problems its most likely answer
// is wrong while the right one is among its samples — what RL can fix and imitation cannot.
#pragma once

#include <string>

#include "aha/base/random.hpp"

namespace aha::tasks {

struct TeacherSolution {
  std::string reasoning;  // the "a op b = c" lines the teacher writes
  std::string answer;     // the number it puts in <answer>
  bool correct = false;   // whether that is the right answer
  bool misread = false;   // whether it made its mistake
};

// On a problem with a "-" step, with probability `misread_rate` the first "-" step is written
// as "+" and the wrong count is carried on; otherwise, and on problems with no "-" step, the
// steps as given. `reasoning` must be such lines with + or - (bad input is an internal error:
// the demo's own task writes them).
TeacherSolution teacher_solution(const std::string& reasoning, double misread_rate, RandomStream& rng);

}  // namespace aha::tasks
