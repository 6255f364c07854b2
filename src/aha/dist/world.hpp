// The processes of this run: one, or every rank that mpirun started (Open MPI sets
// OMPI_COMM_WORLD_SIZE in each). The executable joins once at start-up, before any worker thread
// starts, and leaves at exit; everything else reaches the ranks through world().
#pragma once

#include <string>

#include "aha/dist/communicator.hpp"

namespace aha::dist {

// Joins the job mpirun started: initialises MPI, and world() becomes its communicator. Without
// mpirun, world() is the single process. A build without MPI launched by mpirun is a bad-input
// Error (each of its processes would train alone and write the same files).
void join_world(int* argc, char*** argv);

// The communicator of every rank of the run.
Communicator& world();

// Leaves the job at a normal exit (after the last collective of every rank).
void leave_world();

// Ends the whole job with `status`, on every rank, at once: after this rank reported an error,
// the other ranks would otherwise wait in their next collective forever.
[[noreturn]] void abort_world(int status);

// This node's name (MPI's processor name, else the host name), for provenance.
std::string node_name();

}  // namespace aha::dist
