#include "comm/raw_mpi.h"

#include <time.h>

#include <algorithm>

#include "comm/mpi_check.h"

namespace gan::comm {

double timeRawMpiAllreduce(Communicator& communicator, float* data, size_t count, int iterations) {
  GAN_CHECK(communicator.hasMpiWorld(), "raw MPI timing needs an MPI-based communicator, got ",
            communicator.backendName());
  // The barrier returns only once the communication thread has drained its queue, so the MPI
  // calls below never overlap one of its own (MPI_THREAD_SERIALIZED).
  communicator.barrier();
  double best = 1e30;
  for (int i = 0; i < iterations; ++i) {
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    const double start = MPI_Wtime();
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD));
    best = std::min(best, MPI_Wtime() - start);
  }
  return best;
}

void barrierAsleep(Communicator& communicator) {
  if (!communicator.hasMpiWorld()) return communicator.barrier();
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_CHECK(MPI_Ibarrier(MPI_COMM_WORLD, &request));
  int done = 0;
  const timespec pause{0, 100 * 1000};
  while (true) {
    MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) break;
    nanosleep(&pause, nullptr);
  }
}

}  // namespace gan::comm
