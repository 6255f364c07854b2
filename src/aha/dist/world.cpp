#include "aha/dist/world.hpp"

#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "aha/base/error.hpp"

#if AHA_HAVE_MPI
#include "aha/dist/mpi_communicator.hpp"
#endif

namespace aha::dist {
namespace {

// A positive count from the environment variable `name`, or 0 when unset or not a number.
int env_count(const char* name) {
  const char* text = std::getenv(name);
  if (!text) return 0;
  char* end = nullptr;
  const long n = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && n > 0 && n < 1 << 20 ? static_cast<int>(n) : 0;
}

std::unique_ptr<Communicator>& joined() {
  static std::unique_ptr<Communicator> comm;
  return comm;
}

}  // namespace

bool built_with_mpi() { return AHA_HAVE_MPI != 0; }

int launched_ranks() { return std::max(1, env_count("OMPI_COMM_WORLD_SIZE")); }

void join_world([[maybe_unused]] int* argc, [[maybe_unused]] char*** argv) {
  if (!std::getenv("OMPI_COMM_WORLD_SIZE")) return;
#if AHA_HAVE_MPI
  joined() = start_mpi(argc, argv);
#else
  fail(
      "this aha was built without MPI, but mpirun started it ({} processes): install libopenmpi-dev "
      "(scripts/install-deps) and build again, or run aha without mpirun",
      launched_ranks());
#endif
}

Communicator& world() { return joined() ? *joined() : single_process(); }

void leave_world() {
#if AHA_HAVE_MPI
  if (joined()) stop_mpi();
#endif
  joined().reset();
}

void abort_world(int status) {
#if AHA_HAVE_MPI
  if (joined()) abort_mpi(status);
#endif
  std::_Exit(status);
}

int ranks_on_this_node() { return std::max(1, env_count("OMPI_COMM_WORLD_LOCAL_SIZE")); }

std::string node_name() {
#if AHA_HAVE_MPI
  if (joined()) return mpi_processor_name();
#endif
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

}  // namespace aha::dist
