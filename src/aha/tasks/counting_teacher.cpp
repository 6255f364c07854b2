#include "aha/tasks/counting_teacher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <vector>

#include "aha/base/error.hpp"

namespace aha::tasks {
namespace {

struct Step {
  int64_t left = 0, right = 0;
  char op = '+';
};

std::vector<Step> parse_steps(const std::string& reasoning) {
  std::vector<Step> steps;
  std::istringstream lines(reasoning);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    Step s;
    char eq = 0;
    int64_t result = 0;
    if (!(in >> s.left >> s.op >> s.right >> eq >> result) || eq != '=' || (s.op != '+' && s.op != '-'))
      fail_internal("teacher_solution: not an \"a +/- b = c\" line: " + line);
    steps.push_back(s);
  }
  if (steps.size() < 2) fail_internal("teacher_solution: needs at least two steps");
  return steps;
}

// The lines and final count of `steps` computed from the first step's left number.
TeacherSolution write_out(const std::vector<Step>& steps) {
  TeacherSolution out;
  int64_t count = steps.front().left;
  for (const Step& s : steps) {
    const int64_t next = s.op == '+' ? count + s.right : count - s.right;
    if (!out.reasoning.empty()) out.reasoning += '\n';
    out.reasoning += fmt::format("{} {} {} = {}", count, s.op, s.right, next);
    count = next;
  }
  out.answer = std::to_string(count);
  return out;
}

}  // namespace

TeacherSolution teacher_solution(const std::string& reasoning, double misread_rate, RandomStream& rng) {
  std::vector<Step> steps = parse_steps(reasoning);
  const TeacherSolution right = write_out(steps);
  const auto first_minus = std::find_if(steps.begin(), steps.end(), [](const Step& s) { return s.op == '-'; });
  // One draw per problem, taken also when there is nothing to misread, so that which problems
  // are misread does not depend on the others.
  const bool misread = rng.uniform() < misread_rate && first_minus != steps.end();
  if (!misread) return {right.reasoning, right.answer, true, false};
  first_minus->op = '+';
  TeacherSolution out = write_out(steps);
  out.correct = out.answer == right.answer;
  out.misread = true;
  return out;
}

}  // namespace aha::tasks
