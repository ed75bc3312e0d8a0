// MPI backend for host (CPU) buffers.
//
// All MPI calls of a communicator run on one dedicated communication thread, in the order the
// training thread issued them (or, below, on the training thread itself). That lets a bucket's
// allreduce progress while backward keeps computing, keeps the call order identical on every
// rank, and needs only MPI_THREAD_SERIALIZED from the MPI library.
//
// The thread uses blocking collectives: measured here, Open MPI's blocking MPI_Allreduce
// (coll/tuned over shared memory) is 2x faster than MPI_Iallreduce (libnbc), which moves only
// inside MPI_Test and so needs a polling loop on a core the training thread shares. When every
// rank is on one node, float sums and averages (the gradients) go through our own shared-memory
// allreduce instead, 2-3x faster than MPI_Allreduce there (shared_memory_allreduce.h);
// GAN_DIST_INTRANODE_ALLREDUCE=mpi in the environment keeps them on MPI.
//
// On one node with the rank bound to a single core (mpirun's default), the communication thread
// can only time-slice with the training thread: the collective costs the same core time either
// way, and handing it over and back costs two wake-ups per collective (measured ~0.2 ms a step
// for the reference MLP). There the collectives run on the calling thread instead, in the same
// queue order (held-back tasks first); Work::wait() then returns at once.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "comm/communicator.h"

namespace gan::comm {

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
  bool runsCollectivesOnCaller() const override { return runs_on_caller_; }
  // The two choices above for the start-up line ("" for a single rank).
  std::string describeAllreduce() const override;
  bool hasMpiWorld() const override { return true; }

  std::shared_ptr<Work> allreduceAsync(BufferView buffer, AllreduceOptions options) override;
  void broadcast(BufferView buffer, int root, BroadcastOptions options = {}) override;
  void barrier() override;
  void gather(BufferView send, void* receive, int root) override;
  void scatter(const void* send, BufferView receive, int root) override;
  [[noreturn]] void abortJob(int exit_code) noexcept override;

 private:
  class Task;
  // `held_back`: the task waits in the queue until a task behind it is queued or it is waited
  // for (AllreduceOptions::start_with_next); the queue's order is kept either way.
  std::shared_ptr<Work> enqueue(std::function<void()> start_collective, bool held_back = false);
  void release(Task& held_back_task);
  // On the calling thread: the queued (held-back) tasks in order up to `last_queued` (all when
  // null), then `task` if given.
  void runQueuedThen(const Task* last_queued, const std::shared_ptr<Task>& task);
  void communicationLoop();
  // Runs on the communication thread: a float32 Sum/Average that travels in 16 bits.
  void allreduceIn16Bits(BufferView buffer, AllreduceOptions options);

  bool owns_mpi_init_ = false;
  int rank_ = 0;
  int world_size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;

  std::mutex mutex_;
  std::condition_variable queue_changed_;
  std::deque<std::shared_ptr<Task>> queue_;
  size_t startable_ = 0;  // queued tasks that are not held back
  bool stopping_ = false;
  std::thread worker_;

  std::vector<uint16_t> wire_;  // the 16-bit copy in flight; touched by the communication thread only
  std::unique_ptr<SharedMemoryAllreduce> shared_memory_;  // used by whichever thread runs collectives
  bool runs_on_caller_ = false;
};

}  // namespace gan::comm
