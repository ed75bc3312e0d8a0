#include "comm/backend_factory.h"

#include "comm/local_communicator.h"
#include "comm/mpi_communicator.h"
#include "common/error.h"
#ifdef GAN_DIST_HAVE_NCCL
#include "comm/nccl_communicator.h"
#endif

namespace gan::comm {

bool ncclBackendCompiled() {
#ifdef GAN_DIST_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

namespace {
std::unique_ptr<Communicator> createBackend(BackendChoice choice, bool tensors_on_gpu, double timeout_s) {
  if (choice == BackendChoice::Auto) {
    if (tensors_on_gpu && ncclBackendCompiled()) {
      choice = BackendChoice::Nccl;
    } else {
      choice = startedByLauncher() ? BackendChoice::Mpi : BackendChoice::Local;
    }
  }
  switch (choice) {
    case BackendChoice::Local:
      GAN_CHECK(!startedByLauncher() || launcherWorldSize() == 1,
                "--comm.backend=local under a multi-process launch: every rank would train alone; "
                "use --comm.backend=mpi (or auto)");
      return std::make_unique<LocalCommunicator>();
    case BackendChoice::Mpi:
      GAN_CHECK(!tensors_on_gpu,
                "--comm.backend=mpi reduces CPU tensors only; use --train.device=cpu or --comm.backend=nccl");
      return std::make_unique<MpiCommunicator>();
    case BackendChoice::Nccl:
#ifdef GAN_DIST_HAVE_NCCL
      GAN_CHECK(tensors_on_gpu,
                "--comm.backend=nccl needs the model on a GPU, but training runs on the CPU "
                "(no CUDA device, or a LibTorch without CUDA)");
      return std::make_unique<NcclCommunicator>(timeout_s);
#else
      (void)timeout_s;
      GAN_FAIL("--comm.backend=nccl: this build has no NCCL support (CUDA and NCCL were not found "
               "when it was configured)");
#endif
    case BackendChoice::Auto: break;
  }
  GAN_FAIL("unreachable backend choice");
}
}  // namespace

void checkLauncherAgrees(const Communicator& communicator) {
  // srun without PMIx starts N unrelated processes that each see "rank 0 of 1" and would each
  // train alone, silently. Slurm's own count of the step's tasks gives it away.
  if (const int launched = slurmStepTasks(); launched > 0) {
    GAN_CHECK(!(launched > 1 && communicator.worldSize() == 1), "srun started ", launched,
              " tasks but MPI sees a world of 1 in each: launch with srun --mpi=pmix (or set MpiDefault=pmix in "
              "slurm.conf), with an MPI built with PMIx");
  }
}

std::unique_ptr<Communicator> createCommunicator(BackendChoice choice, bool tensors_on_gpu, double timeout_s) {
  auto communicator = createBackend(choice, tensors_on_gpu, timeout_s);
  checkLauncherAgrees(*communicator);
  return communicator;
}

}  // namespace gan::comm
