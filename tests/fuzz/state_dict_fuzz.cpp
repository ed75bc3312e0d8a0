// Fuzzes the reader of --model.init_from's files (interop/format): each input is read both as a
// whole file (the zip archive, its pickle, the tensor views) and as a bare pickle, since a
// mutated pickle inside a zip mostly fails the archive's CRC before the pickle is parsed (the
// corpus holds both kinds). Any outcome but success or gan::Error is a finding; what is accepted
// must describe views inside storages whose records read back at exactly their stated size.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "interop/format/state_dict_file.h"

namespace {

// Storages up to this many elements are read back (larger ones cost time, not coverage).
constexpr int64_t kReadLimit = int64_t(1) << 16;

void checkTensor(const gan::interop::format::StateDictFile& file, const gan::interop::format::SavedTensor& tensor) {
  int64_t last = tensor.offset;
  for (size_t i = 0; i < tensor.sizes.size(); ++i) {
    if (tensor.sizes[i] < 0 || tensor.strides[i] < 0) __builtin_trap();
    if (tensor.sizes[i] > 0) last += (tensor.sizes[i] - 1) * tensor.strides[i];
  }
  if (tensor.numel > 0 && (last < 0 || last >= tensor.storage_numel)) __builtin_trap();
  if (tensor.storage_numel > kReadLimit) return;
  const std::string bytes = file.storageBytes(tensor, kReadLimit);
  if (bytes.size() != size_t(tensor.storage_numel * gan::interop::format::elementSize(tensor.type))) __builtin_trap();
}

}  // namespace

void checkViews(const gan::interop::format::SavedTensors& tensors) {
  for (const auto& [name, tensor] : tensors) {
    int64_t last = tensor.offset;
    for (size_t i = 0; i < tensor.sizes.size(); ++i) {
      if (tensor.sizes[i] > 0) last += (tensor.sizes[i] - 1) * tensor.strides[i];
    }
    if (tensor.numel > 0 && (last < 0 || last >= tensor.storage_numel)) __builtin_trap();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto pickled = gan::interop::format::parseStateDictPickle(bytes, "data.pkl");
    checkViews(pickled.tensors);
    for (const auto& [network, tensors] : pickled.nested) checkViews(tensors);
  } catch (const gan::Error&) {
  }
  try {
    const auto file = gan::interop::format::StateDictFile::fromBytes(bytes, "fuzz.pt");
    for (const auto& [name, tensor] : file.contents().tensors) checkTensor(file, tensor);
    for (const auto& [network, tensors] : file.contents().nested) {
      for (const auto& [name, tensor] : tensors) checkTensor(file, tensor);
    }
  } catch (const gan::Error&) {
  }
  return 0;
}
