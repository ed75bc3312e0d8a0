// Reads a state dict that Python wrote with torch.save(model.state_dict()) (or a dict of them),
// without Python: the zip archive torch.save writes, and a small interpreter for the pickle
// opcodes such a file uses. LibTorch's own torch::pickle_load cannot read it: it turns every
// collections.OrderedDict (what state_dict() returns) into None.
//
// The file is untrusted input: only dicts, tuples, lists, strings, numbers and tensors (through
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter and storages of the archive) are
// accepted; any other object, a storage outside the archive, or a tensor view past the end of
// its storage is refused with one line naming the file.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "checkpoint/tensor_archive.h"

namespace gan::interop {

// A state dict: name -> tensor. Nested dicts keep their keys as prefixes only when asked for.
using StateDict = std::map<std::string, torch::Tensor>;

// What the file's top-level dict holds: tensors by name, or dicts of tensors by name (e.g.
// {"generator": G.state_dict(), "discriminator": D.state_dict()}).
struct SavedStateDicts {
  StateDict tensors;                       // top-level entries that are tensors
  std::map<std::string, StateDict> nested;  // top-level entries that are dicts of tensors
};

// Throws gan::Error naming `path` (and the key) for anything that is not such a file.
SavedStateDicts readSavedStateDicts(const std::string& path);

// A network's live tensors under the names Python's state_dict() gives them (parameters, then
// buffers, in module order): what gan_export writes and --model.init_from loads into.
checkpoint::NamedTensors stateDictOf(torch::nn::Module& network);

}  // namespace gan::interop
