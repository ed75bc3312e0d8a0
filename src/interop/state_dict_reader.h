// State dicts between gan_dist and PyTorch: a network's tensors under the names Python's
// state_dict() gives them, and a tensor of a torch.save file (interop/format reads and checks
// the file without LibTorch) turned into a LibTorch tensor.
#pragma once

#include <torch/torch.h>

#include <string>

#include "checkpoint/tensor_archive.h"
#include "interop/format/state_dict_file.h"

namespace gan::interop {

// A network's live tensors under the names Python's state_dict() gives them (parameters, then
// buffers, in module order): what gan_export writes and --model.init_from loads into.
checkpoint::NamedTensors stateDictOf(torch::nn::Module& network);

at::ScalarType scalarTypeOf(format::ElementType type);

// The tensor `saved` describes, read from `file` and copied out of its storage; the storage is
// refused before it is inflated when it holds more than `max_storage_elements`.
torch::Tensor loadSavedTensor(const format::StateDictFile& file, const format::SavedTensor& saved,
                              int64_t max_storage_elements);

}  // namespace gan::interop
