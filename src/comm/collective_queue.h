// CollectiveQueue: runs a communicator's collectives one at a time, in the order the training
// thread issued them, so every rank issues the same calls in the same order and the MPI library
// needs only MPI_THREAD_SERIALIZED.
//
// By default they run on a communication thread of the queue's own, so a bucket's allreduce
// progresses while backward keeps computing. With `runs_on_caller` (a rank bound to one core,
// where the two threads could only time-slice and each hand-over costs a wake-up) they run on
// the thread that issues them, in the same queue order (tasks waiting for the next first); Work::wait()
// then returns at once.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "comm/communicator.h"

namespace gan::comm {

class CollectiveQueue {
 public:
  explicit CollectiveQueue(bool runs_on_caller);
  // Runs what is still queued (tasks waiting for the next included), then stops the thread.
  ~CollectiveQueue();
  CollectiveQueue(const CollectiveQueue&) = delete;
  CollectiveQueue& operator=(const CollectiveQueue&) = delete;

  // Queues `collective` (a blocking call, run to completion). `start_with_next`: the task waits until a
  // task behind it is queued or it is waited for (AllreduceOptions::start_with_next); the queue's
  // order is kept either way. A collective that throws fails its Work's wait().
  std::shared_ptr<Work> enqueue(std::function<void()> collective, bool start_with_next = false);
  bool runsOnCaller() const { return runs_on_caller_; }

 private:
  class Task;
  // A task waiting for the next, started now (it is waited for).
  void startNow(Task& waiting_task);
  // On the calling thread: the queued tasks (all waiting for the next) in order up to `last_queued` (all when
  // null), then `task` if given.
  void runQueuedThen(const Task* last_queued, const std::shared_ptr<Task>& task);
  void communicationLoop();

  const bool runs_on_caller_;
  std::mutex mutex_;
  std::condition_variable queue_changed_;
  std::deque<std::shared_ptr<Task>> queue_;
  size_t startable_ = 0;  // queued tasks that are not waiting for the next
  bool stopping_ = false;
  std::thread worker_;  // last: starts once everything above exists
};

}  // namespace gan::comm
