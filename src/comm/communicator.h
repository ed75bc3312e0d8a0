// Communicator: the one interface every backend (local, MPI, NCCL) implements. Training code
// talks only to this, so it never branches on world size or backend.
//
// Contract (as in every collective library): every rank makes the same collective calls in the
// same order with the same counts and types. Buffers are raw memory so this layer needs no torch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "comm/wire_format.h"
#include "comm/launcher_environment.h"

namespace gan::comm {

enum class ScalarType { Float32, Float64, Int64, UInt8 };
// Average: the sum across ranks, then one scale by 1/world size (on the backend's thread or
// stream, while the data is still in cache).
enum class ReduceOp { Sum, Average, Max, Min };
enum class MemorySpace { Host, Cuda };

size_t scalarSize(ScalarType type);

// A contiguous run of `count` elements at `data`.
struct BufferView {
  void* data = nullptr;
  size_t count = 0;
  ScalarType type = ScalarType::Float32;
  MemorySpace space = MemorySpace::Host;
  size_t bytes() const { return count * scalarSize(type); }
};

struct AllreduceOptions {
  ReduceOp op = ReduceOp::Sum;
  // CUDA buffers only: the stream that produced the data and will consume the result
  // (a cudaStream_t). The reduction is ordered after it and it is ordered after the reduction,
  // without blocking the host. nullptr means the default stream.
  void* cuda_stream = nullptr;
  // Float32 Sum/Average on host buffers: how the values travel (--comm.compress=bf16|fp16).
  // Anything but Float32 rounds: the result is no longer bitwise independent of the world size.
  WireFormat wire = WireFormat::Float32;
  // A latency-tolerant collective (the step's control word, waited for a step later): the
  // backend may start it with the next collective this rank issues (just before it), or
  // when it is waited for, rather than at once. On a core that the training thread shares, a
  // collective started at once competes with the step's compute and spins until the slowest
  // peer arrives; started with the next, it rides on a synchronisation point the step has anyway.
  bool start_with_next = false;
};

struct BroadcastOptions {
  // CUDA buffers only: the stream that produced the root's data and will read the result (a
  // cudaStream_t); nullptr means the default stream. The host returns once the data is final.
  void* cuda_stream = nullptr;
};

// Handle of a collective in flight.
class Work {
 public:
  virtual ~Work() = default;
  // Returns once the result may be used: for host buffers the data is final; for CUDA buffers
  // the consuming stream is ordered after the reduction (the host does not block on the GPU).
  // Rethrows a failure of the collective.
  virtual void wait() = 0;
  // Seconds the collective itself took, from start to completion (0 where not measured).
  virtual double collectiveSeconds() const { return 0.0; }
  // When it started, in microseconds of the wall clock (0 where not measured): for timelines.
  virtual int64_t startedAtMicros() const { return 0; }
};

// Where this rank's collectives spent their time since the last take: gan_bench's breakdown of a
// data-parallel step. Zeros where a backend does not measure it.
struct CollectiveBreakdown {
  // Sums through one node's shared memory (shared_memory_allreduce.h: the gradients and the
  // step's control word), by phase:
  double copy_in = 0;   // this rank's data into its slot for the peers
  double waiting = 0;   // at the two arrivals, for the slowest peer
  double summing = 0;   // its chunk summed over the ranks in order, and scaled
  double copy_out = 0;  // the peers' finished chunks back into the buffer
  int64_t shared_memory_calls = 0;
  // Everything else, through MPI (other operations, buffers past the segment's limit, all
  // collectives across nodes): whole calls, waits for peers included.
  double through_mpi = 0;
  int64_t mpi_calls = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int worldSize() const = 0;
  // Position and count of ranks on this node (selects the GPU).
  virtual int localRank() const = 0;
  virtual int localSize() const = 0;
  virtual std::string backendName() const = 0;
  // How its allreduce runs, for the start-up line ("" when there is nothing to say).
  virtual std::string describeAllreduce() const { return ""; }
  // Whether a collective runs inside the call that issues it (MPI on one core), so the time of
  // that call is communication; otherwise the call only hands the collective over, and any time
  // spent in it (the thread descheduled) is the caller's own.
  virtual bool runsCollectivesOnCaller() const { return false; }
  // Whether MPI is up with every rank in MPI_COMM_WORLD (the MPI backend, and NCCL, which MPI
  // starts): direct MPI calls, as benchmarks make, are possible.
  virtual bool hasMpiWorld() const { return false; }

  // Reduces `buffer` in place across all ranks. Collectives run in issue order.
  virtual std::shared_ptr<Work> allreduceAsync(BufferView buffer, AllreduceOptions options = {}) = 0;
  void allreduce(BufferView buffer, AllreduceOptions options = {}) {
    allreduceAsync(buffer, options)->wait();
  }
  // Copies root's buffer to every rank; returns when the copy is final on this rank.
  virtual void broadcast(BufferView buffer, int root, BroadcastOptions options = {}) = 0;
  virtual void barrier() = 0;
  // Host buffers only, blocking; for rare per-rank state (checkpoints), not for training steps.
  // gather: root receives every rank's `send` (same count everywhere) into `receive`, rank after
  // rank; `receive` is ignored elsewhere. scatter: rank r receives root's r-th part of `send`.
  virtual void gather(BufferView send, void* receive, int root) = 0;
  virtual void scatter(const void* send, BufferView receive, int root) = 0;

  // The breakdown since the last take. Read it after a waited collective (a barrier): the
  // thread that runs collectives writes it.
  virtual CollectiveBreakdown takeCollectiveBreakdown() { return {}; }

  // Ends the whole job at once (all ranks), for fatal errors: no peer is left waiting.
  [[noreturn]] virtual void abortJob(int exit_code) noexcept = 0;
};

// Rank `root`'s value, on every rank: the agreements of start-up and resume (a run id, a job
// number, a JSON message), not the step's traffic. Every rank calls them, as any collective.
int64_t broadcastInt64(int64_t value, int root, Communicator& communicator);
std::string broadcastText(std::string text, int root, Communicator& communicator);

}  // namespace gan::comm
