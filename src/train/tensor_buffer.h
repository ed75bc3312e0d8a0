// The communicator's view of a contiguous tensor (its memory, element count, type and device).
#pragma once

#include <torch/torch.h>

#include "comm/communicator.h"
#include "common/error.h"

namespace gan::train {

inline comm::BufferView bufferViewOf(const torch::Tensor& tensor) {
  GAN_CHECK(tensor.is_contiguous(), "collectives need contiguous tensors");
  GAN_CHECK(tensor.scalar_type() == torch::kFloat32 || tensor.scalar_type() == torch::kFloat64,
            "collectives on tensors support float32 and float64, got ", tensor.scalar_type());
  comm::BufferView view;
  view.data = tensor.data_ptr();
  view.count = static_cast<size_t>(tensor.numel());
  view.type = tensor.scalar_type() == torch::kFloat64 ? comm::ScalarType::Float64 : comm::ScalarType::Float32;
  view.space = tensor.is_cuda() ? comm::MemorySpace::Cuda : comm::MemorySpace::Host;
  return view;
}

}  // namespace gan::train
