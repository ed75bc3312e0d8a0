// Dataset: what training, sampling and evaluation need of a data set, whatever its kind
// (images from files, points drawn from a formula). Samples are addressed by index so the
// global sample order (sample_order.h) works the same for every kind.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"

namespace gan::datasets {

// Where the samples of a 2-D mixture lie: what its progress picture and evaluation draw against.
struct MixtureModes {
  torch::Tensor centres;  // (k, 2) float64
  double sigma = 0;
};

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

  // Labelled data sets (class folders, MNIST-format and CIFAR-10 files) say so and give the
  // labels of rows `indices` (int64, on the CPU); the others have none.
  virtual bool hasLabels() const { return false; }
  virtual torch::Tensor labelsOf(const std::vector<int64_t>& indices) const;
  // A mixture drawn from a formula gives its modes; image data sets have none.
  virtual std::optional<MixtureModes> mixtureModes() const { return std::nullopt; }

  int64_t featureSize() const;
  // Every sample's label, in order (int64, on the CPU); throws naming the data set when it has none.
  torch::Tensor allLabels() const;
  // Images per class (index = label), over the whole set: what generated rows' labels are drawn
  // from. Throws naming the data set when it has no labels.
  std::vector<int64_t> classCounts() const;
  bool isImage() const { return sampleShape().size() == 3; }
};


}  // namespace gan::datasets
