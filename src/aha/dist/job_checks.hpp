// What every rank of a data-parallel run must agree on before it trains: the same program, the
// same config and one output directory that all of them see. Checked at start-up, so that a bad
// launch fails at once with a line naming the rank, rather than as different results later.
#pragma once

#include <string>
#include <vector>

#include "aha/dist/communicator.hpp"

namespace aha::dist {

// A bad-input Error unless every rank runs the same executable (its bytes) with the same
// `config_text`, and sees the files rank 0 writes into `output_dir` (which rank 0 creates). A
// single process is not checked.
void check_ranks_agree(Communicator& comm, const std::string& config_text, const std::string& output_dir);

// Every rank's node name (node_name()), in rank order.
std::vector<std::string> node_names(Communicator& comm);

}  // namespace aha::dist
