#include "interop/state_dict_reader.h"

#include "common/error.h"

namespace gan::interop {

checkpoint::NamedTensors stateDictOf(torch::nn::Module& network) {
  checkpoint::NamedTensors tensors;
  for (const auto& parameter : network.named_parameters(/*recurse=*/true)) {
    tensors.emplace_back(parameter.key(), parameter.value());
  }
  for (const auto& buffer : network.named_buffers(/*recurse=*/true)) tensors.emplace_back(buffer.key(), buffer.value());
  return tensors;
}

at::ScalarType scalarTypeOf(format::ElementType type) {
  switch (type) {
    case format::ElementType::Float: return at::kFloat;
    case format::ElementType::Double: return at::kDouble;
    case format::ElementType::Half: return at::kHalf;
    case format::ElementType::BFloat16: return at::kBFloat16;
    case format::ElementType::Long: return at::kLong;
    case format::ElementType::Int: return at::kInt;
    case format::ElementType::Short: return at::kShort;
    case format::ElementType::Char: return at::kChar;
    case format::ElementType::Byte: return at::kByte;
    case format::ElementType::Bool: return at::kBool;
  }
  GAN_FAIL("unknown element type");
}

torch::Tensor loadSavedTensor(const format::StateDictFile& file, const format::SavedTensor& saved,
                              int64_t max_storage_elements) {
  const auto options = torch::TensorOptions(scalarTypeOf(saved.type));
  if (saved.numel == 0) return torch::empty(saved.sizes, options);
  std::string bytes = file.storageBytes(saved, max_storage_elements);
  // The view was checked to lie inside the storage (format::parseStateDictPickle), and the
  // record to hold exactly storage_numel elements (format::StateDictFile).
  const auto storage = torch::from_blob(bytes.data(), {saved.storage_numel}, options);
  return storage.as_strided(saved.sizes, saved.strides, saved.offset).clone();
}

}  // namespace gan::interop
