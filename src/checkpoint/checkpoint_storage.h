// Where checkpoints are kept: one complete copy per storage that holds --output.dir. With a
// node-local output directory every node keeps its own copy, so losing any one node (the one of
// rank 0 included) loses no checkpoint; with a shared one (NFS, Lustre) one copy is written, not
// one per node.
//
// Which ranks share a storage is found, not assumed: at start-up every rank creates a probe file
// named after the job and itself where its checkpoints go (OUT/checkpoints, which may be a link
// or mount onto other storage than OUT), and after a barrier reads which probes
// it sees. A rank writes checkpoints when it sees no probe of a lower rank: rank 0 always, and
// on node-local storage the lowest rank of every node (or of every group of nodes that share a
// mount). All replicas hold the same state, so each writer writes from its own replica; the one
// piece that is not replicated (PowerSGD's per-rank error feedback) is gathered to every writer.
#pragma once

#include <string>

#include "comm/communicator.h"
#include "common/run_directory.h"

namespace gan::checkpoint {

// The probe files' names begin with this (one a killed job left behind is removed by a later
// prune, pruneCheckpoints).
constexpr const char* kStorageProbePrefix = ".storage_probe.";

struct CheckpointStorage {
  bool writes_here = false;  // this rank keeps a copy of every checkpoint
  int copies = 1;            // how many ranks do (distinct storages of the output directory)
  // One line for the log: who keeps the copies.
  std::string describe() const;
};

// A collective: finds which ranks keep checkpoints (see above). Throws gan::Error naming the
// directory when this rank cannot create it or a file in it.
CheckpointStorage probeCheckpointStorage(const RunDirectory& run, comm::Communicator& communicator);

}  // namespace gan::checkpoint
