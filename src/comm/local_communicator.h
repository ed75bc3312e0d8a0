// The single-process backend: world size 1, every collective is a real no-op.
#pragma once

#include "comm/communicator.h"

namespace gan::comm {

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int worldSize() const override { return 1; }
  int localRank() const override { return 0; }
  int localSize() const override { return 1; }
  std::string backendName() const override { return "local"; }
  std::shared_ptr<Work> allreduceAsync(BufferView buffer, AllreduceOptions options) override;
  void broadcast(BufferView, int, BroadcastOptions = {}) override {}
  void barrier() override {}
  void gather(BufferView send, void* receive, int root) override;
  void scatter(const void* send, BufferView receive, int root) override;
  [[noreturn]] void abortJob(int exit_code) noexcept override;
};

}  // namespace gan::comm
