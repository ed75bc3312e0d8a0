// An image data set served as float batches: pixels stay uint8 (4x smaller) and are converted per
// batch. They live either in this process's memory (files read with --data.cache_dir=none, tests)
// or in a read-only mapping of a packed file (packed_file.h), shared by every process of the node
// through the page cache and paged in on demand.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace gan::datasets {

// Directory of the Debian data set package for `name` (e.g. dataset-fashion-mnist).
std::string defaultDataDirectory(DataSetName name);
// --data.path, or the default directory of --data.name when it is empty.
std::string dataDirectory(DataSetName name, const std::string& path);

class ImageDataset final : public Dataset {
 public:
  // Reads `<directory>/<split>-images-idx3-ubyte[.gz]` (test: t10k) and,
  // when `with_labels`, the matching labels file.
  static ImageDataset loadMnistFormat(const std::string& directory, DataSplit split = DataSplit::Train,
                                      bool with_labels = false);
  // Maps the packed file `path` (checking its header and checksum); with `private_copy`, copies
  // it into this process's memory instead (--data.cache_dir=none).
  static ImageDataset openPacked(const std::string& path, bool private_copy = false);
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
  bool hasLabels() const override { return labels_.defined(); }
  torch::Tensor labels() const { return labels_.to(torch::kInt64); }  // (N), when hasLabels()
  // Labels of rows `indices` (int64, on the CPU), when hasLabels().
  torch::Tensor labelsOf(const std::vector<int64_t>& indices) const override;

 private:
  torch::Tensor pixels_;  // uint8 (N, C*H*W), owned or a view of a mapping; only ever read
  torch::Tensor labels_;  // int32 or int64 (N)
  int64_t channels_ = 1, height_ = 0, width_ = 0;
  std::string source_;
};

}  // namespace gan::datasets
