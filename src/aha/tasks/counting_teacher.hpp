// The demo's warm-up teacher: a program that solves chained arithmetic ("a op b = c" lines, each
// starting from the previous result) and, like a weak model, is sometimes wrong. Its mistakes
// leave the warm-up model a habit RL can remove: the right answer is among its samples, but not
// the only one (the PyTorch reference in issue #6 used a teacher right 47% of the time).
#pragma once

#include <string>

#include "aha/base/random.hpp"

namespace aha::tasks {

struct TeacherSolution {
  std::string reasoning;  // the "a op b = c" lines the teacher writes
  std::string answer;     // the number it puts in <answer>
  bool correct = false;   // whether that is the right answer
};

// With probability 1 - error_rate the steps as given; otherwise one mistake, equally often
// either: it stops one step early (answering the count before the last step), or it takes one
// step (drawn uniformly) the wrong way, + for - or - for +, and carries the wrong count on.
// `reasoning` must be such lines with + or - (bad input is an internal error: the demo's own
// task writes them).
TeacherSolution noisy_solution(const std::string& reasoning, double error_rate, RandomStream& rng);

}  // namespace aha::tasks
