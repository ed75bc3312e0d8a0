// Where every rank runs: its host and its node-local rank and size as MPI sees them. The local
// rank picks the GPU on a real cluster, so it must be right; printing the whole table once at
// start-up lets a user map a host named in a failure to its ranks.
#pragma once

#include <string>
#include <vector>

#include "comm/communicator.h"

namespace gan::comm {

struct RankPlacement {
  std::string host;
  int local_rank = 0;
  int local_size = 1;
};

// This process's host name (as gethostname says; each simulated node has its own).
std::string thisHostName();

// Collective: every rank's placement, indexed by rank, on every rank. Host names longer than
// 63 bytes are cut.
std::vector<RankPlacement> gatherPlacements(Communicator& communicator);

// One line: "2 node(s): node1 ranks 0-1, node2 ranks 2-3" (hosts in order of their first rank).
std::string describePlacements(const std::vector<RankPlacement>& placements);

// "" when every rank's local rank is its position among the ranks of its host and its local
// size their count; otherwise what disagrees (two nodes sharing one hostname do this, and so
// does an MPI that groups ranks by something else than the host).
std::string placementInconsistency(const std::vector<RankPlacement>& placements);

// "0-1", "0,2,5-7": a set of rank numbers, sorted, for messages.
std::string rankRanges(std::vector<int> ranks);

}  // namespace gan::comm
