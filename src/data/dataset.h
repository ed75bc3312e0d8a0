// Dataset: what training, sampling and evaluation need of a data set, whatever its kind
// (images from files, points drawn from a formula). Samples are addressed by index so the
// global sample order (sample_order.h) works the same for every kind.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"

namespace gan::data {

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // One sample's shape: {channels, height, width} for images, {2} for points in the plane.
  virtual std::vector<int64_t> sampleShape() const = 0;
  // Rows `indices` as float (n, features) on `device`: images scaled to [-1, 1] in CHW order.
  virtual torch::Tensor batch(const std::vector<int64_t>& indices, const torch::Device& device) const = 0;
  // Where the samples come from, for the log.
  virtual std::string description() const = 0;

  int64_t featureSize() const;
  bool isImage() const { return sampleShape().size() == 3; }
};

// The data set `config` names, split "train" or "test". Throws gan::Error naming --data.path or
// the file when it cannot be read.
std::unique_ptr<Dataset> openDataset(const DataConfig& config, const std::string& split = "train");

}  // namespace gan::data
