#include "comm/mpi_communicator.h"

#include <chrono>
#include <cstdlib>
#include <string>

#include "comm/collective_queue.h"
#include "comm/intranode_path.h"
#include "comm/mpi_calls.h"
#include "comm/shared_memory_allreduce.h"
#include "comm/sixteen_bit_allreduce.h"
#include "common/elapsed.h"

namespace gan::comm {

MpiCommunicator::MpiCommunicator() {
  int initialized = 0;
  MPI_CHECK(MPI_Initialized(&initialized));
  if (!initialized) {
    int provided = 0;
    MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided));
    owns_mpi_init_ = true;
    GAN_CHECK(provided >= MPI_THREAD_SERIALIZED,
              "MPI library provides thread level ", provided,
              ", gan_dist needs MPI_THREAD_SERIALIZED (a dedicated communication thread)");
  } else {
    int provided = 0;
    MPI_CHECK(MPI_Query_thread(&provided));
    GAN_CHECK(provided >= MPI_THREAD_SERIALIZED,
              "MPI was initialised with thread level ", provided,
              "; gan_dist needs MPI_THREAD_SERIALIZED or higher");
  }
  // Errors come back as codes so MPI_CHECK can name the call, file and rank.
  MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world_size_));
  MPI_Comm node_comm;
  MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_comm));
  MPI_CHECK(MPI_Comm_rank(node_comm, &local_rank_));
  MPI_CHECK(MPI_Comm_size(node_comm, &local_size_));
  const IntranodePath path = chooseIntranodePath(node_comm, local_size_, world_size_);
  MPI_CHECK(MPI_Comm_free(&node_comm));
  createSixteenBitSums();
  if (path.shared_memory) {
    shared_memory_ = std::make_unique<SharedMemoryAllreduce>(rank_, world_size_, path.runs_on_caller);
  }
  queue_ = std::make_unique<CollectiveQueue>(path.runs_on_caller);
}

MpiCommunicator::~MpiCommunicator() {
  queue_.reset();  // what is still queued runs first
  shared_memory_.reset();  // collective, like the finalize below: every rank gets here at shutdown
  if (owns_mpi_init_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
}

bool MpiCommunicator::runsCollectivesOnCaller() const { return queue_->runsOnCaller(); }

std::string MpiCommunicator::describeAllreduce() const {
  if (world_size_ == 1) return "";
  std::string text = shared_memory_ ? "allreduce: float sums through shared memory (all ranks on one node)"
                                    : "allreduce: MPI_Allreduce";
  text += queue_->runsOnCaller() ? ", run by the training thread (one core per rank)" : ", on a communication thread";
  return text;
}

std::shared_ptr<Work> MpiCommunicator::allreduceAsync(BufferView buffer, AllreduceOptions options) {
  const int count = checkedCount(buffer);
  GAN_CHECK(options.op != ReduceOp::Average || buffer.type == ScalarType::Float32 ||
                buffer.type == ScalarType::Float64,
            "ReduceOp::Average needs a floating-point buffer");
  if (options.wire != WireFormat::Float32) {
    GAN_CHECK(buffer.type == ScalarType::Float32 && (options.op == ReduceOp::Sum || options.op == ReduceOp::Average),
              "a ", wireFormatName(options.wire), " allreduce needs a float32 buffer and a sum or average");
    return queue_->enqueue([this, buffer, options] { allreduceIn16Bits(buffer, options, world_size_, wire_); });
  }
  if (world_size_ == 1) return queue_->enqueue([] {});
  const int world = world_size_;
  auto through_mpi = [this, buffer, count, options, world] {
    const auto began = std::chrono::steady_clock::now();
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buffer.data, count, mpiType(buffer.type), mpiOp(options.op), MPI_COMM_WORLD));
    if (options.op == ReduceOp::Average) scaleToMean(buffer, world);
    mpi_breakdown_.through_mpi += secondsSince(began);
    mpi_breakdown_.mpi_calls += 1;
  };
  if (shared_memory_ && SharedMemoryAllreduce::handles(buffer, options.op)) {
    return queue_->enqueue(
        [this, buffer, options, through_mpi] {
          if (!shared_memory_->allreduce(buffer, options.op)) through_mpi();
        },
        options.start_with_next);
  }
  return queue_->enqueue(through_mpi, options.start_with_next);
}

CollectiveBreakdown MpiCommunicator::takeCollectiveBreakdown() {
  CollectiveBreakdown taken = shared_memory_ ? shared_memory_->takeBreakdown() : CollectiveBreakdown();
  taken.through_mpi = mpi_breakdown_.through_mpi;
  taken.mpi_calls = mpi_breakdown_.mpi_calls;
  mpi_breakdown_ = CollectiveBreakdown();
  return taken;
}

void MpiCommunicator::gather(BufferView send, void* receive, int root) {
  const int count = checkedCount(send);
  queue_->enqueue([send, receive, root, count] {
    MPI_CHECK(MPI_Gather(send.data, count, mpiType(send.type), receive, count, mpiType(send.type), root,
                         MPI_COMM_WORLD));
  })->wait();
}

void MpiCommunicator::scatter(const void* send, BufferView receive, int root) {
  const int count = checkedCount(receive);
  queue_->enqueue([send, receive, root, count] {
    MPI_CHECK(MPI_Scatter(send, count, mpiType(receive.type), receive.data, count, mpiType(receive.type), root,
                          MPI_COMM_WORLD));
  })->wait();
}

void MpiCommunicator::broadcast(BufferView buffer, int root, BroadcastOptions) {
  const int count = checkedCount(buffer);
  queue_->enqueue([buffer, count, root] {
    MPI_CHECK(MPI_Bcast(buffer.data, count, mpiType(buffer.type), root, MPI_COMM_WORLD));
  })->wait();
}

void MpiCommunicator::barrier() {
  queue_->enqueue([] { MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD)); })->wait();
}

void MpiCommunicator::abortJob(int exit_code) noexcept {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this is for a broken MPI.
}

}  // namespace gan::comm
