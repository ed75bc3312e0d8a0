#include "comm/collective_queue.h"

#include <chrono>
#include <string>
#include <utility>

#include "common/error.h"

namespace gan::comm {

// One queued collective: run to completion (a blocking MPI call) on the communication thread,
// while the training thread goes on until it waits for the result (or run by the training
// thread itself, when the rank has one core).
class CollectiveQueue::Task final : public Work {
 public:
  // `holder`: the queue it waits in for the next task (AllreduceOptions::start_with_next).
  Task(std::function<void()> start, CollectiveQueue* holder)
      : waits_for_next(holder != nullptr), start_(std::move(start)), holder_(holder) {}

  // Still waiting in the queue for a task behind it or a release; guarded by the
  // queue's mutex, not by this task's.
  bool waits_for_next;

  // Runs on the communication thread, or on the caller's.
  void run() {
    const auto began = std::chrono::steady_clock::now();
    const int64_t began_wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    std::string error;
    try {
      start_();
    } catch (const std::exception& e) {
      error = e.what();
    }
    const auto ended = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mutex_);
    seconds_ = std::chrono::duration<double>(ended - began).count();
    started_us_ = began_wall_us;
    error_ = error;
    done_ = true;
    finished_.notify_all();
  }

  void wait() override {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!done_ && holder_) {
      // Not run yet, so the queue still holds it (and is alive): start it now. Without
      // this task's lock: on the calling thread startNow runs it here.
      lock.unlock();
      holder_->startNow(*this);
      lock.lock();
    }
    finished_.wait(lock, [this] { return done_; });
    if (!error_.empty()) throw Error(error_);
  }

  double collectiveSeconds() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return seconds_;
  }

  int64_t startedAtMicros() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_us_;
  }

 private:
  std::function<void()> start_;
  CollectiveQueue* const holder_;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  bool done_ = false;
  double seconds_ = 0.0;
  int64_t started_us_ = 0;
  std::string error_;
};

CollectiveQueue::CollectiveQueue(bool runs_on_caller) : runs_on_caller_(runs_on_caller) {
  worker_ = std::thread([this] { communicationLoop(); });
}

CollectiveQueue::~CollectiveQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queue_changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void CollectiveQueue::communicationLoop() {
  for (;;) {
    std::shared_ptr<Task> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // A task waiting for the next waits for one behind it (or startNow); at shutdown everything runs.
      queue_changed_.wait(lock, [this] { return stopping_ || startable_ > 0; });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      if (task->waits_for_next) {
        task->waits_for_next = false;  // started by a task behind it, or by the shutdown
      } else {
        startable_ -= 1;
      }
    }
    task->run();
  }
}

std::shared_ptr<Work> CollectiveQueue::enqueue(std::function<void()> collective, bool start_with_next) {
  auto task = std::make_shared<Task>(std::move(collective), start_with_next ? this : nullptr);
  if (runs_on_caller_ && !start_with_next) {
    runQueuedThen(nullptr, task);
    return task;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    GAN_CHECK(!stopping_, "collective issued on a communicator that is shutting down");
    queue_.push_back(task);
    if (start_with_next) return task;
    startable_ += 1;
  }
  queue_changed_.notify_one();
  return task;
}

void CollectiveQueue::runQueuedThen(const Task* last_queued, const std::shared_ptr<Task>& task) {
  std::deque<std::shared_ptr<Task>> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    GAN_CHECK(!stopping_, "collective issued on a communicator that is shutting down");
    // Only tasks waiting for the next stay in the queue when collectives run on the caller.
    while (!queue_.empty()) {
      due.push_back(std::move(queue_.front()));
      queue_.pop_front();
      due.back()->waits_for_next = false;
      if (due.back().get() == last_queued) break;
    }
  }
  for (auto& earlier : due) earlier->run();
  if (task) task->run();
}

void CollectiveQueue::startNow(Task& task) {
  if (runs_on_caller_) {
    bool queued = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queued = task.waits_for_next;
    }
    if (queued) runQueuedThen(&task, nullptr);  // it and any waiting before it, in order
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!task.waits_for_next) return;  // already started or taken by the communication thread
    task.waits_for_next = false;
    startable_ += 1;
  }
  queue_changed_.notify_one();
}

}  // namespace gan::comm
