// Which way a job's float sums and averages go and which thread runs the collectives, chosen once
// at start-up by the MPI backend.
//  - All ranks on one node: our shared-memory allreduce (shared_memory_allreduce.h), unless
//    GAN_DIST_INTRANODE_ALLREDUCE=mpi keeps them on MPI_Allreduce.
//  - Collectives on the calling thread when every rank of the node is bound to a CPU of its own
//    (mpirun's default): a communication thread could only time-slice with the training thread
//    on that core (collective_queue.h).
#pragma once

#include <mpi.h>

namespace gan::comm {

struct IntranodePath {
  bool shared_memory = false;   // float sums and averages through shared memory
  bool runs_on_caller = false;  // collectives on the thread that issues them
};

// A collective over `node_comm` (this node's ranks, `local_size` of them).
IntranodePath chooseIntranodePath(MPI_Comm node_comm, int local_size, int world_size);

}  // namespace gan::comm
