// The communicator's view of a contiguous tensor (its memory, element count, type and device).
// Header-only: the comm libraries stay free of torch; only code that already uses torch includes this.
#pragma once

#include <torch/torch.h>

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

// Sums a small contiguous tensor across ranks in place, blocking until the result is there
// (batch-norm statistics, evaluation sums). A GPU tensor is first made final on its device.
inline void sumAcrossRanks(const torch::Tensor& values, Communicator& communicator) {
  if (communicator.worldSize() == 1) return;
  if (values.is_cuda()) torch::cuda::synchronize();
  communicator.allreduce(bufferViewOf(values), {ReduceOp::Sum});
}

}  // namespace gan::comm
