// aha::Error: the one exception type the library throws; the CLI maps its kind to an exit code.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace aha {

enum class ErrorKind {
  bad_input,  // a file, config, request or argument the user gave is wrong (exit 2)
  io,         // the operating system refused a read or write (exit 2)
  internal,   // a bug in aha (exit 1)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  // What sort of failure this is.
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Throws a bad-input Error whose message is formatted like fmt::format.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(ErrorKind::bad_input, fmt::format(format, std::forward<Args>(args)...));
}

// Throws an I/O Error for `path`, appending the text of errno.
[[noreturn]] void fail_io(const std::string& path, const std::string& what);

// Throws an internal Error: a condition that correct code never reaches.
[[noreturn]] void fail_internal(const std::string& what);

}  // namespace aha
