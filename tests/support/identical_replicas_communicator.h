// A single-process stand-in for a world of N identical replicas: an allreduce-sum multiplies
// the buffer by N (what N equal contributions would sum to), an average divides that sum by N
// again, and every call is recorded.
#pragma once

#include <cstring>
#include <vector>

#include "comm/communicator.h"

namespace gan::test_support {

class IdenticalReplicasCommunicator final : public comm::Communicator {
 public:
  struct Call {
    void* data;
    size_t count;
    comm::ReduceOp op;
  };
  // `rank` and `local_rank` only say where this process pretends to be (the collectives are the
  // same from any rank).
  explicit IdenticalReplicasCommunicator(int world, int rank = 0, int local_rank = 0)
      : world_(world), rank_(rank), local_rank_(local_rank) {}

  int rank() const override { return rank_; }
  int worldSize() const override { return world_; }
  int localRank() const override { return local_rank_; }
  int localSize() const override { return 1; }
  std::string backendName() const override { return "recording"; }

  std::shared_ptr<comm::Work> allreduceAsync(comm::BufferView buffer, comm::AllreduceOptions options) override {
    calls.push_back({buffer.data, buffer.count, options.op});
    const bool sums = options.op == comm::ReduceOp::Sum || options.op == comm::ReduceOp::Average;
    if (sums && buffer.type == comm::ScalarType::Float32) scale(static_cast<float*>(buffer.data), buffer.count, options.op);
    if (sums && buffer.type == comm::ScalarType::Float64) scale(static_cast<double*>(buffer.data), buffer.count, options.op);
    if (sums && buffer.type == comm::ScalarType::Int64) scale(static_cast<int64_t*>(buffer.data), buffer.count, options.op);
    return std::make_shared<Done>();
  }
  void broadcast(comm::BufferView, int, comm::BroadcastOptions = {}) override {}
  void barrier() override {}
  // N identical replicas: every rank's part equals this one's.
  void gather(comm::BufferView send, void* receive, int) override {
    for (int r = 0; r < world_; ++r) std::memcpy(static_cast<char*>(receive) + r * send.bytes(), send.data, send.bytes());
  }
  void scatter(const void* send, comm::BufferView receive, int) override {
    std::memcpy(receive.data, send, receive.bytes());
  }
  [[noreturn]] void abortJob(int) noexcept override { std::abort(); }

  std::vector<Call> calls;

 private:
  template <typename T>
  void scale(T* values, size_t count, comm::ReduceOp op) const {
    for (size_t i = 0; i < count; ++i) values[i] *= T(world_);
    if (op == comm::ReduceOp::Average) {
      for (size_t i = 0; i < count; ++i) values[i] /= T(world_);
    }
  }
  struct Done final : comm::Work {
    void wait() override {}
  };
  int world_;
  int rank_;
  int local_rank_;
};

}  // namespace gan::test_support
