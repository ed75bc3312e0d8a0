// Choosing and creating the backend behind the Communicator interface (--comm.backend): the one
// place that knows every backend, beside them rather than in the interface's file.
#pragma once

#include <memory>

#include "comm/communicator.h"
#include "common/option_values.h"

namespace gan::comm {

using gan::BackendChoice;  // --comm.backend

// Whether this build compiled the NCCL backend.
bool ncclBackendCompiled();

// Throws gan::Error when the launcher and MPI disagree about the job (srun without PMIx).
void checkLauncherAgrees(const Communicator& communicator);

// Creates the backend: `auto` picks NCCL when tensors live on a GPU, MPI when started by a
// launcher, the local no-op backend otherwise, then checks it against the launcher. Throws
// gan::Error for impossible requests (nccl without GPU tensors or without NCCL compiled in).
// timeout_s bounds a backend's own waits (NCCL's set-up and host waits): --comm.timeout_s.
std::unique_ptr<Communicator> createCommunicator(BackendChoice choice, bool tensors_on_gpu, double timeout_s = 600);

}  // namespace gan::comm
