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

std::unique_ptr<Communicator>& joined() {
  static std::unique_ptr<Communicator> comm;
  return comm;
}

}  // namespace

void join_world([[maybe_unused]] int* argc, [[maybe_unused]] char*** argv) {
  if (!std::getenv("OMPI_COMM_WORLD_SIZE")) return;
#if AHA_HAVE_MPI
  joined() = start_mpi(argc, argv);
#else
  fail(
      "this aha was built without MPI, but mpirun started it ({} processes): install libopenmpi-dev "
      "(scripts/install-deps) and build again, or run aha without mpirun",
      std::getenv("OMPI_COMM_WORLD_SIZE"));
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

std::string node_name() {
#if AHA_HAVE_MPI
  if (joined()) return mpi_processor_name();
#endif
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

}  // namespace aha::dist
