#include "datasets/image_dataset.h"

#include "common/error.h"
#include "data/dataset_packing.h"
#include "data/idx_reader.h"
#include "data/packed_file.h"

namespace gan::datasets {
using namespace data;  // the torch-free readers, packed files and streams this folder builds on

std::string defaultDataDirectory(DataSetName name) {
  if (name == DataSetName::FashionMnist) return "/usr/share/datasets/fashion-mnist";
  if (name == DataSetName::Mnist) return "/usr/share/datasets/mnist";
  GAN_FAIL("--data.name '", name, "' has no default directory; set --data.path");
}

std::string dataDirectory(DataSetName name, const std::string& path) {
  return path.empty() ? defaultDataDirectory(name) : path;
}

namespace {
// A view of `indices` as an int64 tensor (valid while `indices` lives).
torch::Tensor indexTensor(const std::vector<int64_t>& indices) {
  return torch::from_blob(const_cast<int64_t*>(indices.data()), {static_cast<int64_t>(indices.size())}, torch::kInt64);
}
}  // namespace

ImageDataset ImageDataset::loadMnistFormat(const std::string& directory, DataSplit split, bool with_labels) {
  const std::string file = mnistFormatFile(directory, split, "images-idx3-ubyte");
  IdxArray array = readIdxFile(file);
  GAN_CHECK(array.dims.size() == 3, file, ": expected 3 dimensions (count, rows, cols), got ",
            array.dims.size());
  auto pixels = torch::from_blob(array.values.data(), {array.dims[0], array.dims[1], array.dims[2]}, torch::kUInt8)
                    .clone();
  torch::Tensor labels;
  if (with_labels) {
    const std::string label_file = mnistFormatFile(directory, split, "labels-idx1-ubyte");
    IdxArray label_array = readIdxFile(label_file);
    GAN_CHECK(label_array.dims.size() == 1 && label_array.dims[0] == array.dims[0], label_file,
              ": expected one label per image (", array.dims[0], ")");
    labels = torch::from_blob(label_array.values.data(), {label_array.dims[0]}, torch::kUInt8).to(torch::kInt64);
  }
  return ImageDataset(pixels, 1, array.dims[1], array.dims[2], labels, file);
}

ImageDataset ImageDataset::openPacked(const std::string& path, bool private_copy) {
  std::shared_ptr<const PackedFile> file = PackedFile::open(path);
  const auto& shape = file->shape();
  const auto count = int64_t(file->count());
  // Tensors over the mapping; each keeps the mapping alive. Never written: the mapping is
  // read-only, and batch() only gathers from it.
  auto keep = [file](void*) {};
  auto pixels = torch::from_blob(const_cast<uint8_t*>(file->pixels()), {count, int64_t(shape.bytesPerImage())}, keep,
                                 torch::kUInt8);
  torch::Tensor labels;
  if (file->hasLabels()) {
    labels = torch::from_blob(const_cast<int32_t*>(file->labels()), {count}, keep, torch::kInt32);
  }
  if (private_copy) {
    return ImageDataset(pixels.clone(), shape.channels, shape.height, shape.width,
                        labels.defined() ? labels.clone() : labels, path + " (packed, read into memory)");
  }
  return ImageDataset(pixels, shape.channels, shape.height, shape.width, labels, path + " (packed, mapped)");
}

ImageDataset::ImageDataset(torch::Tensor pixels_u8, int64_t channels, int64_t height, int64_t width,
                           torch::Tensor labels, std::string source)
    : labels_(std::move(labels)), channels_(channels), height_(height), width_(width), source_(std::move(source)) {
  GAN_CHECK(pixels_u8.scalar_type() == torch::kUInt8, "image pixels must be uint8");
  const int64_t features = channels * height * width;
  GAN_CHECK(features > 0 && pixels_u8.numel() == pixels_u8.size(0) * features, "image tensor does not hold ",
            channels, "x", height, "x", width, " images");
  pixels_ = pixels_u8.reshape({pixels_u8.size(0), features}).contiguous();  // a mapping's view stays a view
  GAN_CHECK(!labels_.defined() || labels_.numel() == pixels_.size(0), "one label per image expected");
}

torch::Tensor ImageDataset::batch(const std::vector<int64_t>& indices, const torch::Device& device) const {
  auto rows = pixels_.index_select(0, indexTensor(indices));
  // Convert after the (cheap) move so a GPU does the arithmetic.
  return rows.to(device).to(torch::kFloat32).mul_(1.0 / 127.5).sub_(1.0);
}

torch::Tensor ImageDataset::labelsOf(const std::vector<int64_t>& indices) const {
  GAN_CHECK(hasLabels(), source_, ": this data set has no labels");
  return labels_.index_select(0, indexTensor(indices)).to(torch::kInt64);
}

std::string ImageDataset::description() const {
  return source_ + " (" + std::to_string(size()) + " images of " + std::to_string(channels_) + "x" +
         std::to_string(height_) + "x" + std::to_string(width_) + ")";
}

}  // namespace gan::datasets
