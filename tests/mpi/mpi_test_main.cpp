// main() of the multi-rank GoogleTest binaries: brings the MPI communicator up for the whole
// run, keeps the result printer on rank 0 only, and makes every rank agree on the verdict.
#include <gtest/gtest.h>

#include "process/memory_tuning.h"
#include "mpi/test_world.h"

namespace gan::test_support {
comm::Communicator& world() {
  static std::unique_ptr<comm::Communicator> communicator =
      comm::createCommunicator(comm::BackendChoice::Mpi, /*tensors_on_gpu=*/false);
  return *communicator;
}
}  // namespace gan::test_support

int main(int argc, char** argv) {
  gan::process::keepFreedMemoryInProcess();  // as gan_dist does: without it LibTorch's temporaries fault in again and again
  ::testing::InitGoogleTest(&argc, argv);
  auto& world = gan::test_support::world();
  if (world.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int64_t failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  // A failure on any rank fails the job on every rank.
  world.allreduce({&failed, 1, gan::comm::ScalarType::Int64, gan::comm::MemorySpace::Host},
                  {gan::comm::ReduceOp::Max});
  return failed != 0 ? 1 : 0;
}
