// NCCL backend for CUDA buffers. Built only when CUDA and NCCL were found at configure time.
//
// Bootstrapped through MPI: rank 0 creates the ncclUniqueId, MPI broadcasts it, every rank calls
// ncclCommInitRank. Each rank drives the GPU of its node-local rank. Device reductions run on a
// dedicated stream ordered against the caller's compute stream with events, so the host never
// blocks on them; host buffers (control words, checksums) go through the MPI backend.
#pragma once

#include <memory>

#include "comm/communicator.h"
#include "comm/mpi_communicator.h"

namespace gan::comm {

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator();
  ~NcclCommunicator() override;

  int rank() const override { return host_->rank(); }
  int worldSize() const override { return host_->worldSize(); }
  int localRank() const override { return host_->localRank(); }
  int localSize() const override { return host_->localSize(); }
  int deviceIndex() const { return device_; }
  std::string backendName() const override { return "nccl"; }

  std::shared_ptr<Work> allreduceAsync(BufferView buffer, AllreduceOptions options) override;
  void broadcast(BufferView buffer, int root) override;
  void barrier() override { host_->barrier(); }
  [[noreturn]] void abortJob(int exit_code) noexcept override;

 private:
  struct State;
  std::unique_ptr<MpiCommunicator> host_;
  int device_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace gan::comm
