// An in-memory image data set read from MNIST-format IDX files, served as float batches.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace gan::data {

// Directory of the Debian data set package for `name` (e.g. dataset-fashion-mnist).
std::string defaultDataDirectory(const std::string& name);
// --data.path, or the default directory of --data.name when it is empty.
std::string dataDirectory(const std::string& name, const std::string& path);

class ImageDataset {
 public:
  // Reads `<directory>/<split>-images-idx3-ubyte[.gz]` (split: "train" or "t10k").
  static ImageDataset loadMnistFormat(const std::string& directory, const std::string& split = "train");
  // Wraps uint8 pixels of shape (N, H, W); used by tests and generated data.
  ImageDataset(torch::Tensor pixels_u8, int64_t height, int64_t width);

  int64_t size() const { return pixels_.size(0); }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t featureSize() const { return height_ * width_; }
  const std::string& source() const { return source_; }

  // Rows `indices` as float (n, H*W) scaled from [0, 255] to [-1, 1], on `device`.
  torch::Tensor batch(const std::vector<int64_t>& indices, const torch::Device& device) const;

 private:
  torch::Tensor pixels_;  // uint8 (N, H*W), kept compact; converted per batch
  int64_t height_ = 0;
  int64_t width_ = 0;
  std::string source_;
};

}  // namespace gan::data
