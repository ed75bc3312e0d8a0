// The communicator's view of a contiguous tensor (its memory, element count, type and device).
// Header-only: the comm libraries stay free of torch; only code that already uses torch includes this.
#pragma once

#include <torch/torch.h>
#ifdef GAN_DIST_TORCH_HAS_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

#include "comm/communicator.h"
#include "common/error.h"

namespace gan::comm {

inline BufferView bufferViewOf(const torch::Tensor& tensor) {
  GAN_CHECK(tensor.is_contiguous(), "collectives need contiguous tensors");
  BufferView view;
  switch (tensor.scalar_type()) {
    case torch::kFloat32: view.type = ScalarType::Float32; break;
    case torch::kFloat64: view.type = ScalarType::Float64; break;
    case torch::kInt64: view.type = ScalarType::Int64; break;  // counters (Adam's step count)
    default: GAN_FAIL("collectives on tensors support float32, float64 and int64, got ", tensor.scalar_type());
  }
  view.data = tensor.data_ptr();
  view.count = static_cast<size_t>(tensor.numel());
  view.space = tensor.is_cuda() ? MemorySpace::Cuda : MemorySpace::Host;
  return view;
}

// The stream LibTorch gives this tensor's work to now (a cudaStream_t); nullptr for CPU tensors.
// Collectives on a GPU tensor are ordered after it, and its later readers after them.
inline void* workStreamOf(const torch::Tensor& tensor) {
#ifdef GAN_DIST_TORCH_HAS_CUDA
  if (tensor.is_cuda()) return c10::cuda::getCurrentCUDAStream(tensor.device().index()).stream();
#endif
  (void)tensor;
  return nullptr;
}

// Sums a small contiguous tensor across ranks in place (batch-norm statistics, evaluation sums).
// A CPU tensor holds the result on return; for a GPU tensor, work later given to its stream sees it.
inline void sumAcrossRanks(const torch::Tensor& values, Communicator& communicator) {
  if (communicator.worldSize() == 1) return;
  communicator.allreduce(bufferViewOf(values), {ReduceOp::Sum, workStreamOf(values)});
}

}  // namespace gan::comm
