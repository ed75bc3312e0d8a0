#include "comm/nccl_communicator.h"

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include "common/error.h"

// Every CUDA and NCCL call is checked; the message names the call, file, line and rank.
#define CUDA_CHECK(call)                                                                   \
  do {                                                                                     \
    const cudaError_t cuda_check_rc_ = (call);                                             \
    if (cuda_check_rc_ != cudaSuccess)                                                     \
      GAN_FAIL("CUDA error on rank ", rankForMessages(), " in ", #call, " (", __FILE__, ":", \
               __LINE__, "): ", cudaGetErrorString(cuda_check_rc_));                       \
  } while (0)

#define NCCL_CHECK(call)                                                                   \
  do {                                                                                     \
    const ncclResult_t nccl_check_rc_ = (call);                                            \
    if (nccl_check_rc_ != ncclSuccess)                                                     \
      GAN_FAIL("NCCL error on rank ", rankForMessages(), " in ", #call, " (", __FILE__, ":", \
               __LINE__, "): ", ncclGetErrorString(nccl_check_rc_));                       \
  } while (0)

namespace gan::comm {
namespace {

int rankForMessages() {
  int initialized = 0, rank = -1;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
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

// A device reduction in flight: wait() orders the consumer stream after it (no host block).
class NcclWork final : public Work {
 public:
  NcclWork(cudaEvent_t done, cudaStream_t consumer) : done_(done), consumer_(consumer) {}
  ~NcclWork() override { cudaEventDestroy(done_); }
  void wait() override { CUDA_CHECK(cudaStreamWaitEvent(consumer_, done_, 0)); }

 private:
  cudaEvent_t done_;
  cudaStream_t consumer_;
};

}  // namespace

struct NcclCommunicator::State {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
};

NcclCommunicator::NcclCommunicator()
    : host_(std::make_unique<MpiCommunicator>()), state_(std::make_unique<State>()) {
  int device_count = 0;
  CUDA_CHECK(cudaGetDeviceCount(&device_count));
  GAN_CHECK(device_count > 0, "--comm.backend=nccl: no CUDA device on rank ", rank());
  GAN_CHECK(localSize() <= device_count, "--comm.backend=nccl: ", localSize(),
            " ranks on this node but only ", device_count, " GPUs; run one rank per GPU");
  device_ = localRank();
  CUDA_CHECK(cudaSetDevice(device_));
  CUDA_CHECK(cudaStreamCreateWithFlags(&state_->stream, cudaStreamNonBlocking));

  ncclUniqueId id;
  if (rank() == 0) NCCL_CHECK(ncclGetUniqueId(&id));
  host_->broadcast({&id, sizeof(id), ScalarType::UInt8, MemorySpace::Host}, 0);
  NCCL_CHECK(ncclCommInitRank(&state_->comm, worldSize(), id, rank()));
}

NcclCommunicator::~NcclCommunicator() {
  if (state_->comm != nullptr) ncclCommDestroy(state_->comm);
  if (state_->stream != nullptr) cudaStreamDestroy(state_->stream);
}

std::shared_ptr<Work> NcclCommunicator::allreduceAsync(BufferView buffer, AllreduceOptions options) {
  if (buffer.space == MemorySpace::Host) return host_->allreduceAsync(buffer, options);
  auto consumer = static_cast<cudaStream_t>(options.cuda_stream);
  // Order: producer stream -> reduction on our stream -> consumer stream, all on the GPU.
  cudaEvent_t ready = nullptr, done = nullptr;
  CUDA_CHECK(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventRecord(ready, consumer));
  CUDA_CHECK(cudaStreamWaitEvent(state_->stream, ready, 0));
  CUDA_CHECK(cudaEventDestroy(ready));
  NCCL_CHECK(ncclAllReduce(buffer.data, buffer.data, buffer.count, ncclType(buffer.type),
                           ncclOp(options.op), state_->comm, state_->stream));
  CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventRecord(done, state_->stream));
  return std::make_shared<NcclWork>(done, consumer);
}

void NcclCommunicator::broadcast(BufferView buffer, int root) {
  if (buffer.space == MemorySpace::Host) return host_->broadcast(buffer, root);
  NCCL_CHECK(ncclBroadcast(buffer.data, buffer.data, buffer.count, ncclType(buffer.type), root,
                           state_->comm, state_->stream));
  CUDA_CHECK(cudaStreamSynchronize(state_->stream));
}

void NcclCommunicator::abortJob(int exit_code) noexcept {
  // Tear NCCL down first so no kernel keeps waiting on a peer, then end the MPI job.
  if (state_ && state_->comm != nullptr) ncclCommAbort(state_->comm);
  host_->abortJob(exit_code);
}

}  // namespace gan::comm
