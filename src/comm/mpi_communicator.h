// MPI backend for host (CPU) buffers.
//
// All MPI calls of a communicator run on one dedicated communication thread, in the order the
// training thread issued them. That lets a bucket's allreduce progress while backward keeps
// computing, keeps the call order identical on every rank, and needs only
// MPI_THREAD_SERIALIZED from the MPI library.
//
// The thread uses blocking collectives: measured here, Open MPI's blocking MPI_Allreduce
// (coll/tuned over shared memory) is 2x faster than MPI_Iallreduce (libnbc), which moves only
// inside MPI_Test and so needs a polling loop on a core the training thread shares.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "comm/communicator.h"

namespace gan::comm {

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
};

}  // namespace gan::comm
