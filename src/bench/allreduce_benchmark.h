// gan_bench allreduce: bandwidth of the gradient-bucket path against one raw MPI_Allreduce.
#pragma once

#include <cstdint>

#include "comm/communicator.h"

namespace gan::bench {

struct AllreduceBenchmarkOptions {
  int64_t min_bytes = 4 << 10;
  int64_t max_bytes = 256 << 20;
  double bucket_mb = 25.0;
  int iterations = 20;  // per size at the small end; fewer for sizes above 16 MiB
};

// Prints one row per size (nccl-tests style: size, time, algbw, busbw for both paths, wrong
// values) and returns the number of wrong result elements across all ranks.
int64_t runAllreduceBenchmark(comm::Communicator& communicator, const AllreduceBenchmarkOptions& options);

}  // namespace gan::bench
