// Agreement on whether every rank can go on, before a step that would otherwise hang the ranks
// that can (the NCCL unique-id broadcast and ncclCommInitRank wait for every rank; a node whose
// GPU check failed and exited would leave the others there until the launcher notices).
#pragma once

#include <string>

#include "comm/communicator.h"

namespace gan::comm {

// Collective over host buffers: every rank passes what is wrong on it ("" when nothing is).
// Returns on every rank when no rank reported a problem; otherwise throws the same gan::Error on
// every rank, naming `what`, the first failing rank, its problem and any other failing ranks.
void requireEveryRankReady(Communicator& communicator, const std::string& local_problem, const std::string& what);

}  // namespace gan::comm
