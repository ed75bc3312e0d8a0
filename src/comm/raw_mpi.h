// Direct MPI calls for benchmarks that compare our communication paths against plain MPI.
#pragma once

#include <cstddef>

#include "comm/communicator.h"

namespace gan::comm {

// Seconds per call of one blocking MPI_Allreduce (float sum, in place) of `count` floats on
// MPI_COMM_WORLD, issued directly from the calling thread, best of `iterations`. `communicator`
// must be an MPI-based backend with no collective in flight (it is drained first).
double timeRawMpiAllreduce(Communicator& communicator, float* data, size_t count, int iterations);

// A barrier whose waiting ranks sleep instead of spinning (MPI_Ibarrier, tested every 100 us):
// while one rank is timed alone the others leave their cores idle, as if they were not there.
// A plain barrier where the communicator is not MPI-based. No collective of `communicator` may
// be in flight (a barrier first would spin for as long as the timed rank runs).
void barrierAsleep(Communicator& communicator);

}  // namespace gan::comm
