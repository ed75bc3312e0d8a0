// 2-D Gaussian mixtures, the standard test of mode collapse (VEEGAN, PacGAN):
//   ring8:  8 modes evenly on a circle of radius 2, sigma 0.02
//   grid25: 25 modes at {-4, -2, 0, 2, 4}^2, sigma 0.05
// Samples are generated on the fly: sample i is a function of i alone (its mode and offset come
// from a counter-based stream), so the data set needs no storage, is identical on every rank
// and machine, and works with the global sample order like any other data set.
#pragma once

#include "datasets/dataset.h"

namespace gan::datasets {

class GaussianMixtureDataset final : public Dataset {
 public:
  // name: ring8 or grid25 (DataConfig::isPointCloud). `size`: how many distinct samples an epoch holds.
  static GaussianMixtureDataset named(DataSetName name, int64_t size = 1 << 20);
  GaussianMixtureDataset(std::string name, torch::Tensor modes, double sigma, int64_t size);

  int64_t size() const override { return size_; }
  std::vector<int64_t> sampleShape() const override { return {2}; }
  torch::Tensor batch(const std::vector<int64_t>& indices, const torch::Device& device) const override;
  std::string description() const override;

  std::optional<MixtureModes> mixtureModes() const override { return MixtureModes{modes_, sigma_}; }
  const torch::Tensor& modes() const { return modes_; }  // (k, 2) float64
  double sigma() const { return sigma_; }

 private:
  std::string name_;
  torch::Tensor modes_;
  double sigma_;
  int64_t size_;
};

}  // namespace gan::datasets
