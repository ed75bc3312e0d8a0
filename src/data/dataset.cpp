#include "data/dataset.h"

#include "common/error.h"
#include "data/cifar10_reader.h"
#include "data/gaussian_mixture.h"
#include "data/limited_dataset.h"
#include "data/image_dataset.h"

namespace gan::data {

int64_t Dataset::featureSize() const {
  int64_t n = 1;
  for (int64_t d : sampleShape()) n *= d;
  return n;
}

namespace {
std::unique_ptr<Dataset> openWholeDataset(const DataConfig& config, const std::string& split) {
  if (config.name == "fashion_mnist" || config.name == "mnist") {
    return std::make_unique<ImageDataset>(
        ImageDataset::loadMnistFormat(dataDirectory(config.name, config.path), split, /*with_labels=*/true));
  }
  if (config.name == "cifar10") return std::make_unique<ImageDataset>(loadCifar10(config.path, split));
  if (isGaussianMixtureName(config.name)) {
    return std::make_unique<GaussianMixtureDataset>(GaussianMixtureDataset::named(config.name));
  }
  GAN_FAIL("--data.name must be one of fashion_mnist | mnist | cifar10 | ring8 | grid25, got '", config.name, "'");
}
}  // namespace

std::unique_ptr<Dataset> openDataset(const DataConfig& config, const std::string& split) {
  GAN_CHECK(split == "train" || split == "test", "data split must be train or test, got '", split, "'");
  auto whole = openWholeDataset(config, split);
  // --data.limit cuts the training split only: evaluation still measures against all test images.
  if (split == "train" && config.limit > 0) return std::make_unique<LimitedDataset>(std::move(whole), config.limit);
  return whole;
}

}  // namespace gan::data
