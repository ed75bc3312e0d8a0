// A Communicator that enters every collective in a CollectiveFlightRecorder, then hands it to the real
// backend. It wraps the backend once, at start-up, so every collective of the process is
// recorded and watched: gradient buckets, control words, synchronised batch norm inside a
// forward pass, evaluation sums, broadcasts at start-up and resume.
#pragma once

#include <memory>

#include "comm/collective_flight_recorder.h"
#include "comm/communicator.h"

namespace gan::comm {

class FlightRecordingCommunicator final : public Communicator {
 public:
  explicit FlightRecordingCommunicator(std::unique_ptr<Communicator> backend);

  CollectiveFlightRecorder& record() { return record_; }
  Communicator& backend() { return *backend_; }
  const Communicator& backend() const { return *backend_; }

  int rank() const override { return backend_->rank(); }
  int worldSize() const override { return backend_->worldSize(); }
  int localRank() const override { return backend_->localRank(); }
  int localSize() const override { return backend_->localSize(); }
  std::string backendName() const override { return backend_->backendName(); }
  std::string describeAllreduce() const override { return backend_->describeAllreduce(); }
  bool runsCollectivesOnCaller() const override { return backend_runs_on_caller_; }
  bool hasMpiWorld() const override { return backend_->hasMpiWorld(); }
  CollectiveBreakdown takeCollectiveBreakdown() override { return backend_->takeCollectiveBreakdown(); }

  std::shared_ptr<Work> allreduceAsync(BufferView buffer, AllreduceOptions options) override;
  void broadcast(BufferView buffer, int root, BroadcastOptions options = {}) override;
  void barrier() override;
  void gather(BufferView send, void* receive, int root) override;
  void scatter(const void* send, BufferView receive, int root) override;
  [[noreturn]] void abortJob(int exit_code) noexcept override;

 private:
  std::unique_ptr<Communicator> backend_;
  // The backend runs a collective inside the call that issues it (MpiCommunicator on one core):
  // the caller waits from that moment, and the watchdog must know it.
  bool backend_runs_on_caller_ = false;
  CollectiveFlightRecorder record_;
};

}  // namespace gan::comm
