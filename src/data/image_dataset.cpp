#include "data/image_dataset.h"

#include <filesystem>

#include "common/error.h"
#include "data/idx_reader.h"

namespace gan::data {
namespace fs = std::filesystem;

std::string defaultDataDirectory(const std::string& name) {
  if (name == "fashion_mnist") return "/usr/share/datasets/fashion-mnist";
  if (name == "mnist") return "/usr/share/datasets/mnist";
  GAN_FAIL("--data.name '", name, "' has no default directory; set --data.path");
}

std::string dataDirectory(const std::string& name, const std::string& path) {
  return path.empty() ? defaultDataDirectory(name) : path;
}

namespace {
// `<directory>/<stem>.gz` or `<directory>/<stem>`, whichever exists.
fs::path findIdxFile(const std::string& directory, const std::string& stem) {
  for (const std::string& candidate : {stem + ".gz", stem}) {
    if (fs::exists(fs::path(directory) / candidate)) return fs::path(directory) / candidate;
  }
  GAN_FAIL("--data.path '", directory, "': no ", stem, ".gz or ", stem,
           " found (expected an MNIST-format directory; Debian's data set: apt-get install dataset-fashion-mnist)");
}
// A view of `indices` as an int64 tensor (valid while `indices` lives).
torch::Tensor indexTensor(const std::vector<int64_t>& indices) {
  return torch::from_blob(const_cast<int64_t*>(indices.data()), {static_cast<int64_t>(indices.size())}, torch::kInt64);
}
}  // namespace

ImageDataset ImageDataset::loadMnistFormat(const std::string& directory, const std::string& split, bool with_labels) {
  // MNIST calls its test split "t10k".
  const std::string prefix = split == "test" ? "t10k" : split;
  const fs::path file = findIdxFile(directory, prefix + "-images-idx3-ubyte");
  IdxArray array = readIdxFile(file.string());
  GAN_CHECK(array.dims.size() == 3, file.string(), ": expected 3 dimensions (count, rows, cols), got ",
            array.dims.size());
  auto pixels = torch::from_blob(array.values.data(), {array.dims[0], array.dims[1], array.dims[2]}, torch::kUInt8)
                    .clone();
  torch::Tensor labels;
  if (with_labels) {
    const fs::path label_file = findIdxFile(directory, prefix + "-labels-idx1-ubyte");
    IdxArray label_array = readIdxFile(label_file.string());
    GAN_CHECK(label_array.dims.size() == 1 && label_array.dims[0] == array.dims[0], label_file.string(),
              ": expected one label per image (", array.dims[0], ")");
    labels = torch::from_blob(label_array.values.data(), {label_array.dims[0]}, torch::kUInt8).to(torch::kInt64);
  }
  return ImageDataset(pixels, 1, array.dims[1], array.dims[2], labels, file.string());
}

ImageDataset::ImageDataset(torch::Tensor pixels_u8, int64_t channels, int64_t height, int64_t width,
                           torch::Tensor labels, std::string source)
    : labels_(std::move(labels)), channels_(channels), height_(height), width_(width), source_(std::move(source)) {
  GAN_CHECK(pixels_u8.scalar_type() == torch::kUInt8, "image pixels must be uint8");
  const int64_t features = channels * height * width;
  GAN_CHECK(features > 0 && pixels_u8.numel() == pixels_u8.size(0) * features, "image tensor does not hold ",
            channels, "x", height, "x", width, " images");
  pixels_ = pixels_u8.reshape({pixels_u8.size(0), features}).contiguous();
  GAN_CHECK(!labels_.defined() || labels_.numel() == pixels_.size(0), "one label per image expected");
}

torch::Tensor ImageDataset::batch(const std::vector<int64_t>& indices, const torch::Device& device) const {
  auto rows = pixels_.index_select(0, indexTensor(indices));
  // Convert after the (cheap) move so a GPU does the arithmetic.
  return rows.to(device).to(torch::kFloat32).mul_(1.0 / 127.5).sub_(1.0);
}

torch::Tensor ImageDataset::labelsOf(const std::vector<int64_t>& indices) const {
  GAN_CHECK(hasLabels(), source_, ": this data set has no labels");
  return labels_.index_select(0, indexTensor(indices));
}

std::string ImageDataset::description() const {
  return source_ + " (" + std::to_string(size()) + " images of " + std::to_string(channels_) + "x" +
         std::to_string(height_) + "x" + std::to_string(width_) + ")";
}

}  // namespace gan::data
