// The pickle (data.pkl) of a file torch.save wrote for a state dict, read without Python and
// without LibTorch, as untrusted input. A small interpreter for the opcodes such files use;
// only dicts, tuples, lists, strings, numbers and tensors (torch._utils._rebuild_tensor_v2 /
// _rebuild_parameter over the archive's storages, and the type tags LibTorch's own pickler adds)
// are accepted. Tensors come back as descriptions (which storage, which strided view of it),
// their bounds checked in overflow-checked arithmetic; nothing is allocated for their data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gan::interop::format {

enum class ElementType { Float, Double, Half, BFloat16, Long, Int, Short, Char, Byte, Bool };
int64_t elementSize(ElementType type);
const char* elementName(ElementType type);  // "float32", ...

// A tensor as the pickle describes it: a strided view of one storage of the archive (the record
// data/<storage>, of storage_numel elements), lying inside that storage.
struct SavedTensor {
  std::string storage;
  ElementType type = ElementType::Float;
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
  int64_t numel = 0;  // the product of sizes
};
using SavedTensors = std::map<std::string, SavedTensor>;

// What the top-level dict holds: tensors by name, or dicts of tensors by name (e.g.
// {"generator": G.state_dict(), "discriminator": D.state_dict()}).
struct PickledStateDicts {
  SavedTensors tensors;
  std::map<std::string, SavedTensors> nested;
};

// Limits no state dict comes near: containers inside containers, values in all.
constexpr int kMaxPickleNesting = 32;
constexpr size_t kMaxPickleValues = size_t(1) << 22;

// Throws gan::Error naming `source` for anything that is not such a pickle.
PickledStateDicts parseStateDictPickle(const std::string& pickle, const std::string& source);

}  // namespace gan::interop::format
