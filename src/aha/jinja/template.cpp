#include "aha/jinja/template.hpp"

#include "aha/base/error.hpp"
#include "aha/jinja/lexer.hpp"
#include "aha/jinja/parser.hpp"
#include "aha/jinja/renderer.hpp"

namespace aha::jinja {

Template::Template(std::string_view source, std::string name) : name_(std::move(name)) {
  try {
    program_ = Parser(tokenize(source)).parse_template();
  } catch (const Error& e) {
    fail("{}: {}", name_, e.what());
  }
}

std::string Template::render(const std::unordered_map<std::string, Value>& variables, const Limits& limits) const {
  Renderer renderer(program_, variables, limits);
  try {
    return renderer.render();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::bad_input) throw;
    fail("{}: line {}: {}", name_, renderer.line(), e.what());
  }
}

}  // namespace aha::jinja
