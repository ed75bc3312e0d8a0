// The float sums and averages (and integer sums: the step's control word) of an MPI job whose
// ranks all share one node, through one shared memory segment instead of MPI's point-to-point
// messages (what NCCL and llm.c do within a node).
//
// Several times faster than Open MPI's MPI_Allreduce plus the 1/n pass on one node
// (figures: docs/performance.md#figures-behind-the-codes-choices). Each rank owns one chunk of the
// buffer: it streams the other chunks of its data into its slot, sums its own chunk over every
// rank's slot in rank order (so the result is bitwise the same on every rank and for every
// chunking), scales it, and the ranks copy each other's finished chunks back. Two barriers per
// call, by counters in the segment.
//
// Non-temporal stores write the slots: a plain store to a line that a peer's core read last
// fetches it back from that core first, which made the copy several times slower.
//
// Runs wherever the MPI backend runs its collectives (its communication thread, or the training
// thread on one core), in their order. A rank that waits for a late peer spins; where ranks may
// share cores (not bound one to a core, oversubscribed) it yields its core after a short spin,
// and where each rank has its own it never does: with busy processes on one rank's core,
// yielding there handed each wait to them for a scheduler slice (waits longer than the step) and
// hid that rank's slowness from the straggler timing. A peer that never comes is the
// watchdog's to report, as for an MPI call.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "comm/communicator.h"

namespace gan::comm {

class SharedMemoryAllreduce {
 public:
  // Buffers above this go to MPI: the two paths tie about here (Open MPI copies large messages
  // once, by CMA), and the segment holds two slots of the largest buffer per rank.
  static constexpr size_t kMaxBytes = size_t(16) << 20;

  // Collective over MPI_COMM_WORLD, whose ranks must all share this node's memory.
  // `ranks_have_own_cores`: each rank is bound to a core of its own (see above).
  SharedMemoryAllreduce(int rank, int world_size, bool ranks_have_own_cores);
  // Collective too (MPI_Win_free): every rank destroys its own at shutdown.
  ~SharedMemoryAllreduce();
  SharedMemoryAllreduce(const SharedMemoryAllreduce&) = delete;
  SharedMemoryAllreduce& operator=(const SharedMemoryAllreduce&) = delete;

  // Float32 and Float64 Sum and Average, and Int64 Sum (the step's control word), on host
  // buffers of at most kMaxBytes.
  static bool handles(const BufferView& buffer, ReduceOp op);

  // In place, all ranks together with the same count and type. Grows the segment (collectively:
  // every rank makes the same call) when the buffer is larger than any before. Returns false,
  // on every rank alike and with the buffer untouched, when the shared-memory file system has
  // no room for the larger segment (a container's small /dev/shm): the caller reduces it another
  // way, and so does every later call of that size or more.
  bool allreduce(const BufferView& buffer, ReduceOp op);

  // Seconds in each phase since the last take (its shared-memory fields).
  CollectiveBreakdown takeBreakdown();

 private:
  template <typename T>
  void reduce(T* data, size_t count, bool average);
  bool reserve(size_t bytes);
  void arriveAndWait();

  int rank_;
  int world_size_;
  bool yield_while_waiting_;
  MPI_Win window_ = MPI_WIN_NULL;
  std::vector<char*> bases_;  // every rank's segment, mapped into this process
  size_t slot_bytes_ = 0;
  size_t refused_bytes_ = SIZE_MAX;  // the smallest slot the file system had no room for
  int set_ = 0;               // which of the two slots this call uses (double buffering)
  uint64_t arrivals_ = 0;     // barriers this rank has passed
  CollectiveBreakdown breakdown_;
};

}  // namespace gan::comm
