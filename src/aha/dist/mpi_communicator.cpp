#include "aha/dist/mpi_communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "aha/base/error.hpp"

namespace aha::dist {
namespace {

// MPI counts are ints: larger messages go in pieces of this many bytes.
constexpr size_t kPiece = size_t{1} << 30;

// bytes (count on every rank) <- rank root's, piece by piece.
void broadcast_bytes(std::byte* bytes, size_t count, int root) {
  for (size_t at = 0; at < count; at += kPiece)
    MPI_Bcast(bytes + at, static_cast<int>(std::min(kPiece, count - at)), MPI_BYTE, root, MPI_COMM_WORLD);
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(std::span<float> values) override { sum_in_rank_order(*this, values); }
  void all_reduce_sum(std::span<double> values) override { sum_in_rank_order(*this, values); }

  void broadcast(std::span<std::byte> bytes, int root) override { broadcast_bytes(bytes.data(), bytes.size(), root); }

  // Each rank's size, then each rank's bytes broadcast from it in turn.
  std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> mine) override {
    std::vector<int64_t> sizes(static_cast<size_t>(size_));
    const auto my_size = static_cast<int64_t>(mine.size());
    MPI_Allgather(&my_size, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, MPI_COMM_WORLD);
    std::vector<std::vector<std::byte>> all(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      std::vector<std::byte>& bytes = all[static_cast<size_t>(r)];
      if (r == rank_) bytes.assign(mine.begin(), mine.end());
      else bytes.resize(static_cast<size_t>(sizes[static_cast<size_t>(r)]));
      broadcast_bytes(bytes.data(), bytes.size(), r);
    }
    return all;
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> start_mpi(int* argc, char*** argv) {
  int provided = 0;
  // Only the main thread calls MPI; the worker threads compute.
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    fail("MPI could not start (MPI_Init_thread failed)");
  return std::make_unique<MpiCommunicator>();
}

void stop_mpi() { MPI_Finalize(); }

void abort_mpi(int status) {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);
}

std::string mpi_processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  return std::string(name, static_cast<size_t>(std::max(0, length)));
}

}  // namespace aha::dist
