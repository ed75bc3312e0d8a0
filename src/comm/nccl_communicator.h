// NCCL backend for CUDA buffers. Built only when CUDA and NCCL were found at configure time.
//
// Bootstrapped through MPI: every rank first checks its GPU and all ranks agree that every check
// passed (a rank without a usable GPU must not leave the others waiting in the unique-id
// broadcast); then rank 0 creates the ncclUniqueId, MPI broadcasts it, and every rank creates a
// non-blocking communicator and waits for it with a deadline. Each rank drives the GPU of its
// node-local rank. Device reductions run on a dedicated stream ordered against the caller's
// streams with events, so the host never blocks on them; host buffers (control words,
// checksums) go through the MPI backend.
//
// A failed peer shows up in NCCL as an asynchronous error of the communicator, not as a return
// code: a monitor thread polls ncclCommGetAsyncError and ends the job with one line when it
// reports one, and every host wait here polls it too, so no rank waits on a dead peer forever.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "comm/communicator.h"
#include "comm/mpi_communicator.h"

namespace gan::comm {

class NcclCommunicator final : public Communicator {
 public:
  // timeout_s bounds the set-up and every host wait of this backend (--comm.timeout_s).
  explicit NcclCommunicator(double timeout_s);
  ~NcclCommunicator() override;

  int rank() const override { return host_->rank(); }
  int worldSize() const override { return host_->worldSize(); }
  int localRank() const override { return host_->localRank(); }
  int localSize() const override { return host_->localSize(); }
  int deviceIndex() const { return device_; }
  std::string backendName() const override { return "nccl"; }
  bool hasMpiWorld() const override { return true; }

  std::shared_ptr<Work> allreduceAsync(BufferView buffer, AllreduceOptions options) override;
  void broadcast(BufferView buffer, int root, BroadcastOptions options = {}) override;
  void barrier() override { host_->barrier(); }
  // Checkpoint-time per-rank state travels through host memory, over MPI.
  void gather(BufferView send, void* receive, int root) override { host_->gather(send, receive, root); }
  void scatter(const void* send, BufferView receive, int root) override { host_->scatter(send, receive, root); }
  [[noreturn]] void abortJob(int exit_code) noexcept override;

 private:
  struct State;
  // Waits until the communicator has no operation in progress; throws on an error or timeout.
  void settle(const char* call);
  void monitorAsyncErrors();

  std::unique_ptr<MpiCommunicator> host_;
  const double timeout_s_;
  int device_ = 0;
  std::unique_ptr<State> state_;
  std::atomic<bool> stop_monitor_{false};
  std::thread monitor_;
};

}  // namespace gan::comm
