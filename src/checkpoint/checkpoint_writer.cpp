#include "checkpoint/checkpoint_writer.h"

#include <chrono>
#include <exception>
#include <utility>

#include "common/elapsed.h"

namespace gan::checkpoint {

BackgroundCheckpointWriter::BackgroundCheckpointWriter(RunDirectory run, int64_t keep_last,
                                                       std::function<std::function<void()>(int64_t)> hook_for_step)
    : run_(std::move(run)),
      keep_last_(keep_last),
      hook_for_step_(std::move(hook_for_step)),
      thread_([this] { writerLoop(); }) {}

BackgroundCheckpointWriter::~BackgroundCheckpointWriter() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !pending_ && !writing_; });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BackgroundCheckpointWriter::submit(CheckpointSnapshot snapshot) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !pending_ && !writing_; });
  pending_ = std::move(snapshot);
  lock.unlock();
  changed_.notify_all();
}

void BackgroundCheckpointWriter::waitUntilIdle() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !pending_ && !writing_; });
}

bool BackgroundCheckpointWriter::busy() {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_ || writing_;
}

std::deque<WrittenCheckpoint> BackgroundCheckpointWriter::takeFinished() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(finished_, {});
}

void BackgroundCheckpointWriter::writerLoop() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return pending_.has_value() || stopping_; });
    if (!pending_) return;  // stopping, nothing left
    CheckpointSnapshot snapshot = std::move(*pending_);
    pending_.reset();
    writing_ = true;
    lock.unlock();

    WrittenCheckpoint result;
    result.step = snapshot.position.step;
    const auto began = std::chrono::steady_clock::now();
    try {
      result.dir = writeCheckpoint(run_, snapshot, hook_for_step_ ? hook_for_step_(result.step) : nullptr);
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    if (result.ok()) {
      try {
        pruneCheckpoints(run_, keep_last_);
      } catch (const std::exception& e) {
        result.prune_warning = std::string("removing older checkpoints after step ") + std::to_string(result.step) +
                               " failed: " + e.what() + " (that checkpoint is written; pruning is tried again next time)";
      }
    }
    result.write_seconds = secondsSince(began);
    // The host copies go before the thread reports: memory is back when the caller hears of it.
    snapshot = CheckpointSnapshot();

    lock.lock();
    writing_ = false;
    finished_.push_back(std::move(result));
    lock.unlock();
    changed_.notify_all();
  }
}

}  // namespace gan::checkpoint
