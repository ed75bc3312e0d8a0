#include "datasets/dataset_subset.h"

#include "common/error.h"
#include "data/sample_order.h"

namespace gan::data {
namespace {
// The shuffle that picks the subset: fixed, independent of --train.seed.
constexpr uint64_t kSubsetShuffleSeed = 0x11a17ULL;
}  // namespace

DatasetSubset::DatasetSubset(std::unique_ptr<Dataset> whole, int64_t limit) : whole_(std::move(whole)) {
  GAN_CHECK(limit > 0 && limit <= whole_->size(), "--data.limit=", limit, ": expected 1 to ", whole_->size(),
            " (the training set's size), or 0 for all of it");
  kept_ = epochPermutation(whole_->size(), kSubsetShuffleSeed, 0);
  kept_.resize(static_cast<size_t>(limit));
}

std::vector<int64_t> DatasetSubset::wholeIndices(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> mapped(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    GAN_CHECK(indices[i] >= 0 && indices[i] < size(), "sample ", indices[i], " outside the ", size(),
              " samples of --data.limit");
    mapped[i] = kept_[static_cast<size_t>(indices[i])];
  }
  return mapped;
}

torch::Tensor DatasetSubset::batch(const std::vector<int64_t>& indices, const torch::Device& device) const {
  return whole_->batch(wholeIndices(indices), device);
}

torch::Tensor DatasetSubset::labelsOf(const std::vector<int64_t>& indices) const {
  return whole_->labelsOf(wholeIndices(indices));
}

std::string DatasetSubset::description() const {
  return std::to_string(size()) + " of the " + std::to_string(whole_->size()) + " samples of " +
         whole_->description() + " (--data.limit, a fixed spread-out subset)";
}

}  // namespace gan::data
