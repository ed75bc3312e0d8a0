// An in-memory image data set (MNIST-format IDX files or CIFAR-10 binaries), served as float
// batches. Pixels stay uint8 in memory (4x smaller) and are converted per batch.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/dataset.h"

namespace gan::data {

// Directory of the Debian data set package for `name` (e.g. dataset-fashion-mnist).
std::string defaultDataDirectory(const std::string& name);
// --data.path, or the default directory of --data.name when it is empty.
std::string dataDirectory(const std::string& name, const std::string& path);

class ImageDataset final : public Dataset {
 public:
  // Reads `<directory>/<split>-images-idx3-ubyte[.gz]` (split: "train" or "t10k"/"test") and,
  // when `with_labels`, the matching labels file.
  static ImageDataset loadMnistFormat(const std::string& directory, const std::string& split = "train",
                                      bool with_labels = false);
  // Wraps uint8 pixels of shape (N, C, H, W) or (N, H, W); labels optional (N) int64.
  ImageDataset(torch::Tensor pixels_u8, int64_t channels, int64_t height, int64_t width,
               torch::Tensor labels = {}, std::string source = "memory");

  int64_t size() const override { return pixels_.size(0); }
  std::vector<int64_t> sampleShape() const override { return {channels_, height_, width_}; }
  torch::Tensor batch(const std::vector<int64_t>& indices, const torch::Device& device) const override;
  std::string description() const override;

  int64_t channels() const { return channels_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  bool hasLabels() const { return labels_.defined(); }
  const torch::Tensor& labels() const { return labels_; }  // int64 (N), when hasLabels()
  // Labels of rows `indices` (int64, on the CPU), when hasLabels().
  torch::Tensor labelsOf(const std::vector<int64_t>& indices) const;

 private:
  torch::Tensor pixels_;  // uint8 (N, C*H*W)
  torch::Tensor labels_;
  int64_t channels_ = 1, height_ = 0, width_ = 0;
  std::string source_;
};

}  // namespace gan::data
