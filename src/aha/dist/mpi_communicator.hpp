// The Open MPI implementation of Communicator (built with AHA_MPI). Every collective keeps the
// rank order of its sums, so each rank gets the same bits whatever MPI's own algorithms do.
#pragma once

#include <memory>
#include <string>

#include "aha/dist/communicator.hpp"

namespace aha::dist {

// MPI_Init, and the communicator of MPI_COMM_WORLD.
std::unique_ptr<Communicator> start_mpi(int* argc, char*** argv);
// MPI_Finalize.
void stop_mpi();
// MPI_Abort of the whole job with `status`.
[[noreturn]] void abort_mpi(int status);
// MPI_Get_processor_name.
std::string mpi_processor_name();

}  // namespace aha::dist
