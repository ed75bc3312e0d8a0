// MPI backend for host (CPU) buffers. Its parts, a file each: the queue that runs the collectives
// in issue order on a communication thread or on the caller (collective_queue.h), the MPI calls'
// types and checks (mpi_calls.h), the 16-bit sums (sixteen_bit_allreduce.h), the choice of the
// shared-memory path and of the thread (intranode_path.h).
//
// The thread uses blocking collectives: Open MPI's blocking MPI_Allreduce (coll/tuned over shared
// memory) is faster than MPI_Iallreduce (libnbc), which moves only inside MPI_Test and so needs a
// polling loop on a core the training thread shares. When every rank is on one node, float sums
// and averages (the gradients) go through our own shared-memory allreduce instead, faster than
// MPI_Allreduce there (shared_memory_allreduce.h) (figures: docs/performance.md#figures-behind-the-codes-choices);
// GAN_DIST_INTRANODE_ALLREDUCE=mpi in the environment keeps them on MPI.
//
// On one node with the rank bound to a single core (mpirun's default), the communication thread
// can only time-slice with the training thread, and each hand-over costs a wake-up: there the
// collectives run on the calling thread instead, in the same queue order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace gan::comm {

class CollectiveQueue;        // collective_queue.h
class SharedMemoryAllreduce;  // shared_memory_allreduce.h: mpi.h stays inside this library

class MpiCommunicator final : public Communicator {
 public:
  // Initialises MPI if nobody has yet (and then finalises it on destruction).
  MpiCommunicator();
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int worldSize() const override { return world_size_; }
  int localRank() const override { return local_rank_; }
  int localSize() const override { return local_size_; }
  std::string backendName() const override { return "mpi"; }
  // Whether float sums and averages take the shared-memory path (all ranks on one node).
  bool reducesThroughSharedMemory() const { return shared_memory_ != nullptr; }
  // Whether collectives run on the thread that issues them (see above).
  bool runsCollectivesOnCaller() const override;
  // The two choices above for the start-up line ("" for a single rank).
  std::string describeAllreduce() const override;
  bool hasMpiWorld() const override { return true; }

  std::shared_ptr<Work> allreduceAsync(BufferView buffer, AllreduceOptions options) override;
  void broadcast(BufferView buffer, int root, BroadcastOptions options = {}) override;
  void barrier() override;
  void gather(BufferView send, void* receive, int root) override;
  void scatter(const void* send, BufferView receive, int root) override;
  [[noreturn]] void abortJob(int exit_code) noexcept override;
  CollectiveBreakdown takeCollectiveBreakdown() override;

 private:
  bool owns_mpi_init_ = false;
  int rank_ = 0;
  int world_size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;

  std::vector<uint16_t> wire_;  // the 16-bit copy in flight; touched by the thread running collectives only
  CollectiveBreakdown mpi_breakdown_;  // its MPI fields; written by the thread running collectives
  std::unique_ptr<SharedMemoryAllreduce> shared_memory_;  // used by whichever thread runs collectives
  std::unique_ptr<CollectiveQueue> queue_;                 // last: its thread may use everything above
};

}  // namespace gan::comm
