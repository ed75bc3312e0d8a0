#include "datasets/dataset.h"

#include "common/error.h"

namespace gan::datasets {

torch::Tensor Dataset::labelsOf(const std::vector<int64_t>&) const {
  GAN_FAIL(description(), " has no labels");
}

torch::Tensor Dataset::allLabels() const {
  std::vector<int64_t> all(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) all[size_t(i)] = i;
  return labelsOf(all).to(torch::kInt64);
}

std::vector<int64_t> Dataset::classCounts() const {
  GAN_CHECK(hasLabels(), description(), " has no labels (a conditional model needs a class for every image: class "
            "sub-folders, MNIST-format label files or CIFAR-10)");
  const auto labels = allLabels();
  GAN_CHECK(labels.numel() == 0 || labels.min().item<int64_t>() >= 0, description(), ": negative class label");
  const auto counts = torch::bincount(labels).contiguous();
  return std::vector<int64_t>(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel());
}

int64_t Dataset::featureSize() const {
  int64_t n = 1;
  for (int64_t d : sampleShape()) n *= d;
  return n;
}

}  // namespace gan::datasets
