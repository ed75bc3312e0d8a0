#include "data/image_dataset.h"

#include <filesystem>

#include "common/error.h"
#include "data/idx_reader.h"

namespace gan::data {

std::string defaultDataDirectory(const std::string& name) {
  if (name == "fashion_mnist") return "/usr/share/datasets/fashion-mnist";
  if (name == "mnist") return "/usr/share/datasets/mnist";
  GAN_FAIL("--data.name '", name, "' has no default directory; set --data.path");
}

std::string dataDirectory(const std::string& name, const std::string& path) {
  return path.empty() ? defaultDataDirectory(name) : path;
}

ImageDataset ImageDataset::loadMnistFormat(const std::string& directory, const std::string& split) {
  namespace fs = std::filesystem;
  const std::string stem = split + "-images-idx3-ubyte";
  fs::path file;
  for (const std::string& candidate : {stem + ".gz", stem}) {
    if (fs::exists(fs::path(directory) / candidate)) {
      file = fs::path(directory) / candidate;
      break;
    }
  }
  GAN_CHECK(!file.empty(), "--data.path '", directory, "': no ", stem, ".gz or ", stem,
            " found (expected an MNIST-format directory; Debian's data set: apt-get install dataset-fashion-mnist)");
  IdxArray array = readIdxFile(file.string());
  GAN_CHECK(array.dims.size() == 3, file.string(), ": expected 3 dimensions (count, rows, cols), got ",
            array.dims.size());
  auto pixels = torch::from_blob(array.values.data(),
                                 {array.dims[0], array.dims[1], array.dims[2]}, torch::kUInt8)
                    .clone();
  ImageDataset dataset(pixels, array.dims[1], array.dims[2]);
  dataset.source_ = file.string();
  return dataset;
}

ImageDataset::ImageDataset(torch::Tensor pixels_u8, int64_t height, int64_t width)
    : height_(height), width_(width) {
  GAN_CHECK(pixels_u8.scalar_type() == torch::kUInt8, "image pixels must be uint8");
  GAN_CHECK(pixels_u8.numel() == pixels_u8.size(0) * height * width,
            "image tensor does not hold ", height, "x", width, " images");
  pixels_ = pixels_u8.reshape({pixels_u8.size(0), height * width}).contiguous();
  source_ = "memory";
}

torch::Tensor ImageDataset::batch(const std::vector<int64_t>& indices, const torch::Device& device) const {
  auto index = torch::from_blob(const_cast<int64_t*>(indices.data()),
                                {static_cast<int64_t>(indices.size())}, torch::kInt64);
  auto rows = pixels_.index_select(0, index);
  // Convert after the (cheap) move so a GPU does the arithmetic.
  return rows.to(device).to(torch::kFloat32).mul_(1.0 / 127.5).sub_(1.0);
}

}  // namespace gan::data
