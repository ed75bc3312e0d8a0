#include "comm/nccl_communicator.h"

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <chrono>
#include <cstdio>

#include "comm/rank_placement.h"
#include "comm/readiness_agreement.h"
#include "common/error.h"

// Every CUDA and NCCL call is checked; the message names the call, file, line and rank.
#define CUDA_CHECK(call)                                                                   \
  do {                                                                                     \
    const cudaError_t cuda_check_rc_ = (call);                                             \
    if (cuda_check_rc_ != cudaSuccess)                                                     \
      GAN_FAIL("CUDA error on rank ", rankForMessages(), " in ", #call, " (", __FILE__, ":", \
               __LINE__, "): ", cudaGetErrorString(cuda_check_rc_));                       \
  } while (0)

// Calls on the non-blocking communicator may answer ncclInProgress: settle() then waits (with
// the deadline) until the call has been carried out or failed.
#define NCCL_CALL(call)                                                                    \
  do {                                                                                     \
    const ncclResult_t nccl_call_rc_ = (call);                                             \
    if (nccl_call_rc_ == ncclInProgress) {                                                 \
      settle(#call);                                                                       \
    } else if (nccl_call_rc_ != ncclSuccess) {                                             \
      GAN_FAIL("NCCL error on rank ", rankForMessages(), " in ", #call, " (", __FILE__, ":", \
               __LINE__, "): ", ncclGetErrorString(nccl_call_rc_), lastErrorOf(state_->comm)); \
    }                                                                                      \
  } while (0)

namespace gan::comm {
namespace {

using Clock = std::chrono::steady_clock;

int rankForMessages() {
  int initialized = 0, rank = -1;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// NCCL's own explanation of the last failure (which peer, which transport), when it has one.
std::string lastErrorOf(ncclComm_t comm) {
  const char* text = ncclGetLastError(comm);
  if (text == nullptr || *text == '\0') return "";
  return std::string(" (") + text + ")";
}

ncclDataType_t ncclType(ScalarType type) {
  switch (type) {
    case ScalarType::Float32: return ncclFloat32;
    case ScalarType::Float64: return ncclFloat64;
    case ScalarType::Int64: return ncclInt64;
    case ScalarType::UInt8: return ncclUint8;
  }
  GAN_FAIL("unknown scalar type");
}

ncclRedOp_t ncclOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return ncclSum;
    case ReduceOp::Average: return ncclAvg;
    case ReduceOp::Max: return ncclMax;
    case ReduceOp::Min: return ncclMin;
  }
  GAN_FAIL("unknown reduce op");
}

// What keeps this rank from joining an NCCL communicator ("" when nothing): checked on every rank
// and agreed on before any rank waits for the others. Selects the device on success.
std::string deviceProblem(int local_rank, int local_size) {
  int count = 0;
  if (const cudaError_t rc = cudaGetDeviceCount(&count); rc != cudaSuccess) {
    return "no usable CUDA device on host " + thisHostName() + " (" + cudaGetErrorString(rc) + ")";
  }
  if (count == 0) return "no CUDA device on host " + thisHostName();
  if (local_size > count) {
    return std::to_string(local_size) + " ranks on host " + thisHostName() + " but only " + std::to_string(count) +
           " GPU(s); run one rank per GPU";
  }
  if (const cudaError_t rc = cudaSetDevice(local_rank); rc != cudaSuccess) {
    return "cannot use GPU " + std::to_string(local_rank) + " on host " + thisHostName() + " (" + cudaGetErrorString(rc) +
           ")";
  }
  return "";
}

// Events order work between streams without blocking the host; this owns one.
class CudaEvent {
 public:
  CudaEvent() { CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming)); }
  ~CudaEvent() { cudaEventDestroy(event_); }
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// `later` runs its next work only after everything `earlier` was given so far.
void orderAfter(cudaStream_t later, cudaStream_t earlier) {
  CudaEvent ready;
  CUDA_CHECK(cudaEventRecord(ready.get(), earlier));
  CUDA_CHECK(cudaStreamWaitEvent(later, ready.get(), 0));
}

// A device reduction in flight: wait() orders the consumer stream after it (no host block).
class NcclWork final : public Work {
 public:
  explicit NcclWork(cudaStream_t consumer) : consumer_(consumer) {}
  cudaEvent_t doneEvent() const { return done_.get(); }
  void wait() override { CUDA_CHECK(cudaStreamWaitEvent(consumer_, done_.get(), 0)); }

 private:
  CudaEvent done_;
  cudaStream_t consumer_;
};

}  // namespace

struct NcclCommunicator::State {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
};

NcclCommunicator::NcclCommunicator(double timeout_s)
    : host_(std::make_unique<MpiCommunicator>()), timeout_s_(timeout_s), state_(std::make_unique<State>()) {
  device_ = localRank();
  std::string problem = deviceProblem(localRank(), localSize());
  ncclUniqueId id{};
  if (problem.empty()) {
    if (const cudaError_t rc = cudaStreamCreateWithFlags(&state_->stream, cudaStreamNonBlocking); rc != cudaSuccess) {
      problem = std::string("cannot create a CUDA stream (") + cudaGetErrorString(rc) + ")";
    }
  }
  if (problem.empty() && rank() == 0) {
    if (const ncclResult_t rc = ncclGetUniqueId(&id); rc != ncclSuccess) {
      problem = std::string("ncclGetUniqueId failed (") + ncclGetErrorString(rc) + ")";
    }
  }
  requireEveryRankReady(*host_, problem, "--comm.backend=nccl");

  host_->broadcast({&id, sizeof(id), ScalarType::UInt8, MemorySpace::Host}, 0);
  // Non-blocking: a peer that never arrives ends in settle()'s deadline, not in a hang.
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  NCCL_CALL(ncclCommInitRankConfig(&state_->comm, worldSize(), id, rank(), &config));
  monitor_ = std::thread([this] { monitorAsyncErrors(); });
}

NcclCommunicator::~NcclCommunicator() {
  stop_monitor_ = true;
  if (monitor_.joinable()) monitor_.join();
  if (state_->comm != nullptr) {
    // Finalize flushes what was issued; a communicator that cannot finish is aborted instead.
    const ncclResult_t rc = ncclCommFinalize(state_->comm);
    bool finalized = rc == ncclSuccess || rc == ncclInProgress;
    if (finalized) {
      try {
        settle("ncclCommFinalize");
      } catch (const std::exception&) {
        finalized = false;
      }
    }
    if (finalized) {
      ncclCommDestroy(state_->comm);
    } else {
      ncclCommAbort(state_->comm);
    }
  }
  if (state_->stream != nullptr) cudaStreamDestroy(state_->stream);
}

void NcclCommunicator::settle(const char* call) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s_);
  for (;;) {
    ncclResult_t state = ncclSuccess;
    const ncclResult_t rc = ncclCommGetAsyncError(state_->comm, &state);
    if (rc != ncclSuccess) state = rc;
    if (state == ncclSuccess) return;
    if (state != ncclInProgress) {
      GAN_FAIL("NCCL error on rank ", rank(), " (", thisHostName(), ") in ", call, ": ", ncclGetErrorString(state),
               lastErrorOf(state_->comm));
    }
    if (Clock::now() > deadline) {
      GAN_FAIL("NCCL: ", call, " did not complete within --comm.timeout_s=", timeout_s_, " s on rank ", rank(), " (",
               thisHostName(), "): a peer is missing or hung");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void NcclCommunicator::monitorAsyncErrors() {
  while (!stop_monitor_) {
    ncclResult_t state = ncclSuccess;
    if (ncclCommGetAsyncError(state_->comm, &state) == ncclSuccess && state != ncclSuccess &&
        state != ncclInProgress) {
      std::fprintf(stderr, "gan_dist: error on rank %d (%s): NCCL reports %s%s; ending the job\n", rank(),
                   thisHostName().c_str(), ncclGetErrorString(state), lastErrorOf(state_->comm).c_str());
      std::fflush(stderr);
      abortJob(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::shared_ptr<Work> NcclCommunicator::allreduceAsync(BufferView buffer, AllreduceOptions options) {
  if (buffer.space == MemorySpace::Host) return host_->allreduceAsync(buffer, options);
  GAN_CHECK(options.wire == WireFormat::Float32, "--comm.compress=", wireFormatName(options.wire) ,
            ": 16-bit gradients are implemented for host buffers (the mpi backend); on GPUs use none or powersgd");
  auto consumer = static_cast<cudaStream_t>(options.cuda_stream);
  // Order: producer stream -> reduction on our stream -> consumer stream, all on the GPU.
  orderAfter(state_->stream, consumer);
  NCCL_CALL(ncclAllReduce(buffer.data, buffer.data, buffer.count, ncclType(buffer.type), ncclOp(options.op),
                          state_->comm, state_->stream));
  auto work = std::make_shared<NcclWork>(consumer);
  CUDA_CHECK(cudaEventRecord(work->doneEvent(), state_->stream));
  return work;
}

void NcclCommunicator::broadcast(BufferView buffer, int root, BroadcastOptions options) {
  if (buffer.space == MemorySpace::Host) return host_->broadcast(buffer, root, options);
  auto producer = static_cast<cudaStream_t>(options.cuda_stream);
  // The root's data may still be in the making on the producer's stream (our stream does not
  // synchronise with the default stream: it is non-blocking).
  orderAfter(state_->stream, producer);
  NCCL_CALL(ncclBroadcast(buffer.data, buffer.data, buffer.count, ncclType(buffer.type), root, state_->comm,
                          state_->stream));
  CudaEvent done;
  CUDA_CHECK(cudaEventRecord(done.get(), state_->stream));
  // The host waits, but never past the deadline and never on a communicator that has failed.
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s_);
  for (;;) {
    const cudaError_t rc = cudaEventQuery(done.get());
    if (rc == cudaSuccess) break;
    if (rc != cudaErrorNotReady) CUDA_CHECK(rc);
    settle("ncclBroadcast");
    GAN_CHECK(Clock::now() <= deadline, "NCCL: ncclBroadcast from rank ", root, " did not complete within --comm.timeout_s=",
              timeout_s_, " s on rank ", rank(), " (", thisHostName(), "): a peer is missing or hung");
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  CUDA_CHECK(cudaStreamWaitEvent(producer, done.get(), 0));
}

void NcclCommunicator::abortJob(int exit_code) noexcept {
  // Tear NCCL down first so no kernel keeps waiting on a peer, then end the MPI job.
  if (state_ && state_->comm != nullptr) ncclCommAbort(state_->comm);
  host_->abortJob(exit_code);
}

}  // namespace gan::comm
