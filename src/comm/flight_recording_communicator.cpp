#include "comm/flight_recording_communicator.h"

#include <cstdlib>

namespace gan::comm {

namespace {
class RecordedWork final : public Work {
 public:
  RecordedWork(std::shared_ptr<Work> work, CollectiveFlightRecorder& record, uint64_t seq)
      : work_(std::move(work)), record_(record), seq_(seq) {}
  void wait() override {
    record_.waitBegins(seq_);
    work_->wait();
    record_.finish(seq_);
  }
  double collectiveSeconds() const override { return work_->collectiveSeconds(); }
  int64_t startedAtMicros() const override { return work_->startedAtMicros(); }

 private:
  std::shared_ptr<Work> work_;
  CollectiveFlightRecorder& record_;
  uint64_t seq_;
};
}  // namespace

FlightRecordingCommunicator::FlightRecordingCommunicator(std::unique_ptr<Communicator> backend)
    : backend_(std::move(backend)) {
  backend_runs_on_caller_ = backend_->runsCollectivesOnCaller();
}

std::shared_ptr<Work> FlightRecordingCommunicator::allreduceAsync(BufferView buffer, AllreduceOptions options) {
  const uint64_t seq = record_.issue("allreduce", buffer.bytes());
  // One that starts with the next still returns at once; it runs inside the next collective's call.
  if (backend_runs_on_caller_ && !options.start_with_next) record_.waitBegins(seq);
  return std::make_shared<RecordedWork>(backend_->allreduceAsync(buffer, options), record_, seq);
}

void FlightRecordingCommunicator::broadcast(BufferView buffer, int root, BroadcastOptions options) {
  const uint64_t seq = record_.issue("broadcast", buffer.bytes());
  record_.waitBegins(seq);
  backend_->broadcast(buffer, root, options);
  record_.finish(seq);
}

void FlightRecordingCommunicator::barrier() {
  const uint64_t seq = record_.issue("barrier", 0);
  record_.waitBegins(seq);
  backend_->barrier();
  record_.finish(seq);
}

void FlightRecordingCommunicator::gather(BufferView send, void* receive, int root) {
  const uint64_t seq = record_.issue("gather", send.bytes());
  record_.waitBegins(seq);
  backend_->gather(send, receive, root);
  record_.finish(seq);
}

void FlightRecordingCommunicator::scatter(const void* send, BufferView receive, int root) {
  const uint64_t seq = record_.issue("scatter", receive.bytes());
  record_.waitBegins(seq);
  backend_->scatter(send, receive, root);
  record_.finish(seq);
}

void FlightRecordingCommunicator::abortJob(int exit_code) noexcept {
  backend_->abortJob(exit_code);
  std::_Exit(exit_code);  // not reached: GCC does not carry [[noreturn]] through a virtual call
}

}  // namespace gan::comm
