#include "aha/base/error.hpp"

#include <cerrno>
#include <cstring>

namespace aha {

void fail_io(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::io, fmt::format("{}: {}: {}", path, what, std::strerror(errno)));
}

void fail_internal(const std::string& what) { throw Error(ErrorKind::internal, "internal error: " + what); }

}  // namespace aha
