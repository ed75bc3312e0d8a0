#include "datasets/cifar10_reader.h"

#include <filesystem>

namespace gan::datasets {
using namespace data;  // the torch-free readers, packed files and streams this folder builds on

ImageDataset loadCifar10(const std::string& directory, DataSplit split) {
  const auto files = cifarBatchFiles(directory, split);
  CifarRecords records;
  for (const auto& file : files) appendCifarRecords(file, records);
  const int64_t n = static_cast<int64_t>(records.labels.size());
  auto pixel_tensor = torch::from_blob(records.pixels.data(), {n, 3, kCifarSide, kCifarSide}, torch::kUInt8).clone();
  auto label_tensor = torch::from_blob(records.labels.data(), {n}, torch::kInt64).clone();
  const std::string source =
      files.size() == 1 ? files[0] : (std::filesystem::path(files[0]).parent_path() / "data_batch_*.bin").string();
  return ImageDataset(pixel_tensor, 3, kCifarSide, kCifarSide, label_tensor, source);
}

}  // namespace gan::datasets
